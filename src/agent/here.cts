// What only CommonJS has, for both of the agent's builds (ES module and
// CommonJS): a .cts file is CommonJS in both.

/** The agent's compiled folder. */
export const agentDir = __dirname;

/** A built-in module's exports object itself (an ES module namespace cannot be changed). */
export function builtinExports(name: string): Record<string, unknown> {
  return require(name) as Record<string, unknown>;
}

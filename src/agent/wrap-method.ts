/** Replacing a method by a wrapper that sees each call first (where no diagnostics channel says enough). */
export type Fn = (...args: unknown[]) => unknown;

/** Replaces proto[name] by make(the method), keeping the method's name and length. */
export function wrapMethod(proto: object, name: string, make: (orig: Fn) => Fn): void {
  const p = proto as Record<string, Fn>;
  const orig = p[name];
  p[name] = Object.defineProperties(make(orig), Object.getOwnPropertyDescriptors(orig));
}

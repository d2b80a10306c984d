/** Agent settings from the environment (the application's code is never touched). */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface AgentConfig {
  service: string;
  traceDir: string;
  redisPorts: Set<number>;
  loopIntervalMs: number;
}

/** The name in the nearest package.json above the main script, if any. */
function packageName(script: string | undefined): string | undefined {
  if (!script) return undefined;
  let dir = dirname(resolve(script));
  for (let i = 0; i < 20; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const name = JSON.parse(readFileSync(p, 'utf8')).name;
        if (typeof name === 'string' && name) return name.replace(/^@[^/]+\//, '');
      } catch {
        // an unreadable package.json says nothing about the service
      }
      return undefined;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export function readConfig(env = process.env): AgentConfig {
  const script = process.argv[1];
  const service = env.REDTRACE_SERVICE || packageName(script) || (script ? basename(script).replace(/\.[cm]?[jt]s$/, '') : 'node');
  const ports = new Set<number>([6379]);
  for (const p of (env.REDTRACE_REDIS_PORTS ?? '').split(',')) if (/^\d+$/.test(p.trim())) ports.add(Number(p));
  return {
    service,
    traceDir: resolve(env.REDTRACE_TRACE_DIR || join('traces', 'node')),
    redisPorts: ports,
    loopIntervalMs: Number(env.REDTRACE_LOOP_INTERVAL_MS) || 1000,
  };
}

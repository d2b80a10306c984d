/** `redtrace redis build [--tls] [--stock] [--source DIR|TARBALL]`: prints the path of the built redis-server. */
import { buildRedis } from '../record/redis-build.js';
import { UsageError } from './usage.js';

export const REDIS_USAGE = 'redtrace redis build [--tls] [--stock] [--source DIR|TARBALL]';

export function redisCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub !== 'build') throw new UsageError(sub ? `unknown redis command "${sub}"` : 'missing redis command', REDIS_USAGE);
  let tls = false;
  let stock = false;
  let source: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--tls') tls = true;
    else if (a === '--stock') stock = true;
    else if (a === '--source') {
      source = rest[++i];
      if (!source) throw new UsageError('--source needs a folder or a tarball', REDIS_USAGE);
    } else if (a.startsWith('--source=')) source = a.slice('--source='.length);
    else throw new UsageError(`unknown option ${a}`, REDIS_USAGE);
  }
  const quiet = !process.stderr.isTTY || process.env.CI;
  const b = buildRedis({ tls, stock, source, log: (s) => { if (!quiet) process.stderr.write(`${s}...\n`); } });
  if (!quiet) process.stderr.write(b.rebuilt ? 'built.\n' : 'already built (source, patch and flags unchanged).\n');
  console.log(b.server);
  return 0;
}

/**
 * Builds the agent's LTTng addon (native/node) with gcc into the cache, once
 * per source version: a plain C N-API module, so neither node-gyp nor a
 * download of Node.js headers is needed, only the headers of the installed
 * Node.js.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache.js';
import { RecordError } from './errors.js';
import { lastLine } from './redis-source.js';

const SRC = fileURLToPath(new URL('../../../native/node/', import.meta.url));

function nodeIncludeDir(): string {
  const candidates = [join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  const found = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!found) throw new RecordError('Node.js headers (node_api.h) not found: install the nodejs package with its headers');
  return found;
}

export function buildAgentAddon(): string {
  const files = readdirSync(SRC).filter((f) => /\.(c|h)$/.test(f)).sort();
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(join(SRC, f)));
  h.update(process.version);
  const out = cacheDir('agent', `redtrace_lttng-${h.digest('hex').slice(0, 16)}.node`);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.partial`;
  const r = spawnSync('gcc', ['-O2', '-shared', '-fPIC', `-I${SRC}`, `-I${nodeIncludeDir()}`, '-o', tmp, join(SRC, 'addon.c'), join(SRC, 'nodejs_tp.c'), '-llttng-ust', '-ldl'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new RecordError(`building the agent's LTTng addon failed: ${r.error?.message ?? lastLine(r.stderr)}`);
  renameSync(tmp, out);
  return out;
}

// Makes real LTTng-UST traces for tests: builds the C tracepoint app in
// lttng-app/ and records sessions with a private session daemon
// (src/record/private-session.ts), so tests never touch another daemon.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordPrivate, type RecordOptions } from '../../src/record/private-session.js';

// This file runs from dist/test/support/: the C sources and scripts stay in the source tree.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const APP_SRC = path.join(ROOT, 'test/support/lttng-app');

/** Events the app emits per iteration and thread (EVENTS_PER_ITERATION in app.c). */
export const APP_EVENTS_PER_ITERATION = 7;

export { sh } from '../../src/record/private-session.js';

let checked = false;

/** Fails (never skips) when a tool is missing: the project's setup script installs them. */
export function requireLttng(): void {
  if (checked) return;
  const missing = ['lttng', 'lttng-sessiond', 'babeltrace2', 'gcc', 'unshare'].filter(
    (t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0,
  );
  const header = spawnSync('gcc', ['-E', '-x', 'c', '-o', '/dev/null', '-'], { input: '#include <lttng/tracepoint.h>\n' });
  if (header.status !== 0) missing.push('liblttng-ust-dev (lttng/tracepoint.h)');
  if (missing.length > 0) {
    throw new Error(`real-LTTng tests need ${missing.join(', ')}: run scripts/setup.sh as root (it installs lttng-tools, liblttng-ust-dev, babeltrace2, gcc)`);
  }
  if (process.getuid?.() !== 0) throw new Error('real-LTTng tests need root: lttng-private.sh makes a mount namespace');
  checked = true;
}

let appPath: string | undefined;

/** Path of the tracepoint app, compiled once per process into a temp dir removed at exit. */
export function buildTestApp(): string {
  if (appPath) return appPath;
  requireLttng();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-tp-app-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  // A name of at most 15 bytes is the whole thread name, which the procname context records.
  const out = path.join(dir, 'redtrace-tp-app');
  const r = spawnSync('gcc', ['-O1', '-Wall', `-I${APP_SRC}`, '-o', out, 'app.c', 'tp.c', '-llttng-ust', '-ldl', '-lpthread'], {
    cwd: APP_SRC,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building the tracepoint app failed:\n${r.stderr}`);
  appPath = out;
  return out;
}

/**
 * Records one session into `out` while `command` (a bash command) runs, all
 * inside one private session daemon; returns what the command printed.
 */
export function recordTrace(out: string, command: string, opts: Omit<RecordOptions, 'out' | 'run'> = {}): string {
  requireLttng();
  return recordPrivate({ ...opts, out, run: command, timeoutMs: 60_000 });
}

/** Total of the app's "events N" lines. */
export function emittedEvents(stdout: string): number {
  let n = 0;
  for (const m of stdout.matchAll(/^events (\d+)$/gm)) n += Number(m[1]);
  return n;
}

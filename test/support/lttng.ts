// Makes real LTTng-UST traces for tests: builds the C tracepoint app in
// lttng-app/ and records sessions with a private session daemon
// (scripts/lttng-private.sh), so tests never touch another daemon.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs from dist/test/support/: the C sources and scripts stay in the source tree.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const APP_SRC = path.join(ROOT, 'test/support/lttng-app');
const PRIVATE = path.join(ROOT, 'scripts/lttng-private.sh');

/** Events the app emits per iteration and thread (EVENTS_PER_ITERATION in app.c). */
export const APP_EVENTS_PER_ITERATION = 7;

export interface ChannelOptions {
  name?: string;
  subbufSize?: string;
  numSubbuf?: number;
  /** Comma-separated event names or patterns; all user-space events by default. */
  events?: string;
  contexts?: string[];
}

export interface RecordOptions extends ChannelOptions {
  buffers?: 'uid' | 'pid';
  /** Several channels, each with its own events and contexts; overrides the single-channel options. */
  channels?: ChannelOptions[];
}

const DEFAULT_CONTEXTS = ['vpid', 'vtid', 'procname'];

/** Shell-quotes one word. */
export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let checked = false;

/** Fails (never skips) when a tool is missing: the project's setup script installs them. */
export function requireLttng(): void {
  if (checked) return;
  const missing = ['lttng', 'lttng-sessiond', 'babeltrace2', 'gcc', 'unshare'].filter(
    (t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0,
  );
  if (!fs.existsSync('/usr/include/x86_64-linux-gnu/lttng/tracepoint.h') && !fs.existsSync('/usr/include/lttng/tracepoint.h')) {
    missing.push('liblttng-ust-dev (lttng/tracepoint.h)');
  }
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

function channelScript(c: ChannelOptions, buffers: string): string[] {
  const name = sh(c.name ?? 'channel0');
  const lines = [
    `lttng enable-channel -u --buffers-${buffers} --discard` +
      (c.subbufSize ? ` --subbuf-size=${sh(c.subbufSize)}` : '') +
      (c.numSubbuf ? ` --num-subbuf=${c.numSubbuf}` : '') +
      ` ${name} >/dev/null`,
  ];
  const contexts = c.contexts ?? DEFAULT_CONTEXTS;
  if (contexts.length > 0) lines.push(`lttng add-context -u -c ${name} ${contexts.map((t) => `-t ${sh(t)}`).join(' ')} >/dev/null`);
  lines.push(`lttng enable-event -u -c ${name} ${c.events ? sh(c.events) : '-a'} >/dev/null`);
  return lines;
}

/**
 * Records one session into `out` while `command` (a bash command) runs, all
 * inside one private session daemon; returns what the command printed.
 */
export function recordTrace(out: string, command: string, opts: RecordOptions = {}): string {
  requireLttng();
  const buffers = opts.buffers ?? 'uid';
  const channels = opts.channels ?? [opts];
  const script = [
    `lttng create redtrace-test --output=${sh(out)} >/dev/null`,
    ...channels.flatMap((c) => channelScript(c, buffers)),
    'lttng start >/dev/null',
    command,
    // stop waits until the consumer has written every sub-buffer.
    'lttng stop >/dev/null',
    'lttng destroy >/dev/null',
  ].join('\n');
  const r = spawnSync(PRIVATE, [script], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    throw new Error(`recording failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}\nscript:\n${script}`);
  }
  return r.stdout;
}

/** Total of the app's "events N" lines. */
export function emittedEvents(stdout: string): number {
  let n = 0;
  for (const m of stdout.matchAll(/^events (\d+)$/gm)) n += Number(m[1]);
  return n;
}

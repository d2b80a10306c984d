/**
 * Records a user-space LTTng trace with a private session daemon (see
 * scripts/lttng-private.sh): nothing is shared with, or disturbs, another
 * daemon on the machine. Used by tests, benchmarks and the demo.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRIVATE = fileURLToPath(new URL('../../../scripts/lttng-private.sh', import.meta.url));

export interface ChannelOptions {
  name?: string;
  subbufSize?: string;
  numSubbuf?: number;
  /** When the ring buffer is full: drop new events (default) or overwrite the oldest packets. */
  mode?: 'discard' | 'overwrite';
  /** Event names or patterns (default: every user-space event). */
  events?: string[];
  /** Context types (default vpid, vtid, procname). */
  contexts?: string[];
}

export interface RecordOptions extends ChannelOptions {
  /** Trace output folder (must not exist yet). */
  out: string;
  /** Bash commands to run while recording. */
  run: string;
  buffers?: 'uid' | 'pid';
  /** Several channels, each with its own events and contexts (replaces the single-channel options). */
  channels?: ChannelOptions[];
  timeoutMs?: number;
}

/** Shell-quotes one word. */
export function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function channelScript(c: ChannelOptions, buffers: string): string[] {
  const name = sh(c.name ?? 'channel0');
  const lines = [
    `lttng enable-channel -u --buffers-${buffers} --${c.mode ?? 'discard'}` +
      (c.subbufSize ? ` --subbuf-size=${sh(c.subbufSize)}` : '') +
      (c.numSubbuf ? ` --num-subbuf=${c.numSubbuf}` : '') +
      ` ${name} >/dev/null`,
  ];
  const contexts = c.contexts ?? ['vpid', 'vtid', 'procname'];
  if (contexts.length > 0) lines.push(`lttng add-context -u -c ${name} ${contexts.map((t) => `-t ${sh(t)}`).join(' ')} >/dev/null`);
  lines.push(`lttng enable-event -u -c ${name} ${c.events ? c.events.map(sh).join(',') : '-a'} >/dev/null`);
  return lines;
}

/** Records one session into `o.out` while `o.run` runs; returns what the commands printed. */
export function recordPrivate(o: RecordOptions): string {
  const buffers = o.buffers ?? 'uid';
  const script = [
    `lttng create redtrace-${process.pid} --output=${sh(o.out)} >/dev/null`,
    ...(o.channels ?? [o]).flatMap((c) => channelScript(c, buffers)),
    'lttng start >/dev/null',
    o.run,
    // stop returns once the consumer has written every sub-buffer
    'lttng stop >/dev/null',
    'lttng destroy >/dev/null',
  ].join('\n');
  const r = spawnSync('bash', [PRIVATE, script], { encoding: 'utf8', timeout: o.timeoutMs ?? 600_000, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run lttng: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`recording failed (exit ${r.status}, signal ${r.signal}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return r.stdout;
}

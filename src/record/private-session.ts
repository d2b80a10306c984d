/**
 * Records a user-space LTTng trace with a private session daemon (see
 * scripts/lttng-private.sh): nothing is shared with, or disturbs, another
 * daemon on the machine. Used by tests, benchmarks and the demo.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRIVATE = fileURLToPath(new URL('../../../scripts/lttng-private.sh', import.meta.url));

export interface RecordOptions {
  /** Trace output folder (must not exist yet). */
  out: string;
  /** Event patterns for `lttng enable-event -u` (default: every event). */
  events?: string[];
  /** Context types for `lttng add-context -u -t` (default vpid, vtid, procname). */
  contexts?: string[];
  subbufSize?: string;
  numSubbuf?: number;
  buffers?: 'uid' | 'pid';
  /** Bash commands to run while recording. */
  run: string;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function recordPrivate(o: RecordOptions): void {
  const chan = ['lttng enable-channel -u c0', o.buffers === 'pid' ? '--buffers-pid' : '--buffers-uid'];
  if (o.subbufSize) chan.push(`--subbuf-size=${o.subbufSize}`);
  if (o.numSubbuf) chan.push(`--num-subbuf=${o.numSubbuf}`);
  const events = o.events ?? ['-a'];
  const contexts = o.contexts ?? ['vpid', 'vtid', 'procname'];
  const script = [
    `lttng create redtrace-${process.pid} --output=${shellQuote(o.out)} >/dev/null`,
    `${chan.join(' ')} >/dev/null`,
    ...events.map((e) => `lttng enable-event -u -c c0 ${e === '-a' ? '-a' : shellQuote(e)} >/dev/null`),
    contexts.length ? `lttng add-context -u -c c0 ${contexts.map((c) => `-t ${shellQuote(c)}`).join(' ')} >/dev/null` : '',
    'lttng start >/dev/null',
    `( ${o.run} )`,
    'lttng stop >/dev/null',
    'lttng destroy >/dev/null',
  ].filter(Boolean).join('\n');
  const r = spawnSync('bash', [PRIVATE, script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run lttng: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`recording failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

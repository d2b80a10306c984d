/**
 * `redtrace summary TRACE_DIR... [--json]`: reads every event (decoding all
 * fields) and reports what the trace holds: traces, streams, time span,
 * events per name, and what was lost.
 */
import { CtfReader } from '../ctf/reader.js';
import type { CtfEvent } from '../ctf/stream.js';
import { clockTime } from '../ctf/sinks/pretty.js';
import { Progress, human } from './progress.js';
import { UsageError } from './usage.js';

export const SUMMARY_USAGE = 'redtrace summary TRACE_DIR... [--json]';

export interface TraceSummary {
  traces: number;
  streams: number;
  events: number;
  firstNs?: string;
  lastNs?: string;
  byName: Record<string, number>;
  discardedEvents: number;
  lostPackets: number;
  seconds: number;
  peakRssMb: number;
}

export function summarize(dirs: string[], progress = new Progress('reading', 'events')): TraceSummary {
  const t0 = process.hrtime.bigint();
  const reader = CtfReader.open(dirs);
  const counts = new Map<string, number>();
  let n = 0;
  let first: bigint | undefined;
  let last: bigint | undefined;
  const time = (ev: CtfEvent) => (ev.stream.trace.clock ? reader.nsFromOrigin(ev.stream, ev.cycles) : undefined);
  try {
    let prev: CtfEvent | undefined;
    for (let ev = reader.next(); ev; ev = reader.next()) {
      if (n === 0) first = time(ev);
      n++;
      const name = ev.event.cls.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if ((n & 0xffff) === 0) {
        const p = reader.progress();
        progress.update(p.done, p.total, n);
      }
      prev = ev;
    }
    if (prev) last = time(prev);
  } finally {
    progress.finish();
    reader.close();
  }
  return {
    traces: reader.traces.length,
    streams: reader.streams.length,
    events: n,
    firstNs: first?.toString(),
    lastNs: last?.toString(),
    byName: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
    discardedEvents: reader.discardedEvents,
    lostPackets: reader.lostPackets,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

export function printSummary(s: TraceSummary): void {
  const red = (x: string) => (process.stdout.isTTY ? `\x1b[31m${x}\x1b[0m` : x);
  const lines = [`${s.traces} trace(s), ${s.streams} stream file(s), ${s.events} events`];
  if (s.firstNs && s.lastNs) {
    const span = Number(BigInt(s.lastNs) - BigInt(s.firstNs)) / 1e9;
    lines.push(`time: ${clockTime(BigInt(s.firstNs))} to ${clockTime(BigInt(s.lastNs))} (${span.toFixed(6)} s)`);
  }
  lines.push('events by name:');
  for (const [name, c] of Object.entries(s.byName).slice(0, 20)) lines.push(`  ${String(c).padStart(10)}  ${name}`);
  const more = Object.keys(s.byName).length - 20;
  if (more > 0) lines.push(`  ... and ${more} more event names`);
  const loss = `discarded events: ${s.discardedEvents}, lost packets: ${s.lostPackets}`;
  lines.push(s.discardedEvents || s.lostPackets ? red(loss) : loss);
  lines.push(`read in ${s.seconds.toFixed(2)} s (${human(s.events / Math.max(s.seconds, 1e-9))} events/s)`);
  console.log(lines.join('\n'));
}

export function summaryCommand(args: string[]): number {
  const json = args.includes('--json');
  const bad = args.find((a) => a.startsWith('-') && a !== '--json');
  if (bad) throw new UsageError(`unknown option ${bad}`, SUMMARY_USAGE);
  const dirs = args.filter((a) => !a.startsWith('-'));
  if (dirs.length === 0) throw new UsageError('give at least one trace directory', SUMMARY_USAGE);
  const s = summarize(dirs);
  if (json) console.log(JSON.stringify(s));
  else printSummary(s);
  return 0;
}

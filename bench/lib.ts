/** Small helpers shared by the benchmarks. */
import { fileURLToPath } from 'node:url';
import { CtfReader } from '../src/ctf/reader.js';

export function redtraceBin(): string {
  return fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const onTerminal = (): boolean => Boolean(process.stderr.isTTY) && !process.env.CI;

/** One line of progress for the terminal (not CI logs). */
export function tell(line: string): void {
  if (onTerminal()) process.stderr.write(`${line}\n`);
}

/** Runs a named step, telling the terminal (not CI logs) what is going on. */
export function step<T>(what: string, fn: () => T): T {
  const tty = onTerminal();
  if (tty) process.stderr.write(`${what}...`);
  const t0 = Date.now();
  const r = fn();
  if (tty) process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return r;
}

/** Events in a trace, and how many the tracer discarded. */
export function countEvents(trace: string): { events: number; discarded: number } {
  const r = CtfReader.open([trace]);
  let events = 0;
  for (let ev = r.next(); ev; ev = r.next()) events++;
  r.close();
  return { events, discarded: r.discardedEvents };
}

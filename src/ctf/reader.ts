/**
 * Opens trace directories and merges all their streams into one
 * time-ordered event sequence (a binary heap keyed by time from a common
 * origin, ties broken by the order streams were opened).
 */
import { nsFromOrigin, cyclesToNs } from './clock.js';
import { findTraces, Trace } from './trace.js';
import { StreamReader, type CtfEvent, type Loss } from './stream.js';

const TWO32 = 1n << 32n;

interface TraceTime {
  /** ns from origin of the trace's cycle base. */
  baseNs: bigint;
  /** Number(baseNs - reader origin). */
  shift: number;
  /** ns per cycle. */
  scale: number;
}

export class CtfReader {
  readonly traces: Trace[] = [];
  readonly streams: StreamReader[] = [];
  /** ns from origin that time keys are relative to. */
  origin = 0n;
  private times = new Map<Trace, TraceTime>();
  private heap: StreamReader[] = [];
  private keys = new Map<StreamReader, number>();
  private current = new Map<StreamReader, CtfEvent>();
  private order = new Map<StreamReader, number>();
  private pendingLosses: Loss[] = [];

  static open(dirs: string[]): CtfReader {
    const r = new CtfReader();
    for (const { dir, name } of findTraces(dirs)) r.traces.push(new Trace(dir, name));
    r.start();
    return r;
  }

  private start(): void {
    let origin: bigint | undefined;
    for (const t of this.traces) {
      const readers = t.streamFiles.map((f) => new StreamReader(t, f));
      let min: bigint | undefined;
      for (const s of readers) {
        const b = s.firstPacketBegin();
        if (b !== undefined && (min === undefined || BigInt(b) < min)) min = BigInt(b);
      }
      const base = min === undefined ? 0n : (min / TWO32) * TWO32;
      for (const s of readers) s.base = base;
      const baseNs = nsFromOrigin(t.clock, base);
      const freq = t.clock?.freq ?? 1000000000n;
      this.times.set(t, { baseNs, shift: 0, scale: 1e9 / Number(freq) });
      if (origin === undefined || baseNs < origin) origin = baseNs;
      this.streams.push(...readers);
    }
    this.origin = origin ?? 0n;
    for (const tt of this.times.values()) tt.shift = Number(tt.baseNs - this.origin);
    this.streams.forEach((s, i) => this.order.set(s, i));
    for (const s of this.streams) this.advance(s);
  }

  /** Time of an event in ns from the reader's origin (exact for 1 GHz clocks below 2^53 ns of span). */
  timeKey(ev: CtfEvent): number {
    const tt = this.times.get(ev.stream.trace)!;
    return tt.scale === 1 ? tt.shift + ev.cycles : tt.shift + ev.cycles * tt.scale;
  }

  /** Exact ns from the clock's origin. */
  nsFromOrigin(stream: StreamReader, cycles: number): bigint {
    const t = stream.trace;
    const tt = this.times.get(t)!;
    if (tt.scale === 1) return tt.baseNs + BigInt(cycles);
    return nsFromOrigin(t.clock, stream.base + BigInt(cycles));
  }

  /** Cycle value converted to ns, without the clock offset. */
  static cyclesToNs = cyclesToNs;

  private less(a: StreamReader, b: StreamReader): boolean {
    const ka = this.keys.get(a)!;
    const kb = this.keys.get(b)!;
    return ka < kb || (ka === kb && this.order.get(a)! < this.order.get(b)!);
  }

  private advance(s: StreamReader): void {
    const ev = s.next();
    if (s.losses.length) {
      this.pendingLosses.push(...s.losses);
      s.losses = [];
    }
    if (!ev) return;
    this.current.set(s, ev);
    this.keys.set(s, this.timeKey(ev));
    this.push(s);
  }

  private push(s: StreamReader): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): StreamReader | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  /** The next event in time order, or undefined when every stream is done. */
  next(): CtfEvent | undefined {
    const s = this.pop();
    if (!s) return undefined;
    const ev = this.current.get(s)!;
    this.advance(s);
    return ev;
  }

  /** Losses (discarded events, lost packets) found since the last call. */
  takeLosses(): Loss[] {
    const l = this.pendingLosses;
    this.pendingLosses = [];
    return l;
  }

  *[Symbol.iterator](): Generator<CtfEvent> {
    for (let ev = this.next(); ev; ev = this.next()) yield ev;
  }

  close(): void {
    for (const s of this.streams) s.close();
  }

  get discardedEvents(): number {
    return this.streams.reduce((n, s) => n + s.discardedEvents, 0);
  }

  get lostPackets(): number {
    return this.streams.reduce((n, s) => n + s.lostPackets, 0);
  }
}

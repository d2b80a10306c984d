/**
 * Opens trace directories and merges all their streams into one
 * time-ordered event sequence: a binary heap keyed by ns from a common
 * origin, ties broken as babeltrace2's muxer does (trace UUID, trace name,
 * stream class id, stream id). Traces can be given a linear clock
 * transform (clock synchronisation across hosts): their time keys are then
 * mapped onto the reference clock before merging.
 */
import { resolve, relative, sep } from 'node:path';
import { clockBaseNs, cyclesToNs } from './clock.js';
import { findTraces, Trace } from './trace.js';
import { StreamReader, type CtfEvent, type Loss } from './stream.js';

const TWO32 = 1n << 32n;

interface TraceTime {
  /** ns from origin of cycle 0 (the clock's offset). */
  clockNs: bigint;
  /** clockNs + the stream base's ns (1 GHz clocks only). */
  baseNs: bigint;
  /** Number(baseNs - reader origin) at 1 GHz, Number(clockNs - origin) otherwise. */
  shift: number;
  freq: bigint;
  ghz: boolean;
  /** Clock transform of the trace's keys: slope 1 means none (the key is shift + ns). */
  slope: number;
  add: number;
}

/** key' = slope·key + offset, keys in ns from the reader's origin before any transform. */
export interface ClockTransform {
  slope: number;
  offset: number;
}

export interface ReaderOptions {
  /** The transform of each trace's clock onto a reference clock (none: as recorded). */
  clockTransform?: (t: Trace) => ClockTransform | undefined;
  /**
   * The traces whose events are read (all when omitted). The others still
   * set the time base (origin, lift) and the order of ties, so a reader of a
   * part of the traces gives their events the times and order a reader of
   * all of them would.
   */
  read?: (t: Trace) => boolean;
}

export class CtfReader {
  readonly traces: Trace[] = [];
  readonly streams: StreamReader[] = [];
  /** ns from origin that time keys are relative to. */
  origin = 0n;
  /** ns the origin was moved back so that transformed keys stay non-negative. */
  lift = 0;
  private times = new Map<Trace, TraceTime>();
  private names = new Map<Trace, string>();
  private streamIds = new Map<StreamReader, number>();
  private heap: StreamReader[] = [];
  /** Per stream (by index in `streams`): its next event and that event's time key. */
  private current: (CtfEvent | undefined)[] = [];
  private keys: number[] = [];
  private pendingLosses: Loss[] = [];
  /** Per stream: losses found when it entered its current packet, not yet handed out. */
  private waiting: (Loss[] | undefined)[] = [];
  private clockTransform: ReaderOptions['clockTransform'];
  private readTrace: ReaderOptions['read'];

  static open(dirs: string[], opts: ReaderOptions = {}): CtfReader {
    const r = new CtfReader();
    r.clockTransform = opts.clockTransform;
    r.readTrace = opts.read;
    for (const found of findTraces(dirs)) {
      const t = new Trace(found.dir);
      r.traces.push(t);
      r.names.set(t, traceName(t, found.root));
    }
    r.nameMergedTraces();
    r.start();
    return r;
  }

  /** babeltrace2 merges traces sharing a UUID (session rotation chunks) and names them by host only. */
  private nameMergedTraces(): void {
    const byUuid = new Map<string, Trace[]>();
    for (const t of this.traces) if (t.cls.uuid) byUuid.set(t.cls.uuid, [...(byUuid.get(t.cls.uuid) ?? []), t]);
    for (const group of byUuid.values()) {
      if (group.length < 2) continue;
      for (const t of group) {
        const host = t.cls.env.get('hostname');
        this.names.set(t, typeof host === 'string' ? host : '');
      }
    }
  }

  private start(): void {
    let origin: bigint | undefined;
    const all: StreamReader[] = [];
    for (const t of this.traces) {
      const readers = t.streamFiles.map((f) => new StreamReader(t, f));
      let min: bigint | undefined;
      for (const s of readers) {
        const b = s.firstPacketBegin();
        if (b !== undefined && (min === undefined || BigInt(b) < min)) min = BigInt(b);
      }
      const base = min === undefined ? 0n : (min / TWO32) * TWO32;
      for (const s of readers) { s.base = base; s.baseNum = Number(base); }
      const freq = t.clock?.freq ?? 1000000000n;
      const ghz = freq === 1000000000n;
      const clockNs = clockBaseNs(t.clock);
      const baseNs = clockNs + (ghz ? base : 0n);
      this.times.set(t, { clockNs, baseNs, shift: 0, freq, ghz, slope: 1, add: 0 });
      if (origin === undefined || baseNs < origin) origin = baseNs;
      readers.forEach((s, i) => this.streamIds.set(s, s.instanceId ?? i));
      all.push(...readers);
    }
    this.origin = origin ?? 0n;
    for (const tt of this.times.values()) tt.shift = Number(tt.baseNs - this.origin);
    if (this.clockTransform) this.applyTransforms(this.clockTransform);
    // ranks among all streams, read or not: readers of different parts of the traces agree on them
    all.forEach((s, i) => { s.index = i; });
    const rank = all.slice().sort((a, b) => this.compareStreams(a, b));
    rank.forEach((s, i) => { s.rank = i; });
    for (const s of all) {
      if (!this.readTrace || this.readTrace(s.trace)) this.streams.push(s);
      else s.close();
    }
    this.streams.forEach((s, i) => { s.index = i; });
    for (const s of this.streams) this.advance(s);
  }

  /**
   * Sets each trace's clock transform. A transform may move times before the
   * origin; the origin then moves back so that keys stay non-negative.
   */
  private applyTransforms(of: (t: Trace) => ClockTransform | undefined): void {
    let lift = 0;
    for (const [t, tt] of this.times) {
      const x = of(t);
      if (!x || (x.slope === 1 && x.offset === 0)) continue;
      // slope 1 is the untransformed fast path: a pure shift goes into `shift`
      if (x.slope === 1) tt.shift += x.offset;
      else { tt.slope = x.slope; tt.add = x.offset; }
      // the trace's base comes before all its events, so its key bounds theirs from below
      lift = Math.max(lift, -(tt.slope * tt.shift + tt.add));
    }
    lift = Math.ceil(lift);
    if (lift <= 0) return;
    this.lift = lift;
    this.origin -= BigInt(lift);
    for (const tt of this.times.values()) {
      if (tt.slope === 1) tt.shift += lift;
      else tt.add += lift;
    }
  }

  private compareStreams(a: StreamReader, b: StreamReader): number {
    const ua = a.trace.cls.uuid;
    const ub = b.trace.cls.uuid;
    if (ua !== ub) {
      if (!ua) return 1;
      if (!ub) return -1;
      return ua.toLowerCase() < ub.toLowerCase() ? -1 : 1;
    }
    const na = this.traceName(a.trace);
    const nb = this.traceName(b.trace);
    if (na !== nb) return na < nb ? -1 : 1;
    if (a.streamClassId !== b.streamClassId) return a.streamClassId - b.streamClassId;
    return this.streamId(a) - this.streamId(b) || a.index - b.index;
  }

  traceName(t: Trace): string {
    return this.names.get(t) ?? '';
  }

  streamId(s: StreamReader): number {
    return this.streamIds.get(s) ?? 0;
  }

  /**
   * Time of an event in ns from the reader's origin (exact for 1 GHz clocks
   * below 2^53 ns of span), clock transform applied (rounded to the ns).
   */
  timeKey(ev: CtfEvent): number {
    return this.cyclesKey(ev.stream, ev.cycles);
  }

  private cyclesKey(s: StreamReader, cycles: number): number {
    const tt = this.times.get(s.trace)!;
    const key = tt.ghz ? tt.shift + cycles : tt.shift + Number(cyclesToNs(tt.freq, s.base + BigInt(cycles)));
    return tt.slope === 1 ? key : Math.round(tt.slope * key + tt.add);
  }

  /** Exact ns from the clock's origin of a cycle value of a stream, as recorded (no clock transform). */
  nsFromOrigin(stream: StreamReader, cycles: number): bigint {
    const tt = this.times.get(stream.trace)!;
    if (tt.ghz) return tt.baseNs + BigInt(cycles);
    return tt.clockNs + cyclesToNs(tt.freq, stream.base + BigInt(cycles));
  }

  private less(a: StreamReader, b: StreamReader): boolean {
    const ka = this.keys[a.index];
    const kb = this.keys[b.index];
    return ka < kb || (ka === kb && a.rank < b.rank);
  }

  /**
   * Reads the stream's next event. Losses found on the way wait in the heap
   * at their begin time, as babeltrace2's muxer places them.
   */
  private advance(s: StreamReader): void {
    const ev = s.next();
    this.current[s.index] = ev;
    let key = ev ? this.timeKey(ev) : Infinity;
    if (s.losses.length) {
      for (const l of s.losses) {
        if (l.fromCycles !== undefined) key = Math.min(key, this.cyclesKey(s, l.fromCycles));
      }
      this.waiting[s.index] = s.losses;
      s.losses = [];
    }
    if (key === Infinity && !this.waiting[s.index]) return;
    this.keys[s.index] = key;
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

  /** The next event in time order, or undefined when every stream is done (losses: see takeLosses). */
  next(): CtfEvent | undefined {
    for (;;) {
      const s = this.pop();
      if (!s) return undefined;
      const waiting = this.waiting[s.index];
      if (waiting) {
        this.pendingLosses.push(...waiting);
        this.waiting[s.index] = undefined;
        const ev = this.current[s.index];
        if (ev) {
          this.keys[s.index] = this.timeKey(ev);
          this.push(s);
        }
        continue;
      }
      const ev = this.current[s.index]!;
      this.advance(s);
      return ev;
    }
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

  /** Bytes read and total bytes of all stream files, for progress reports. */
  progress(): { done: number; total: number } {
    let done = 0;
    let total = 0;
    for (const s of this.streams) { done += s.bytesDone; total += s.size; }
    return { done, total };
  }

  get discardedEvents(): number {
    return this.streams.reduce((n, s) => n + s.discardedEvents, 0);
  }

  get lostPackets(): number {
    return this.streams.reduce((n, s) => n + s.lostPackets, 0);
  }
}

/** Host name, then the trace folder's path below the folder the user gave (babeltrace2's naming). */
function traceName(t: Trace, root: string): string {
  const rel = relative(resolve(root), resolve(t.dir)).split(sep).join('/');
  const host = t.cls.env.get('hostname');
  if (typeof host === 'string') return rel ? `${host}/${rel}` : host;
  return rel;
}

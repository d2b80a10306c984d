/**
 * Queries a finished history file: state of one attribute at t, all states
 * at t, states of many attributes at sample times (one per pixel column),
 * iteration over one attribute's states. Nodes are read on demand into a
 * bounded LRU cache; each query walks only the nodes whose time range holds
 * what it asks for, so it costs O(depth), not O(history).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { AttributeTree } from './attribute-tree.js';
import { FORMAT_VERSION, HEADER_BYTES, MAGIC, StateFileError, readI64 } from './format.js';
import { lowerBound } from './lower-bound.js';
import { NodeView } from './node.js';
import type { Interval, StateValue } from './values.js';

export interface OpenOptions {
  /** Refuse (problem 'version') a file written by another analysis version. */
  analysisVersion?: number;
  /** Nodes kept in memory (default 256). */
  cacheNodes?: number;
}

export class HistoryReader {
  readonly attributes: AttributeTree;
  readonly start: number;
  readonly end: number;
  readonly intervalCount: number;
  readonly analysisVersion: number;
  private readonly blockSize: number;
  private readonly maxChildren: number;
  readonly nodeCount: number;
  private readonly rootSeq: number;
  private fd: number;
  private cache = new Map<number, NodeView>();
  private readonly cacheNodes: number;

  constructor(readonly file: string, opts: OpenOptions = {}) {
    try {
      this.fd = openSync(file, 'r');
    } catch {
      throw new StateFileError(file, 'missing', 'no history file');
    }
    try {
      const size = fstatSync(this.fd).size;
      const h = Buffer.alloc(HEADER_BYTES);
      if (readSync(this.fd, h, 0, HEADER_BYTES, 0) < HEADER_BYTES) throw new StateFileError(file, 'incomplete', 'file shorter than its header: an unfinished or truncated build');
      if (h.every((x) => x === 0)) throw new StateFileError(file, 'incomplete', 'header never written: the build did not finish');
      if (!h.subarray(0, 8).equals(MAGIC)) throw new StateFileError(file, 'corrupt', 'not a redtrace history file (bad magic)');
      if (crc32(h.subarray(0, HEADER_BYTES - 4)) !== h.readUInt32LE(HEADER_BYTES - 4)) throw new StateFileError(file, 'corrupt', 'header checksum mismatch');
      const version = h.readUInt32LE(8);
      if (version !== FORMAT_VERSION) throw new StateFileError(file, 'version', `file format ${version}, this redtrace reads ${FORMAT_VERSION}`);
      this.analysisVersion = h.readUInt32LE(12);
      if (opts.analysisVersion !== undefined && opts.analysisVersion !== this.analysisVersion) {
        throw new StateFileError(file, 'version', `written by analysis version ${this.analysisVersion}, expected ${opts.analysisVersion}`);
      }
      this.blockSize = h.readUInt32LE(16);
      this.maxChildren = h.readUInt32LE(20);
      this.nodeCount = h.readUInt32LE(24);
      this.rootSeq = h.readUInt32LE(28);
      this.start = readI64(h, 32);
      this.end = readI64(h, 40);
      const attrsAt = readI64(h, 48);
      const attrsLen = h.readUInt32LE(56);
      this.intervalCount = readI64(h, 64);
      if (attrsAt !== HEADER_BYTES + this.nodeCount * this.blockSize || attrsAt + attrsLen > size || this.rootSeq >= this.nodeCount) {
        throw new StateFileError(file, 'corrupt', `file is ${size} bytes, its header describes ${attrsAt + attrsLen}: truncated or corrupt`);
      }
      const attrs = Buffer.alloc(attrsLen);
      readSync(this.fd, attrs, 0, attrsLen, attrsAt);
      if (crc32(attrs) !== h.readUInt32LE(60)) throw new StateFileError(file, 'corrupt', 'attribute tree checksum mismatch');
      this.attributes = AttributeTree.deserialize(attrs);
      this.cacheNodes = Math.max(4, opts.cacheNodes ?? 256);
    } catch (e) {
      closeSync(this.fd);
      if (e instanceof StateFileError) throw e;
      throw new StateFileError(file, 'corrupt', (e as Error).message);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.cache.clear();
  }

  private node(seq: number): NodeView {
    const hit = this.cache.get(seq);
    if (hit) {
      this.cache.delete(seq);
      this.cache.set(seq, hit);
      return hit;
    }
    if (seq >= this.nodeCount) throw new StateFileError(this.file, 'corrupt', `reference to node ${seq}, the file has ${this.nodeCount}`);
    const b = Buffer.alloc(this.blockSize); // its own ArrayBuffer: typed-array views need aligned offsets
    const at = HEADER_BYTES + seq * this.blockSize;
    if (readSync(this.fd, b, 0, this.blockSize, at) !== this.blockSize) throw new StateFileError(this.file, 'corrupt', `node ${seq} at byte ${at} is truncated`);
    let n: NodeView;
    try {
      n = new NodeView(b, seq, this.maxChildren);
    } catch (e) {
      throw new StateFileError(this.file, 'corrupt', `${(e as Error).message} (at byte ${at})`);
    }
    this.cache.set(seq, n);
    if (this.cache.size > this.cacheNodes) this.cache.delete(this.cache.keys().next().value!);
    return n;
  }

  /** Visits every node whose time range meets [t0, t1], parents before children. */
  private visit(t0: number, t1: number, fn: (n: NodeView) => boolean | void): void {
    const stack = [this.rootSeq];
    while (stack.length) {
      const n = this.node(stack.pop()!);
      if (fn(n) === true) return;
      for (let c = n.childSeqs.length - 1; c >= 0; c--) {
        if (n.childStarts[c] <= t1 && n.childEnds[c] >= t0) stack.push(n.childSeqs[c]);
      }
    }
  }

  /** The state of one attribute at t (undefined outside the history or for an unknown quark). */
  querySingle(t: number, quark: number): Interval | undefined {
    let found: Interval | undefined;
    this.visit(t, t, (n) => {
      if (quark < n.minQuark || quark > n.maxQuark) return;
      const rel = t - n.start;
      const { quarks, starts } = n;
      for (let i = n.firstEndingFrom(t); i < n.count; i++) {
        if (quarks[i] === quark && starts[i] <= rel) {
          found = n.interval(i);
          return true;
        }
      }
    });
    return found;
  }

  /** Every attribute's state at t, indexed by quark. */
  queryFull(t: number): (Interval | undefined)[] {
    const out: (Interval | undefined)[] = new Array(this.attributes.size).fill(undefined);
    this.visit(t, t, (n) => {
      const rel = t - n.start;
      const { starts } = n;
      for (let i = n.firstEndingFrom(t); i < n.count; i++) if (starts[i] <= rel) out[n.quarks[i]] = n.interval(i);
    });
    return out;
  }

  /**
   * The states of the given attributes that hold at one or more of the
   * sample times (sorted ascending): what a view with one sample per pixel
   * column can show, however many intervals lie between samples.
   */
  query2D(quarks: readonly number[], times: readonly number[]): Interval[] {
    const out: Interval[] = [];
    if (times.length === 0 || quarks.length === 0) return out;
    const want = new Uint8Array(this.attributes.size);
    let qmin = Infinity;
    let qmax = -1;
    for (const q of quarks) {
      if (q < 0 || q >= want.length) continue;
      want[q] = 1;
      if (q < qmin) qmin = q;
      if (q > qmax) qmax = q;
    }
    const t0 = times[0];
    const t1 = times[times.length - 1];
    this.visit(t0, t1, (n) => {
      if (qmax < n.minQuark || qmin > n.maxQuark) return;
      const { quarks: qs, starts, ends } = n;
      const base = n.start;
      for (let i = n.firstEndingFrom(t0); i < n.count; i++) {
        const q = qs[i];
        if (q >= want.length || want[q] === 0) continue;
        const s = base + starts[i];
        if (s > t1) continue;
        const e = base + ends[i];
        // the first sample time >= s: the interval is visible if that sample is <= e
        const lo = lowerBound(times, s);
        if (lo < times.length && times[lo] <= e) out.push({ quark: q, start: s, end: e, value: n.value(i) });
      }
    });
    return out;
  }

  /** The states of one attribute that meet [t0, t1], in time order. */
  *intervals(quark: number, t0: number, t1: number): Generator<Interval> {
    let t = Math.max(t0, this.start);
    while (t <= t1) {
      const iv = this.querySingle(t, quark);
      if (!iv) return;
      yield iv;
      t = iv.end + 1;
    }
  }

  /** The value of one attribute at t, null when it has none. */
  valueAt(t: number, quark: number): StateValue {
    return this.querySingle(t, quark)?.value ?? null;
  }
}

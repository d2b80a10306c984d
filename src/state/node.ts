/**
 * History tree nodes. A node is one fixed-size block holding the intervals
 * that fit its time range, in columns of fixed width chosen per node (quarks
 * on 2 or 4 bytes, times relative to the node start on 4 or 8 bytes), so a
 * query scans typed arrays laid over the block without decoding anything.
 * Intervals arrive in end-time order, so the `ends` column is sorted.
 */
import { crc32 } from 'node:zlib';
import { CORE, LEAF, N, pad8, readI64, writeI64 } from './format.js';
import { lowerBound } from './lower-bound.js';
import { ValueTag, tagOf, type Interval, type StateValue } from './values.js';

const TWO32 = 4294967296;

function layout(count: number, qw: number, tw: number, childTable: number) {
  const quarks = N.children + childTable;
  const starts = quarks + pad8(count * qw);
  const ends = starts + pad8(count * tw);
  const tags = ends + pad8(count * tw);
  const payload = tags + pad8(count);
  const heap = payload + pad8(count * 4);
  return { quarks, starts, ends, tags, payload, heap };
}

/** A node of the latest branch, filling up in memory. */
export class NodeBuilder {
  readonly quarks: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly values: StateValue[] = [];
  private heapBytes = 0;
  private strings = new Map<string, number>();
  private maxQuark = 0;
  private maxEnd: number;
  readonly childSeqs: number[] = [];
  readonly childStarts: number[] = [];
  readonly childEnds: number[] = [];

  constructor(
    readonly seq: number,
    /** Mutable: an old root gets a parent when the tree grows a level. */
    public parent: number,
    readonly start: number,
    readonly core: boolean,
    private readonly blockSize: number,
    private readonly maxChildren: number,
  ) {
    this.maxEnd = start;
  }

  get count(): number {
    return this.quarks.length;
  }

  get end(): number {
    let e = this.maxEnd;
    for (const c of this.childEnds) if (c > e) e = c;
    return e;
  }

  get childCount(): number {
    return this.childSeqs.length;
  }

  private bytesFor(count: number, maxQuark: number, span: number, heap: number): number {
    const qw = maxQuark < 65536 ? 2 : 4;
    const tw = span < TWO32 ? 4 : 8;
    return layout(count, qw, tw, this.core ? this.maxChildren * N.childEntry : 0).heap + heap;
  }

  /** Adds the interval if it fits in the block; returns false when the node is full. */
  tryAdd(quark: number, start: number, end: number, value: StateValue): boolean {
    let heap = 0;
    let isNewString = false;
    if (typeof value === 'string') {
      if (!this.strings.has(value)) { heap = 4 + Buffer.byteLength(value, 'utf8'); isNewString = true; }
    } else if (value !== null && tagOf(value) !== ValueTag.Int) heap = 8;
    const mq = quark > this.maxQuark ? quark : this.maxQuark;
    const me = end > this.maxEnd ? end : this.maxEnd;
    if (this.bytesFor(this.count + 1, mq, me - this.start, this.heapBytes + heap) > this.blockSize) return false;
    if (isNewString) this.strings.set(value as string, -1);
    this.heapBytes += heap;
    this.maxQuark = mq;
    this.maxEnd = me;
    this.quarks.push(quark);
    this.starts.push(start);
    this.ends.push(end);
    this.values.push(value);
    return true;
  }

  /** Whether an interval alone could ever fit an empty node like this one. */
  static fitsEmpty(blockSize: number, core: boolean, maxChildren: number, quark: number, span: number, value: StateValue): boolean {
    const b = new NodeBuilder(0, -1, 0, core, blockSize, maxChildren);
    return b.tryAdd(quark, 0, span, value);
  }

  linkChild(seq: number, start: number): void {
    this.childSeqs.push(seq);
    this.childStarts.push(start);
    this.childEnds.push(start);
  }

  setChildEnd(seq: number, end: number): void {
    const i = this.childSeqs.lastIndexOf(seq);
    this.childEnds[i] = end;
  }

  /** The block as written to disk. */
  serialize(): Buffer {
    const n = this.count;
    const end = this.end;
    const qw = this.maxQuark < 65536 ? 2 : 4;
    const tw = this.maxEnd - this.start < TWO32 ? 4 : 8;
    const L = layout(n, qw, tw, this.core ? this.maxChildren * N.childEntry : 0);
    const b = Buffer.alloc(this.blockSize);
    const ab = b.buffer;
    b[N.kind] = this.core ? CORE : LEAF;
    b[N.quarkWidth] = qw;
    b[N.timeWidth] = tw;
    b.writeUInt32LE(this.seq, N.seq);
    b.writeInt32LE(this.parent, N.parent);
    b.writeUInt32LE(n, N.count);
    writeI64(b, N.start, this.start);
    writeI64(b, N.end, end);
    let minQ = n ? Infinity : 0;
    for (let i = 0; i < n; i++) if (this.quarks[i] < minQ) minQ = this.quarks[i];
    b.writeUInt32LE(minQ, N.minQuark);
    b.writeUInt32LE(this.maxQuark, N.maxQuark);
    b.writeUInt32LE(this.childCount, N.childCount);
    for (let c = 0; c < this.childCount; c++) {
      const o = N.children + c * N.childEntry;
      b.writeUInt32LE(this.childSeqs[c], o);
      writeI64(b, o + 8, this.childStarts[c]);
      writeI64(b, o + 16, this.childEnds[c]);
    }
    const quarks = qw === 2 ? new Uint16Array(ab, L.quarks, n) : new Uint32Array(ab, L.quarks, n);
    const starts = tw === 4 ? new Uint32Array(ab, L.starts, n) : new Float64Array(ab, L.starts, n);
    const ends = tw === 4 ? new Uint32Array(ab, L.ends, n) : new Float64Array(ab, L.ends, n);
    const payload = new Int32Array(ab, L.payload, n);
    const s0 = this.start;
    let heap = L.heap;
    const stringAt = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      quarks[i] = this.quarks[i];
      starts[i] = this.starts[i] - s0;
      ends[i] = this.ends[i] - s0;
      const v = this.values[i];
      const tag = tagOf(v);
      b[L.tags + i] = tag;
      switch (tag) {
        case ValueTag.Null: break;
        case ValueTag.Int: payload[i] = v as number; break;
        case ValueTag.Long: payload[i] = heap - L.heap; b.writeBigInt64LE(BigInt.asIntN(64, v as bigint), heap); heap += 8; break;
        case ValueTag.Double: payload[i] = heap - L.heap; b.writeDoubleLE(v as number, heap); heap += 8; break;
        case ValueTag.String: {
          const at = stringAt.get(v as string);
          if (at !== undefined) { payload[i] = at; break; }
          payload[i] = heap - L.heap;
          stringAt.set(v as string, heap - L.heap);
          const len = b.write(v as string, heap + 4, 'utf8');
          b.writeUInt32LE(len, heap);
          heap += 4 + len;
        }
      }
    }
    b.writeUInt32LE(heap - L.heap, N.heapBytes);
    b.writeUInt32LE(crc32(b), N.crc);
    return b;
  }
}

/** A node read back: typed arrays over the block. */
export class NodeView {
  readonly kind: number;
  readonly seq: number;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly minQuark: number;
  readonly maxQuark: number;
  readonly quarks: Uint16Array | Uint32Array;
  readonly starts: Uint32Array | Float64Array;
  readonly ends: Uint32Array | Float64Array;
  readonly tags: Uint8Array;
  readonly payload: Int32Array;
  readonly heapAt: number;
  readonly heapBytes: number;
  readonly childSeqs: number[] = [];
  readonly childStarts: number[] = [];
  readonly childEnds: number[] = [];

  /** `b` must own its ArrayBuffer from offset 0 (typed arrays need aligned offsets). */
  constructor(readonly b: Buffer, expectSeq: number, maxChildren: number) {
    const bad = (what: string): never => {
      throw new RangeError(`node ${expectSeq}: ${what}`);
    };
    const crc = b.readUInt32LE(N.crc);
    b.writeUInt32LE(0, N.crc);
    const actual = crc32(b);
    b.writeUInt32LE(crc, N.crc);
    if (crc !== actual) bad('checksum mismatch');
    this.kind = b[N.kind];
    if (this.kind !== LEAF && this.kind !== CORE) bad(`bad node kind ${this.kind}`);
    const qw = b[N.quarkWidth];
    const tw = b[N.timeWidth];
    if ((qw !== 2 && qw !== 4) || (tw !== 4 && tw !== 8)) bad('bad column widths');
    this.seq = b.readUInt32LE(N.seq);
    if (this.seq !== expectSeq) bad(`holds node ${this.seq}`);
    this.count = b.readUInt32LE(N.count);
    this.start = readI64(b, N.start);
    this.end = readI64(b, N.end);
    this.minQuark = b.readUInt32LE(N.minQuark);
    this.maxQuark = b.readUInt32LE(N.maxQuark);
    const children = b.readUInt32LE(N.childCount);
    if (children > maxChildren || (this.kind === LEAF && children > 0)) bad('bad child count');
    const L = layout(this.count, qw, tw, this.kind === CORE ? maxChildren * N.childEntry : 0);
    this.heapAt = L.heap;
    this.heapBytes = b.readUInt32LE(N.heapBytes);
    if (L.heap + this.heapBytes > b.length) bad('contents overflow the block');
    const ab = b.buffer;
    this.quarks = qw === 2 ? new Uint16Array(ab, L.quarks, this.count) : new Uint32Array(ab, L.quarks, this.count);
    this.starts = tw === 4 ? new Uint32Array(ab, L.starts, this.count) : new Float64Array(ab, L.starts, this.count);
    this.ends = tw === 4 ? new Uint32Array(ab, L.ends, this.count) : new Float64Array(ab, L.ends, this.count);
    this.tags = new Uint8Array(ab, L.tags, this.count);
    this.payload = new Int32Array(ab, L.payload, this.count);
    for (let c = 0; c < children; c++) {
      const o = N.children + c * N.childEntry;
      this.childSeqs.push(b.readUInt32LE(o));
      this.childStarts.push(readI64(b, o + 8));
      this.childEnds.push(readI64(b, o + 16));
    }
  }

  /** Index of the first interval whose end (absolute) is >= t. */
  firstEndingFrom(t: number): number {
    return lowerBound(this.ends, t - this.start, 0, this.count);
  }

  value(i: number): StateValue {
    switch (this.tags[i]) {
      case ValueTag.Null: return null;
      case ValueTag.Int: return this.payload[i];
      case ValueTag.Long: return this.b.readBigInt64LE(this.heapAt + this.payload[i]);
      case ValueTag.Double: return this.b.readDoubleLE(this.heapAt + this.payload[i]);
      case ValueTag.String: {
        const at = this.heapAt + this.payload[i];
        const len = this.b.readUInt32LE(at);
        if (at + 4 + len > this.heapAt + this.heapBytes) throw new RangeError(`node ${this.seq}: string outside the heap`);
        return this.b.toString('utf8', at + 4, at + 4 + len);
      }
      default: throw new RangeError(`node ${this.seq}: bad value tag ${this.tags[i]}`);
    }
  }

  interval(i: number): Interval {
    return { quark: this.quarks[i], start: this.start + this.starts[i], end: this.start + this.ends[i], value: this.value(i) };
  }
}

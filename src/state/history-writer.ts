/**
 * Builds a history file: intervals arrive in end-time order and go to the
 * deepest node of the latest branch that starts early enough and has room;
 * a full node closes its branch and a new branch starts at the interval's
 * start (siblings may overlap in time). Only the latest branch is in memory;
 * closed nodes go to disk at once. The file header is written last, so a
 * build that dies half-way leaves a file that reopens as "incomplete".
 */
import { closeSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { AttributeTree } from './attribute-tree.js';
import { DEFAULT_BLOCK_SIZE, DEFAULT_MAX_CHILDREN, FORMAT_VERSION, HEADER_BYTES, MAGIC, writeI64 } from './format.js';
import { NodeBuilder } from './node.js';
import type { StateValue } from './values.js';

export interface HistoryOptions {
  blockSize?: number;
  maxChildren?: number;
  /** Version of the analysis that fills the history: a file of another version is rebuilt, not misread. */
  analysisVersion?: number;
}

export class HistoryWriter {
  readonly blockSize: number;
  readonly maxChildren: number;
  readonly analysisVersion: number;
  private fd: number;
  private branch: NodeBuilder[] = [];
  private nodeCount = 0;
  private lastEnd: number;
  private treeEnd: number;
  intervals = 0;

  constructor(readonly file: string, readonly treeStart: number, opts: HistoryOptions = {}) {
    this.blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.maxChildren = opts.maxChildren ?? DEFAULT_MAX_CHILDREN;
    this.analysisVersion = opts.analysisVersion ?? 0;
    if (this.blockSize < 4096 || this.blockSize % 8 !== 0) throw new RangeError('block size must be a multiple of 8, at least 4096');
    if (this.maxChildren < 2 || this.maxChildren * 24 > this.blockSize / 2) throw new RangeError('max children out of range for the block size');
    this.fd = openSync(file, 'w');
    ftruncateSync(this.fd, HEADER_BYTES); // the header stays zero until close
    this.lastEnd = treeStart;
    this.treeEnd = treeStart;
    this.branch.push(this.newNode(-1, treeStart, false));
  }

  private newNode(parent: number, start: number, core: boolean): NodeBuilder {
    return new NodeBuilder(this.nodeCount++, parent, start, core, this.blockSize, this.maxChildren);
  }

  /** Adds the interval [start, end] (inclusive); ends must not decrease. */
  insert(quark: number, start: number, end: number, value: StateValue): void {
    if (end < this.lastEnd) throw new RangeError(`interval ends at ${end}, before the previous one (${this.lastEnd})`);
    if (start < this.treeStart || start > end) throw new RangeError(`bad interval [${start}, ${end}] (history starts at ${this.treeStart})`);
    this.lastEnd = end;
    if (end > this.treeEnd) this.treeEnd = end;
    this.intervals++;
    const b = this.branch;
    let d = b.length - 1;
    while (b[d].start > start) d--;
    if (b[d].tryAdd(quark, start, end, value)) return;
    if (!NodeBuilder.fitsEmpty(this.blockSize, true, this.maxChildren, quark, end - start, value)) {
      throw new RangeError(`a state value of quark ${quark} does not fit in a ${this.blockSize}-byte block`);
    }
    this.newBranch(d, start);
    const leaf = b[b.length - 1];
    if (!leaf.tryAdd(quark, start, end, value)) throw new Error('history tree: a new node refused an interval');
  }

  /** Closes the branch from depth d down and starts a new one at time t (a new root when the ancestors are full). */
  private newBranch(d: number, t: number): void {
    const b = this.branch;
    let k = d;
    while (k > 0 && b[k - 1].childCount >= this.maxChildren) k--;
    const leafDepth = b.length - 1;
    if (k === 0) {
      const oldRoot = b[0];
      const root = this.newNode(-1, oldRoot.start, true);
      oldRoot.parent = root.seq;
      this.closeFrom(0);
      root.linkChild(oldRoot.seq, oldRoot.start);
      root.setChildEnd(oldRoot.seq, oldRoot.end);
      b.length = 0;
      b.push(root);
      for (let depth = 1; depth <= leafDepth + 1; depth++) this.growBranch(t, depth === leafDepth + 1);
      return;
    }
    this.closeFrom(k);
    b.length = k;
    for (let depth = k; depth <= leafDepth; depth++) this.growBranch(t, depth === leafDepth);
  }

  private growBranch(t: number, leaf: boolean): void {
    const parent = this.branch[this.branch.length - 1];
    const n = this.newNode(parent.seq, t, !leaf);
    parent.linkChild(n.seq, t);
    this.branch.push(n);
  }

  /** Closes and writes nodes from depth k to the leaf, deepest first. */
  private closeFrom(k: number): void {
    const b = this.branch;
    for (let i = b.length - 1; i >= k; i--) {
      const n = b[i];
      if (i > 0) b[i - 1].setChildEnd(n.seq, n.end);
      this.writeNode(n);
    }
  }

  private writeNode(n: NodeBuilder): void {
    const block = n.serialize();
    writeSync(this.fd, block, 0, block.length, HEADER_BYTES + n.seq * this.blockSize);
  }

  /** Closes every node, writes the attribute tree, then the header. */
  finish(attributes: AttributeTree, endTime = this.treeEnd): void {
    if (endTime < this.treeEnd) endTime = this.treeEnd;
    this.closeFrom(0);
    const rootSeq = this.branch[0].seq;
    const attrs = attributes.serialize();
    const attrsAt = HEADER_BYTES + this.nodeCount * this.blockSize;
    writeSync(this.fd, attrs, 0, attrs.length, attrsAt);
    const h = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(h, 0);
    h.writeUInt32LE(FORMAT_VERSION, 8);
    h.writeUInt32LE(this.analysisVersion, 12);
    h.writeUInt32LE(this.blockSize, 16);
    h.writeUInt32LE(this.maxChildren, 20);
    h.writeUInt32LE(this.nodeCount, 24);
    h.writeUInt32LE(rootSeq, 28);
    writeI64(h, 32, this.treeStart);
    writeI64(h, 40, endTime);
    writeI64(h, 48, attrsAt);
    h.writeUInt32LE(attrs.length, 56);
    h.writeUInt32LE(crc32(attrs), 60);
    writeI64(h, 64, this.intervals);
    h.writeUInt32LE(crc32(h.subarray(0, HEADER_BYTES - 4)), HEADER_BYTES - 4);
    writeSync(this.fd, h, 0, h.length, 0);
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Gives up a build (the file is left incomplete, so it will be rebuilt). */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

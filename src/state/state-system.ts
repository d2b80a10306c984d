/**
 * The write side of a state system: analyses say "attribute q takes value v
 * at time t" (modify) or push/pop nested states on a stack attribute; the
 * ongoing state of each attribute is kept here and, when it changes, the
 * finished interval goes to the history tree. Changes must come in time
 * order, so intervals reach the tree in end-time order.
 */
import { renameSync, rmSync } from 'node:fs';
import { AttributeTree } from './attribute-tree.js';
import { StateFileError } from './format.js';
import { HistoryReader, type OpenOptions } from './history-reader.js';
import { HistoryWriter, type HistoryOptions } from './history-writer.js';
import { sameValue, type StateValue } from './values.js';

export class StateSystemBuilder {
  readonly attributes = new AttributeTree();
  private readonly writer: HistoryWriter;
  private ongoingStart: number[] = [];
  private ongoingValue: StateValue[] = [];
  private lastTime: number;

  constructor(file: string, readonly start: number, opts: HistoryOptions = {}) {
    this.writer = new HistoryWriter(file, start, opts);
    this.lastTime = start;
  }

  /** The quark of a path (`a/b/c` or ['a','b','c']), created with a null state if new. */
  quark(path: readonly string[] | string): number {
    const q = this.attributes.quark(path);
    this.track();
    return q;
  }

  /** The quark of `name` under `parent`, created if new. */
  child(parent: number, name: string): number {
    const q = this.attributes.child(parent, name, true);
    this.track();
    return q;
  }

  private track(): void {
    while (this.ongoingStart.length < this.attributes.size) {
      this.ongoingStart.push(this.start);
      this.ongoingValue.push(null);
    }
  }

  /** Attribute q holds `value` from time t on. */
  modify(q: number, t: number, value: StateValue): void {
    if (t < this.lastTime) throw new RangeError(`state change at ${t} comes after one at ${this.lastTime}`);
    if (q < 0 || q >= this.ongoingValue.length) throw new RangeError(`unknown quark ${q}`);
    this.lastTime = t;
    const cur = this.ongoingValue[q];
    if (sameValue(cur, value)) return;
    const s = this.ongoingStart[q];
    // a state that lasted no time is replaced, not recorded
    if (t > s) this.writer.insert(q, s, t - 1, cur);
    this.ongoingStart[q] = t;
    this.ongoingValue[q] = value;
  }

  /** The ongoing value of q. */
  value(q: number): StateValue {
    return this.ongoingValue[q] ?? null;
  }

  /** Pushes a nested state: q holds the depth, its child "n" the n-th value. */
  push(q: number, t: number, value: StateValue): void {
    const depth = (this.value(q) as number | null) ?? 0;
    this.modify(q, t, depth + 1);
    this.modify(this.child(q, String(depth + 1)), t, value);
  }

  /** Pops the innermost nested state of q; returns its value (null when the stack is empty). */
  pop(q: number, t: number): StateValue {
    const depth = (this.value(q) as number | null) ?? 0;
    if (depth <= 0) return null;
    const top = this.child(q, String(depth));
    const v = this.value(top);
    this.modify(top, t, null);
    this.modify(q, t, depth - 1 === 0 ? null : depth - 1);
    return v;
  }

  /** Closes every ongoing state at `end` and writes the file's last parts. */
  close(end: number): void {
    if (end < this.lastTime) end = this.lastTime;
    for (let q = 0; q < this.ongoingValue.length; q++) {
      this.writer.insert(q, this.ongoingStart[q], end, this.ongoingValue[q]);
    }
    this.writer.finish(this.attributes, end);
  }

  abort(): void {
    this.writer.abort();
  }

  get intervals(): number {
    return this.writer.intervals;
  }
}

/**
 * Opens the history in `file` if it is finished and was written by this
 * analysis version; otherwise (missing, interrupted, older version) builds
 * it again with `build` and opens the result. A corrupt file is an error:
 * the user should know their disk or file is damaged.
 */
export function openOrBuild(
  file: string,
  opts: HistoryOptions & OpenOptions & { start: number },
  build: (b: StateSystemBuilder) => number,
): { reader: HistoryReader; rebuilt: boolean; reason?: string } {
  let reason: string | undefined;
  try {
    return { reader: new HistoryReader(file, opts), rebuilt: false };
  } catch (e) {
    if (!(e instanceof StateFileError) || e.problem === 'corrupt') throw e;
    reason = e.message;
  }
  const tmp = `${file}.building`;
  const b = new StateSystemBuilder(tmp, opts.start, opts);
  try {
    b.close(build(b));
  } catch (e) {
    b.abort();
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, file);
  return { reader: new HistoryReader(file, opts), rebuilt: true, reason };
}

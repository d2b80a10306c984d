/**
 * The interval set bench:state builds in both stores: ~1,500 attributes
 * whose states change at very different rates (so durations range from a
 * few ns to most of the trace), values of every type, in end-time order —
 * as a state system produces them. Deterministic for a given seed.
 */
import type { StateValue } from '../src/state/index.js';
import { xorshift } from '../src/util/xorshift.js';

export interface IntervalSet {
  count: number;
  attributes: number;
  quark: Int32Array;
  start: Float64Array;
  end: Float64Array;
  valueIdx: Int32Array;
  values: StateValue[];
  t0: number;
  t1: number;
  /** Bytes of the intervals as plain records: start and end (8 each), quark (4), value (4 for int, 8 for double or long, string bytes). */
  rawBytes: number;
}

export function generate(target: number, attributes = 1500, seed = 42): IntervalSet {
  const r = xorshift(seed);
  const values: StateValue[] = [null];
  for (let i = 0; i < 100; i++) values.push(i);
  for (const s of ['READ CLIENT', 'WRITE TO CLIENT', 'queued', 'GET', 'SET', 'LPUSH', 'PUBLISH', 'sleeping', 'before sleep', 'processing events']) values.push(s);
  for (let i = 0; i < 10; i++) values.push(i * 1.5 + 0.25);
  for (let i = 0; i < 5; i++) values.push(2n ** 40n + BigInt(i));
  const n = target + attributes;
  const quark = new Int32Array(n);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const valueIdx = new Int32Array(n);
  const ongoingStart = new Float64Array(attributes);
  const ongoingValue = new Int32Array(attributes);
  const t0 = 1_000_000;
  ongoingStart.fill(t0);
  let t = t0;
  let count = 0;
  const rare = attributes - 10;
  while (count < target) {
    t += 1 + Math.floor(r() * 19);
    // skewed choice: low quarks change often, high ones rarely; the last ten almost never
    let q = Math.floor(rare * r() ** 3);
    if (r() < 2e-5) q = rare + Math.floor(r() * 10);
    const s = ongoingStart[q];
    if (t <= s) continue;
    quark[count] = q;
    start[count] = s;
    end[count] = t - 1;
    valueIdx[count] = ongoingValue[q];
    count++;
    ongoingStart[q] = t;
    ongoingValue[q] = Math.floor(r() * values.length);
  }
  const t1 = t + 10;
  for (let q = 0; q < attributes; q++) {
    quark[count] = q;
    start[count] = ongoingStart[q];
    end[count] = t1;
    valueIdx[count] = ongoingValue[q];
    count++;
  }
  let rawBytes = 0;
  for (let i = 0; i < count; i++) {
    const v = values[valueIdx[i]];
    rawBytes += 20 + (v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : typeof v === 'number' && Number.isInteger(v) ? 4 : 8);
  }
  return { count, attributes, quark, start, end, valueIdx, values, t0, t1, rawBytes };
}

/**
 * bench:state — our State History Tree against SQLite with an R*Tree index,
 * on the same generated interval set (default 10 M intervals, ~1,500
 * attributes): build time, file size, single-attribute queries, full
 * queries, and 2D queries (500 attributes x 2,000 sample times). Query
 * rounds alternate between the two stores; medians are compared.
 * Last line: {"bench":"state","intervals":N,"build_ratio":..,"single_ratio":..,"full_ratio":..,"range_ratio":..,"size_ratio":..}
 * (each ratio = SQLite's figure / ours: above 1 means we are better).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeTree, HistoryReader, HistoryWriter } from '../src/state/index.js';
import { generate, type IntervalSet } from './state-data.js';
import { SqliteHistory } from './state-sqlite.js';
import { median, seconds, step } from './lib.js';
import { xorshift } from '../src/util/xorshift.js';

const INTERVALS = Number(process.env.BENCH_INTERVALS ?? 10_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Workload {
  singles: [number, number][];
  fulls: number[];
  ranges: { quarks: number[]; times: number[] }[];
}

function workload(set: IntervalSet, seed = 7): Workload {
  const r = xorshift(seed);
  const span = set.t1 - set.t0;
  const at = () => set.t0 + Math.floor(r() * span);
  const singles: [number, number][] = Array.from({ length: 4000 }, () => [at(), Math.floor(r() * set.attributes)]);
  const fulls = Array.from({ length: 60 }, at);
  const ranges = Array.from({ length: 6 }, () => {
    const width = Math.floor(span / 10);
    const from = set.t0 + Math.floor(r() * (span - width));
    const quarks = new Set<number>();
    while (quarks.size < 500) quarks.add(Math.floor(r() * set.attributes));
    const times = Array.from({ length: 2000 }, (_, i) => from + Math.floor((i * width) / 1999));
    return { quarks: [...quarks], times };
  });
  return { singles, fulls, ranges };
}

interface Store {
  single(t: number, q: number): unknown;
  full(t: number): unknown;
  range(quarks: number[], times: number[]): unknown[];
}

function timeQueries(store: Store, w: Workload): { single: number; full: number; range: number } {
  const single = seconds(() => { for (const [t, q] of w.singles) store.single(t, q); }) / w.singles.length;
  const full = seconds(() => { for (const t of w.fulls) store.full(t); }) / w.fulls.length;
  const range = seconds(() => { for (const g of w.ranges) store.range(g.quarks, g.times); }) / w.ranges.length;
  return { single, full, range };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'redtrace-bench-state-'));
  try {
    const set = step(`generating ${INTERVALS} intervals`, () => generate(INTERVALS));
    const ourFile = join(dir, 'history.ht');
    const sqlFile = join(dir, 'history.sqlite');
    const attributes = new AttributeTree();
    for (let q = 0; q < set.attributes; q++) attributes.quark(['Bench', `attr-${q}`]);
    const ourBuild = step('building the history tree', () => seconds(() => {
      const w = new HistoryWriter(ourFile, set.t0);
      for (let i = 0; i < set.count; i++) w.insert(set.quark[i], set.start[i], set.end[i], set.values[set.valueIdx[i]]);
      w.finish(attributes, set.t1);
    }));
    const sql = new SqliteHistory(sqlFile);
    const sqlBuild = step('building the SQLite R*Tree table', () => seconds(() => sql.build(set)));
    const ours = new HistoryReader(ourFile);
    const w = workload(set);
    // both stores must give the same answers before their speed means anything
    for (const [t, q] of w.singles.slice(0, 200)) {
      const a = ours.querySingle(t, q);
      const b = sql.querySingle(t, q);
      if (!a || !b || a.start !== b.start || a.end !== b.end || String(a.value) !== String(b.value)) {
        throw new Error(`stores disagree at t=${t} quark=${q}: ${JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v))} vs ${JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
    }
    const g = w.ranges[0];
    const n1 = ours.query2D(g.quarks, g.times).length;
    const n2 = sql.query2D(g.quarks, g.times).length;
    if (n1 !== n2) throw new Error(`2D query: ${n1} intervals from the tree, ${n2} from SQLite`);
    const ourStore: Store = { single: (t, q) => ours.querySingle(t, q), full: (t) => ours.queryFull(t), range: (qs, ts) => ours.query2D(qs, ts) };
    const sqlStore: Store = { single: (t, q) => sql.querySingle(t, q), full: (t) => sql.queryFull(t), range: (qs, ts) => sql.query2D(qs, ts) };
    const a: ReturnType<typeof timeQueries>[] = [];
    const b: ReturnType<typeof timeQueries>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      step(`query round ${i + 1}/${ROUNDS}`, () => {
        if (i % 2 === 0) { a.push(timeQueries(ourStore, w)); b.push(timeQueries(sqlStore, w)); }
        else { b.push(timeQueries(sqlStore, w)); a.push(timeQueries(ourStore, w)); }
      });
    }
    const m = (xs: ReturnType<typeof timeQueries>[], k: 'single' | 'full' | 'range') => median(xs.map((x) => x[k]));
    const ourSize = statSync(ourFile).size;
    const sqlSize = statSync(sqlFile).size;
    const us = (s: number) => `${(s * 1e6).toFixed(1)} us`;
    console.log(`build: tree ${ourBuild.toFixed(2)} s (${(set.count / ourBuild / 1e6).toFixed(2)} M intervals/s), SQLite ${sqlBuild.toFixed(2)} s`);
    console.log(`size: tree ${(ourSize / 1e6).toFixed(1)} MB (${(ourSize / set.rawBytes).toFixed(2)} x raw ${(set.rawBytes / 1e6).toFixed(1)} MB), SQLite ${(sqlSize / 1e6).toFixed(1)} MB; ${ours.nodeCount} nodes`);
    console.log(`single: tree ${us(m(a, 'single'))}, SQLite ${us(m(b, 'single'))}`);
    console.log(`full: tree ${us(m(a, 'full'))}, SQLite ${us(m(b, 'full'))}`);
    console.log(`2D (500 x 2000): tree ${us(m(a, 'range'))}, SQLite ${us(m(b, 'range'))}, ${n1} intervals`);
    ours.close();
    sql.close();
    const round = (x: number) => Math.round(x * 100) / 100;
    console.log(JSON.stringify({
      bench: 'state',
      intervals: set.count,
      build_ratio: round(sqlBuild / ourBuild),
      single_ratio: round(m(b, 'single') / m(a, 'single')),
      full_ratio: round(m(b, 'full') / m(a, 'full')),
      range_ratio: round(m(b, 'range') / m(a, 'range')),
      size_ratio: round(sqlSize / ourSize),
      build_intervals_per_s: Math.round(set.count / ourBuild),
      size_vs_raw: round(ourSize / set.rawBytes),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:state: ${(e as Error).message}`);
  process.exit(1);
}

/**
 * The anchor for bench:state: the same intervals in SQLite (better-sqlite3),
 * a table plus an R*Tree index on (start, end), queried the way a user
 * would. R*Tree stores 32-bit floats and rounds outward, so every query
 * re-checks the exact start and end from the table.
 */
import Database from 'better-sqlite3';
import { lowerBound } from '../src/state/lower-bound.js';
import type { IntervalSet } from './state-data.js';

type Row = { quark: number; start: number; end: number; value: unknown };

export class SqliteHistory {
  private db: Database.Database;
  private single!: Database.Statement;
  private full!: Database.Statement;
  private range!: Database.Statement;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('cache_size = -65536'); // 64 MiB, like a generous application would set
  }

  build(set: IntervalSet): void {
    const db = this.db;
    db.exec('CREATE TABLE iv (id INTEGER PRIMARY KEY, quark INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, value)');
    db.exec('CREATE VIRTUAL TABLE idx USING rtree(id, s, e)');
    const ins = db.prepare('INSERT INTO iv (id, quark, start, "end", value) VALUES (?, ?, ?, ?, ?)');
    const insIdx = db.prepare('INSERT INTO idx (id, s, e) VALUES (?, ?, ?)');
    const BATCH = 100_000;
    const tx = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const v = set.values[set.valueIdx[i]];
        ins.run(i + 1, set.quark[i], set.start[i], set.end[i], typeof v === 'bigint' ? v : v);
        insIdx.run(i + 1, set.start[i], set.end[i]);
      }
    });
    for (let i = 0; i < set.count; i += BATCH) tx(i, Math.min(set.count, i + BATCH));
    this.prepare();
  }

  private prepare(): void {
    this.db.defaultSafeIntegers(false);
    this.single = this.db.prepare('SELECT iv.quark AS quark, iv.start AS start, iv."end" AS "end", iv.value AS value FROM idx JOIN iv ON iv.id = idx.id WHERE idx.s <= @t AND idx.e >= @t AND iv.quark = @q AND iv.start <= @t AND iv."end" >= @t');
    this.full = this.db.prepare('SELECT iv.quark AS quark, iv.start AS start, iv."end" AS "end", iv.value AS value FROM idx JOIN iv ON iv.id = idx.id WHERE idx.s <= @t AND idx.e >= @t AND iv.start <= @t AND iv."end" >= @t');
    this.range = this.db.prepare('SELECT iv.quark AS quark, iv.start AS start, iv."end" AS "end", iv.value AS value FROM idx JOIN iv ON iv.id = idx.id WHERE idx.s <= @t1 AND idx.e >= @t0 AND iv.start <= @t1 AND iv."end" >= @t0');
  }

  querySingle(t: number, quark: number): Row | undefined {
    return this.single.get({ t, q: quark }) as Row | undefined;
  }

  queryFull(t: number): Row[] {
    return this.full.all({ t }) as Row[];
  }

  /** Intervals of the attributes meeting at least one sample time: one range query, filtered by attribute and samples. */
  query2D(quarks: number[], times: number[]): Row[] {
    const want = new Set(quarks);
    const out: Row[] = [];
    for (const r of this.range.iterate({ t0: times[0], t1: times[times.length - 1] }) as Iterable<Row>) {
      if (!want.has(r.quark)) continue;
      const lo = lowerBound(times, r.start);
      if (lo < times.length && times[lo] <= r.end) out.push(r);
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

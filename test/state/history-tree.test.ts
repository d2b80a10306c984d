// The State History Tree against a naive in-memory oracle: random interval
// sets (many attributes, short and long states, every value type) built into
// small blocks so the tree gets deep, then every kind of query compared.
// Also: reopening, corrupted and truncated files, a build killed mid-way.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AttributeTree, HistoryReader, HistoryWriter, StateFileError, openOrBuild, type Interval, type StateValue } from '../../src/state/index.js';
import { withTempDir } from '../support/cli.js';
import { xorshift as prng } from '../../src/util/xorshift.js';


function randomValue(r: () => number): StateValue {
  switch (Math.floor(r() * 7)) {
    case 0: return null;
    case 1: return Math.floor(r() * 100);
    case 2: return -Math.floor(r() * 2 ** 31);
    case 3: return BigInt(Math.floor(r() * 2 ** 30)) * 2n ** 33n + 12345n; // beyond 2^53
    case 4: return r() * 1e6 - 5e5;
    case 5: return ['READ CLIENT', 'WRITE TO CLIENT', 'queued', 'GET', 'état', ''][Math.floor(r() * 6)];
    default: return `conn-${Math.floor(r() * 50)}`;
  }
}

interface RandomHistory {
  file: string;
  intervals: Interval[];
  attributes: AttributeTree;
  start: number;
  end: number;
}

/** Per attribute, contiguous states of mixed lengths over [start, end]; inserted in end-time order. */
function buildRandom(dir: string, seed: number, o: { blockSize: number; maxChildren: number; quarks: number; perQuark: number }): RandomHistory {
  const r = prng(seed);
  const start = 5_000;
  const span = 10_000_000;
  const end = start + span;
  const attributes = new AttributeTree();
  const intervals: Interval[] = [];
  for (let i = 0; i < o.quarks; i++) {
    const q = attributes.quark(['Redis', `node-${i % 3}`, 'Connections', String(i), i % 2 ? 'State' : 'Type']);
    // some attributes hold few long states, most many short ones
    const n = i % 10 === 0 ? 1 + Math.floor(r() * 3) : 1 + Math.floor(r() * o.perQuark * 2);
    const cuts = new Set<number>();
    while (cuts.size < n - 1) cuts.add(start + 1 + Math.floor(r() * (span - 1)));
    const bounds = [start, ...[...cuts].sort((a, b) => a - b), end + 1];
    for (let k = 0; k + 1 < bounds.length; k++) intervals.push({ quark: q, start: bounds[k], end: bounds[k + 1] - 1, value: randomValue(r) });
  }
  intervals.sort((a, b) => a.end - b.end || a.quark - b.quark);
  const file = path.join(dir, `h${seed}.ht`);
  const w = new HistoryWriter(file, start, { blockSize: o.blockSize, maxChildren: o.maxChildren, analysisVersion: 7 });
  for (const iv of intervals) w.insert(iv.quark, iv.start, iv.end, iv.value);
  w.finish(attributes, end);
  return { file, intervals, attributes, start, end };
}

const key = (iv: Interval | undefined) => (iv ? `${iv.quark}@${iv.start}-${iv.end}=${typeof iv.value}:${String(iv.value)}` : 'none');

function oracleAt(h: RandomHistory, t: number): (Interval | undefined)[] {
  const out: (Interval | undefined)[] = new Array(h.attributes.size).fill(undefined);
  for (const iv of h.intervals) if (iv.start <= t && t <= iv.end) out[iv.quark] = iv;
  return out;
}

function checkAll(h: RandomHistory, reader: HistoryReader, seed: number): void {
  const r = prng(seed * 31);
  assert.equal(reader.intervalCount, h.intervals.length);
  assert.equal(reader.attributes.size, h.attributes.size);
  for (let q = 0; q < h.attributes.size; q++) assert.deepEqual(reader.attributes.path(q), h.attributes.path(q));
  const times = [h.start, h.end, h.start + 1, h.end - 1];
  for (let i = 0; i < 40; i++) times.push(h.start + Math.floor(r() * (h.end - h.start + 1)));
  for (const t of times) {
    const want = oracleAt(h, t);
    assert.deepEqual(reader.queryFull(t).map(key), want.map(key), `full query at ${t}`);
    for (let k = 0; k < 10; k++) {
      const q = Math.floor(r() * h.attributes.size);
      assert.equal(key(reader.querySingle(t, q)), key(want[q]), `single query of ${q} at ${t}`);
    }
  }
  assert.equal(reader.querySingle(h.end + 1, 0), undefined);
  assert.equal(reader.querySingle(h.start - 1, 0), undefined);
  for (let k = 0; k < 8; k++) {
    const quarks = [...new Set(Array.from({ length: 1 + Math.floor(r() * h.attributes.size) }, () => Math.floor(r() * h.attributes.size)))];
    const t0 = h.start + Math.floor(r() * (h.end - h.start));
    const t1 = Math.min(h.end, t0 + Math.floor(r() * 3_000_000));
    const samples = [...new Set(Array.from({ length: 2 + Math.floor(r() * 300) }, () => t0 + Math.floor(r() * (t1 - t0 + 1))))].sort((a, b) => a - b);
    const set = new Set(quarks);
    const want = h.intervals.filter((iv) => set.has(iv.quark) && samples.some((s) => iv.start <= s && s <= iv.end)).map(key).sort();
    assert.deepEqual(reader.query2D(quarks, samples).map(key).sort(), want, `2D query ${k}`);
  }
  for (let k = 0; k < 10; k++) {
    const q = Math.floor(r() * h.attributes.size);
    const t0 = h.start + Math.floor(r() * (h.end - h.start));
    const t1 = t0 + Math.floor(r() * 4_000_000);
    const want = h.intervals.filter((iv) => iv.quark === q && iv.end >= t0 && iv.start <= t1).sort((a, b) => a.start - b.start).map(key);
    assert.deepEqual([...reader.intervals(q, t0, t1)].map(key), want, `iteration of ${q}`);
  }
}

describe('history tree against an oracle', () => {
  const shapes = [
    { seed: 1, blockSize: 4096, maxChildren: 3, quarks: 60, perQuark: 40 },
    { seed: 2, blockSize: 4096, maxChildren: 50, quarks: 200, perQuark: 20 },
    { seed: 3, blockSize: 16384, maxChildren: 8, quarks: 700, perQuark: 6 },
    { seed: 4, blockSize: 65536, maxChildren: 50, quarks: 1500, perQuark: 40 },
  ];
  for (const s of shapes) {
    test(`random history ${s.seed}: ${s.quarks} attributes, ${s.blockSize}-byte blocks, fan-out ${s.maxChildren}`, () => {
      withTempDir('sht', (dir) => {
        const h = buildRandom(dir, s.seed, s);
        const reader = new HistoryReader(h.file, { analysisVersion: 7, cacheNodes: 8 });
        assert.ok(reader.nodeCount > 5, `a tree, not a single node (${reader.nodeCount} nodes)`);
        try {
          checkAll(h, reader, s.seed);
        } finally {
          reader.close();
        }
        // reopened: same answers from a new reader
        const again = new HistoryReader(h.file);
        assert.equal(key(again.querySingle(h.start, 0)), key(oracleAt(h, h.start)[0]));
        again.close();
      });
    });
  }
});

describe('state system: modify, push, pop', () => {
  test('states open and close at changes; same value does not split; nested states stack', () => {
    withTempDir('ss', (dir) => {
      const file = path.join(dir, 's.ht');
      const { reader } = openOrBuild(file, { start: 100 }, (b) => {
        const conn = b.quark('Redis/node-7001/Connections/12/State');
        b.modify(conn, 110, 'READ CLIENT');
        b.modify(conn, 120, 'READ CLIENT'); // no change
        b.modify(conn, 130, 'GET');
        b.modify(conn, 130, 'SET'); // replaces a zero-length state
        b.modify(conn, 150, null);
        const stack = b.quark('Threads/42/Operation');
        b.push(stack, 200, 'read');
        b.push(stack, 210, 'ssl read');
        assert.equal(b.pop(stack, 220), 'ssl read');
        assert.equal(b.pop(stack, 230), 'read');
        assert.equal(b.pop(stack, 240), null);
        return 300;
      });
      const conn = reader.attributes.find('Redis/node-7001/Connections/12/State');
      const states = [...reader.intervals(conn, 0, 1000)].map((i) => [i.start, i.end, i.value]);
      assert.deepEqual(states, [[100, 109, null], [110, 129, 'READ CLIENT'], [130, 149, 'SET'], [150, 300, null]]);
      const stack = reader.attributes.find('Threads/42/Operation');
      const depth = [...reader.intervals(stack, 0, 1000)].map((i) => [i.start, i.value]);
      assert.deepEqual(depth, [[100, null], [200, 1], [210, 2], [220, 1], [230, null]]);
      assert.equal(reader.valueAt(215, reader.attributes.find('Threads/42/Operation/2')), 'ssl read');
      assert.equal(reader.valueAt(215, reader.attributes.find('Threads/42/Operation/1')), 'read');
      assert.equal(reader.valueAt(225, reader.attributes.find('Threads/42/Operation/2')), null);
      reader.close();
    });
  });
});

describe('history files that cannot be used', () => {
  test('another analysis version is refused as "version" and openOrBuild rebuilds it', () => {
    withTempDir('ver', (dir) => {
      const h = buildRandom(dir, 5, { blockSize: 4096, maxChildren: 4, quarks: 10, perQuark: 5 });
      assert.throws(() => new HistoryReader(h.file, { analysisVersion: 8 }), (e: unknown) => e instanceof StateFileError && e.problem === 'version');
      const { reader, rebuilt } = openOrBuild(h.file, { start: 0, analysisVersion: 8 }, (b) => {
        b.modify(b.quark('a/b'), 10, 42);
        return 20;
      });
      assert.equal(rebuilt, true);
      assert.equal(reader.valueAt(15, reader.attributes.find('a/b')), 42);
      reader.close();
      const second = openOrBuild(h.file, { start: 0, analysisVersion: 8 }, () => assert.fail('must not rebuild'));
      assert.equal(second.rebuilt, false);
      second.reader.close();
    });
  });

  test('a flipped byte in a node, a truncated file, a file of garbage: clear StateFileError', () => {
    withTempDir('bad', (dir) => {
      const h = buildRandom(dir, 6, { blockSize: 4096, maxChildren: 4, quarks: 50, perQuark: 30 });
      const pristine = fs.readFileSync(h.file);
      const flipped = Buffer.from(pristine);
      flipped[4096 + 4096 + 700] ^= 0x40; // inside node 1
      fs.writeFileSync(h.file, flipped);
      const reader = new HistoryReader(h.file);
      assert.throws(() => { for (let t = h.start; t <= h.end; t += 10_000) reader.queryFull(t); }, (e: unknown) => e instanceof StateFileError && e.problem === 'corrupt' && /node 1: checksum/.test(e.message));
      reader.close();
      fs.writeFileSync(h.file, pristine.subarray(0, pristine.length - 100));
      assert.throws(() => new HistoryReader(h.file), (e: unknown) => e instanceof StateFileError && e.problem === 'corrupt' && /truncated/.test(e.message));
      fs.writeFileSync(h.file, Buffer.alloc(10000, 7));
      assert.throws(() => new HistoryReader(h.file), (e: unknown) => e instanceof StateFileError && /bad magic/.test(e.message));
      fs.writeFileSync(h.file, pristine.subarray(0, 100));
      assert.throws(() => new HistoryReader(h.file), (e: unknown) => e instanceof StateFileError && e.problem === 'incomplete');
    });
  });

  test('a build killed with SIGKILL half-way is detected as incomplete, then rebuilt', async () => {
    await (async () => {
      const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-kill-'));
      try {
        const file = path.join(dir, 'killed.ht');
        const child = spawn(process.execPath, [fileURLToPath(new URL('./build-forever.js', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'inherit'] });
        // wait until the child has written real nodes, then kill it without warning
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => { if (d.includes('nodes-written')) resolve(); });
          child.on('exit', () => reject(new Error('builder exited early')));
        });
        child.kill('SIGKILL');
        await new Promise((r) => child.on('exit', r));
        assert.ok(fs.statSync(file).size > 100_000, 'the killed build had written nodes');
        assert.throws(() => new HistoryReader(file), (e: unknown) => e instanceof StateFileError && e.problem === 'incomplete');
        const { reader, rebuilt } = openOrBuild(file, { start: 0 }, (b) => { b.modify(b.quark('x'), 5, 'done'); return 9; });
        assert.ok(rebuilt);
        assert.equal(reader.valueAt(7, reader.attributes.find('x')), 'done');
        reader.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    })();
  });
});

// The reader on inputs that stress its bounded window (a stream that is one
// 4 MiB packet, an event larger than the window) and on corrupted traces:
// every corruption ends in a CtfError (one clear line), never another
// exception, a hang or a huge allocation.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CtfError, CtfReader } from '../../src/ctf/index.js';
import { fixtures } from '../fixtures/index.js';
import { BitWriter } from '../support/ctf-writer.js';
import { writeTrace } from '../support/ctf-trace.js';
import { babeltrace2, firstDifference, redtrace, withTempDir } from '../support/cli.js';
import { xorshift as prng } from '../../src/util/xorshift.js';

const BIG_META = `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
trace { major = 1; minor = 8; byte_order = le; };
clock { name = mono; freq = 1000000000; offset_s = 1700000000; };
typealias integer { size = 64; align = 8; signed = false; map = clock.mono.value; } := ts_t;
stream { event.header := struct { ts_t timestamp; }; };
event { name = "big:chunk"; fields := struct { uint32_t n; string s; uint16_t len; uint8_t bytes[len]; }; };
`;

/** Deterministic pseudo-random numbers, so a failure can be replayed. */

describe('bounded window', () => {
  test('a stream that is one 4 MiB packet (events across window edges) reads as babeltrace2 reads it', () => {
    withTempDir('big', (dir) => {
      const rand = prng(7);
      const w = new BitWriter();
      let ts = 1000n;
      for (let n = 0; n < 4000; n++) {
        ts += BigInt(1 + Math.floor(rand() * 5000));
        const s = 'abcd'.repeat(1 + Math.floor(rand() * 400)) // never empty: babeltrace2 2.0.4 prints the previous string for an empty one;
        const len = Math.floor(rand() * 40);
        w.uint(64, ts).uint(32, n).string(s).uint(16, len);
        for (let i = 0; i < len; i++) w.uint(8, (n + i) & 0xff);
      }
      writeTrace(dir, { metadata: BIG_META, streams: [{ name: 'stream_0', data: w.bytes() }] });
      assert.ok(fs.statSync(path.join(dir, 'stream_0')).size > 3 << 20);
      const ref = babeltrace2([dir]);
      assert.equal(ref.status, 0, ref.stderr);
      const ours = redtrace(['events', dir]);
      assert.equal(ours.status, 0, ours.stderr);
      assert.ok(ours.stdout.equals(ref.stdout), firstDifference(ref.stdout, ours.stdout));
    });
  });

  // babeltrace2 needs tens of seconds for a megabyte string, so this one is checked against what was written.
  test('an event larger than the window (a 3 MiB string) is read whole', () => {
    withTempDir('huge', (dir) => {
      const big = 'y'.repeat(3 << 20);
      const w = new BitWriter();
      ['a', big, 'b'].forEach((s, n) => w.uint(64, 100 + n).uint(32, n).string(s).uint(16, 1).uint(8, n));
      writeTrace(dir, { metadata: BIG_META, streams: [{ name: 'stream_0', data: w.bytes() }] });
      const r = CtfReader.open([dir]);
      const got: { n: number; s: string; bytes: number[] }[] = [];
      for (let ev = r.next(); ev; ev = r.next()) got.push(ev.payload as { n: number; s: string; bytes: number[] });
      assert.deepEqual(got.map((p) => [p.n, p.s.length, p.bytes]), [[0, 1, [0]], [1, big.length, [1]], [2, 1, [2]]]);
      assert.equal(got[1].s, big);
    });
  });
});

describe('empty strings', () => {
  test('an empty string after a non-empty one is empty (babeltrace2 2.0.4 repeats the previous string)', () => {
    withTempDir('empty', (dir) => {
      const w = new BitWriter();
      ['abc', '', 'x', ''].forEach((s, n) => {
        w.uint(64, 10 + n).uint(32, n).string(s).uint(16, 0);
      });
      writeTrace(dir, { metadata: BIG_META, streams: [{ name: 'stream_0', data: w.bytes() }] });
      const r = CtfReader.open([dir]);
      const got: unknown[] = [];
      for (let ev = r.next(); ev; ev = r.next()) got.push((ev.payload as { s: string }).s);
      assert.deepEqual(got, ['abc', '', 'x', '']);
    });
  });
});

function readAll(dir: string): number {
  const r = CtfReader.open([dir]);
  let n = 0;
  try {
    for (let ev = r.next(); ev; ev = r.next()) n++;
  } finally {
    r.close();
  }
  return n;
}

/** Reads a corrupted trace: success and CtfError are fine; anything else is a bug. */
function expectCleanOutcome(dir: string, what: string): 'ok' | 'error' {
  try {
    readAll(dir);
    return 'ok';
  } catch (e) {
    if (e instanceof CtfError) {
      assert.doesNotMatch(e.message, /\n/, `one line: ${what}`);
      return 'error';
    }
    throw new Error(`${what}: ${(e as Error).stack}`);
  }
}

describe('corrupted traces', () => {
  const names = ['lttng-basic', 'per-cpu-streams', 'compact-header-wrap', 'arrays-sequences', 'variants', 'packets-discarded-lost', 'metadata-packetized-le'];
  for (const name of names) {
    test(`${name}: random byte flips and truncations end in CtfError or a clean read`, () => {
      withTempDir(`corrupt-${name}`, (base) => {
        const pristine = path.join(base, 'pristine');
        fixtures.find((f) => f.name === name)!.build(pristine);
        const files = fs.readdirSync(pristine).filter((f) => fs.statSync(path.join(pristine, f)).isFile());
        const rand = prng(name.length * 7919);
        const outcomes = { ok: 0, error: 0 };
        for (let i = 0; i < 60; i++) {
          const dir = path.join(base, `m${i}`);
          fs.cpSync(pristine, dir, { recursive: true });
          const file = path.join(dir, files[Math.floor(rand() * files.length)]);
          const data = fs.readFileSync(file);
          let what: string;
          if (i % 4 === 3) {
            const cut = Math.floor(rand() * data.length);
            fs.writeFileSync(file, data.subarray(0, cut));
            what = `${path.basename(file)} truncated to ${cut}`;
          } else {
            const flips = 1 + Math.floor(rand() * 4);
            const at: number[] = [];
            for (let k = 0; k < flips; k++) {
              const o = Math.floor(rand() * data.length);
              data[o] ^= 1 + Math.floor(rand() * 255);
              at.push(o);
            }
            fs.writeFileSync(file, data);
            what = `${path.basename(file)} bytes ${at.join(',')} flipped`;
          }
          outcomes[expectCleanOutcome(dir, `${name}: ${what}`)]++;
          fs.rmSync(dir, { recursive: true });
        }
        assert.ok(outcomes.error > 0, 'some corruptions are detected');
      });
    });
  }
});

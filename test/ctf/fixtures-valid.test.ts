// Validates the hand-made CTF fixtures against babeltrace2 (the reference
// reader), and the bit layout of the writer they are built with.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { BitWriter } from '../support/ctf-writer.js';
import { packetizeMetadata } from '../support/ctf-trace.js';
import { fixtures } from '../fixtures/index.js';


interface Bt2Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  events: string[];
  stderr: string;
}

function runBt2(dir: string): Bt2Run {
  // babeltrace2 allocates sequences up front (16 GiB for err-huge-sequence): cap its address space.
  const r = spawnSync('bash', ['-c', 'ulimit -v 4000000 && exec babeltrace2 "$1"', 'bt2', dir], {
    env: { ...process.env, TZ: 'UTC' },
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  // Event lines go to stdout; discarded events/packets WARNING lines go to stderr.
  const events = r.stdout.split('\n').filter((l) => /^\S.*: \{.*\}$/.test(l));
  return { status: r.status, signal: r.signal, events, stderr: r.stderr };
}

function withTempDir(name: string, fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redtrace-${name}-`));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ctf fixtures read by babeltrace2', () => {
  test('babeltrace2 is installed (npm test installs it)', () => {
    assert.equal(spawnSync('babeltrace2', ['--version']).status, 0);
  });

  test('fixture names are unique', () => {
    assert.equal(new Set(fixtures.map((f) => f.name)).size, fixtures.length);
  });

  for (const f of fixtures) {
    test(f.name, () => {
      withTempDir(f.name, (dir) => {
        f.build(dir);
        const r = runBt2(dir);
        const why = `${f.name}: status ${r.status} signal ${r.signal}\n${r.stderr.slice(-2000)}`;
        if (f.expectError) {
          if (!f.bt2Accepts) assert.ok(r.status !== 0, `babeltrace2 accepted error fixture ${why}`);
        } else if (f.bt2Wrong) {
          // Not a reference: bt2 may fail, but if it reads the trace it must see every event.
          if (r.status === 0 && f.events !== undefined) assert.equal(r.events.length, f.events, why);
        } else {
          assert.equal(r.status, 0, why);
          assert.ok(r.events.length >= 1, `no event line: ${why}`);
          if (f.events !== undefined) assert.equal(r.events.length, f.events, why);
        }
      });
    });
  }
});

describe('BitWriter layout (CTF 1.8 §4.1.5)', () => {
  test('little-endian bit-fields fill bytes from the least significant bit', () => {
    const w = new BitWriter().uint(3, 0b101).uint(5, 0b11111).uint(13, 0x1234).int(3, -1);
    // 0x1234 = 1_0010_0011_0100: its low 8 bits fill byte 1, the high 5 bits the low bits of byte 2.
    assert.deepEqual([...w.bytes()], [0xfd, 0x34, 0xf2]);
    assert.equal(w.bitPos, 24);
  });

  test('big-endian bit-fields fill bytes from the most significant bit', () => {
    const w = new BitWriter().uint(3, 0b101, 'be').uint(5, 0b00001, 'be').uint(13, 0x1234, 'be').int(3, -1, 'be');
    // 0x1234 as 13 bits, MSB first: 1001000110100, then 111.
    assert.deepEqual([...w.bytes()], [0xa1, 0x91, 0xa7]);
  });

  test('alignment, wide values, floats and strings', () => {
    const w = new BitWriter().uint(1, 1).align(64).uint(64, 2n ** 64n - 1n).int(64, -(2n ** 63n), 'be');
    w.float32(-1.5, 'be').float64(0.1).string('é');
    const b = w.bytes();
    assert.equal(b.readBigUInt64LE(8), 2n ** 64n - 1n);
    assert.equal(b.readBigInt64BE(16), -(2n ** 63n));
    assert.equal(b.readFloatBE(24), -1.5);
    assert.equal(b.readDoubleLE(28), 0.1);
    assert.deepEqual([...b.subarray(36)], [0xc3, 0xa9, 0]);
    assert.throws(() => new BitWriter().uint(3, 8), RangeError);
    assert.throws(() => new BitWriter().int(4, -9), RangeError);
    assert.throws(() => new BitWriter().uint(64, 2 ** 60), RangeError);
  });

  test('packetized metadata: 37-byte headers, split text, padding', () => {
    const text = '/* CTF 1.8 */ trace { uuid = "00112233-4455-6677-8899-aabbccddeeff"; };';
    const m = packetizeMetadata(text, { byteOrder: 'be', chunk: 10, padTo: 64 });
    assert.equal(m.length, Math.ceil(text.length / 10) * 64);
    assert.equal(m.readUInt32BE(0), 0x75d11d57);
    assert.equal(m.subarray(4, 20).toString('hex'), '00112233445566778899aabbccddeeff');
    assert.equal(m.readUInt32BE(24), (37 + 10) * 8); // content_size
    assert.equal(m.readUInt32BE(28), 64 * 8); // packet_size
    assert.deepEqual([...m.subarray(32, 37)], [0, 0, 0, 1, 8]);
    assert.equal(m.subarray(37, 47).toString(), text.slice(0, 10));
  });
});

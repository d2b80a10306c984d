// Planning each host's clock from the messages between hosts: a chain of
// hosts whose ends never talk to each other (transforms composed along the
// chain, bounds added up), hosts with nothing or too little to go on, and
// messages whose recorded times contradict causality.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan } from '../../src/experiment/hosts.js';
import { synchroniseRobust } from '../../src/experiment/clock-sync.js';
import type { Flow } from '../../src/experiment/messages.js';
import { xorshift } from '../../src/util/xorshift.js';

/** Each host's clock as a function of true time: rate and offset. */
const CLOCKS: Record<string, [number, number]> = {
  A: [1 + 30e-6, 4_000_000_000],
  B: [1, 0],
  C: [1 - 80e-6, -2_500_000_000],
  D: [1 + 150e-6, 7_000_000],
  E: [1, 1_000],
  F: [1, 0],
  G: [1, 0],
};
const read = (h: string, t: number) => CLOCKS[h][0] * t + CLOCKS[h][1];
const trueTime = (h: string, x: number) => (x - CLOCKS[h][1]) / CLOCKS[h][0];

function messages(seed: number, from: string, to: string, n: number): Flow {
  const r = xorshift(seed);
  const f: Flow = { from, to, sent: [], received: [] };
  let t = 10_000_000_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 20_000_000);
    f.sent.push(read(from, t));
    f.received.push(read(to, t + 20_000 + r() * 300_000));
  }
  return f;
}

test('hosts that never exchanged messages are synchronised through a chain of hosts that did', () => {
  const flows = [
    messages(1, 'A', 'B', 300), messages(2, 'B', 'A', 300),
    messages(3, 'B', 'C', 200), messages(4, 'C', 'B', 200),
    messages(5, 'C', 'D', 200), messages(6, 'D', 'C', 200),
    messages(7, 'F', 'G', 50), // one way only
  ];
  const names = Object.keys(CLOCKS);
  const hosts = plan(names, new Map(names.map((h) => [h, 1])), flows);
  const by = new Map(hosts.map((h) => [h.host, h]));
  // B and C talk to two hosts each; B exchanged more messages
  assert.equal(by.get('B')!.status, 'reference');
  assert.deepEqual(by.get('D')!.via, ['D', 'C', 'B']);
  assert.deepEqual(by.get('A')!.via, ['A', 'B']);
  // the bound of a composed transform adds up those of its links
  assert.ok(by.get('D')!.accuracyNs! > by.get('C')!.accuracyNs!);
  for (const h of ['A', 'C', 'D']) {
    const c = by.get(h)!;
    assert.equal(c.status, 'synchronised');
    const [from, to] = c.covered!;
    assert.ok(to - from > 1e9, `${h}: covered ${from}..${to}`);
    for (let k = 0; k <= 10; k++) {
      const ref = from + ((to - from) * k) / 10;
      const x = read(h, trueTime('B', ref));
      const err = c.transform.slope * x + c.transform.offset - ref;
      assert.ok(Math.abs(err) <= c.accuracyNs! + 1e-3, `${h}: error ${err} ns exceeds ${c.accuracyNs}`);
    }
    // the drift comes out within what the bound allows over the covered times
    const drift = (CLOCKS.B[0] / CLOCKS[h][0] - 1) * 1e6;
    assert.ok(Math.abs((c.transform.slope - 1) * 1e6 - drift) <= ((2 * c.accuracyNs!) / (to - from)) * 1e6 + 1e-6);
  }
  assert.deepEqual([by.get('E')!.status, by.get('E')!.reason], ['not synchronised', 'no messages with other hosts']);
  assert.deepEqual([by.get('F')!.status, by.get('F')!.reason], ['not synchronised', 'too few messages each way with G']);
  assert.deepEqual(by.get('E')!.transform, { slope: 1, offset: 0 });
});

test('messages recorded after their receive are left out, and the rest still bound the clock', () => {
  const r = xorshift(42);
  const slope = 1 + 40e-6;
  const offset = 1_234_567;
  const aToB: [number, number][] = [];
  const bToA: [number, number][] = [];
  let t = 0;
  for (let i = 0; i < 400; i++) {
    t += Math.floor(r() * 5_000_000);
    const lat = 30_000 + r() * 100_000;
    // one message in 20 has its send time taken well after the send (as a late-published event)
    const late = i % 20 === 7 ? 400_000 : 0;
    if (i % 2) aToB.push([t + late, slope * (t + lat) + offset]);
    else bToA.push([t + lat, slope * (t - late) + offset]);
  }
  const s = synchroniseRobust(aToB, bToA)!;
  assert.ok(s, 'a result');
  assert.equal(s.dropped, 20, 'exactly the late ones are left out');
  for (const [x] of [...aToB, ...bToA]) {
    if (x < s.fromX || x > s.toX) continue;
    const err = Math.abs(s.transform.slope * x + s.transform.offset - (slope * x + offset));
    assert.ok(err <= s.accuracyNs + 1e-3, `error ${err} ns exceeds ${s.accuracyNs}`);
  }
});

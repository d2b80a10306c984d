// Clock synchronisation: a host whose clock is shifted and drifts by known
// amounts, messages both ways with random latencies; the convex-hull method
// must recover the transform within the accuracy bound it reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { synchronise } from '../../src/experiment/clock-sync.js';
import { xorshift } from '../../src/util/xorshift.js';

function messages(seed: number, n: number, slope: number, offset: number, minLat: number, maxLat: number) {
  const r = xorshift(seed);
  const toB = (a: number) => slope * a + offset;
  const aToB: [number, number][] = [];
  const bToA: [number, number][] = [];
  let t = 1_000_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 5_000_000);
    const lat = minLat + r() * (maxLat - minLat);
    if (r() < 0.5) aToB.push([t, toB(t + lat)]); // sent on A at t, received on B lat later
    else bToA.push([t + lat, toB(t)]); // sent on B at (A time t), received on A lat later
  }
  return { aToB, bToA, toB };
}

for (const [name, slope, offset] of [['shift only', 1, 5_000_000_000], ['shift and drift', 1 + 20e-6, -3_000_000_000], ['fast drift', 1 - 150e-6, 123_456_789]] as const) {
  test(`clock sync recovers ${name} within its accuracy bound`, () => {
    const { aToB, bToA, toB } = messages(name.length, 400, slope, offset, 20_000, 200_000);
    const s = synchronise(aToB, bToA)!;
    assert.ok(s, 'a result');
    assert.ok(s.accuracyNs > 0 && s.accuracyNs < 200_000, `accuracy ${s.accuracyNs} ns`);
    for (const [x] of [...aToB, ...bToA]) {
      const err = Math.abs(s.transform.slope * x + s.transform.offset - toB(x));
      assert.ok(err <= s.accuracyNs + 1e-3, `error ${err} ns at ${x} exceeds the bound ${s.accuracyNs}`);
    }
  });
}

test('too few messages, or messages no clock can explain, give no result', () => {
  assert.equal(synchronise([[0, 10]], [[5, 2]]), undefined);
  // B receives before A sends, and A receives before B sends: contradictory
  assert.equal(synchronise([[100, 0], [200, 100]], [[100, 500], [200, 600]]), undefined);
});

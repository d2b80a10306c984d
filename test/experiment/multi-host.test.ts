// Clock synchronisation across hosts, end to end: the example system
// (gateway → service → instrumented Redis) recorded for real as three traces,
// then copies rewritten as if each trace came from its own host — the service
// and the gateway with clocks shifted by known offsets and running at known
// wrong rates. `redtrace analyze` must find each host's clock from the HTTP
// and Redis messages between them, within the accuracy it prints, and the
// request trees must link and time as on one host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { analyze, type AnalysisResult } from '../../src/analysis/run.js';
import type { TreeNode } from '../../src/analysis/integration/request-tree.js';
import { findTraces } from '../../src/ctf/index.js';
import { redtrace } from '../support/cli.js';
import { clockBase, copyWithClocks, recordSplitSystem, type FakeClock } from './split-traces.js';

const REQUESTS = 30;
const G = 1000000000n;

const flat = (n: TreeNode): TreeNode[] => [n, ...n.children.flatMap(flat)];
const shape = (n: TreeNode): unknown => [n.kind, n.label, n.where.split('@')[0], n.children.map(shape)];

describe('clock synchronisation of traces from several hosts', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-sync-'));
  const recorded = path.join(tmp, 'recorded');
  const recordedLight = path.join(tmp, 'recorded-light');
  // one host, every trace on the Redis trace's clock: the truth the other copies are compared with
  const baseline = path.join(tmp, 'baseline');
  const renamed = path.join(tmp, 'renamed');
  const shifted = path.join(tmp, 'shifted');
  const light = path.join(tmp, 'light');
  let origin = 0n; // ns from the clock origin of cycle 0, on the baseline
  const clocks: Record<string, (rel: string) => FakeClock> = {};
  const results: Record<string, AnalysisResult> = {};
  const hostOfRel = (rel: string) => (rel.startsWith('redis') ? 'host-a' : rel.startsWith('service') ? 'host-b' : 'host-c');

  before(() => {
    recordSplitSystem(recorded, REQUESTS);
    recordSplitSystem(recordedLight, REQUESTS, 'light');
    const redisTrace = findTraces([path.join(recorded, 'redis')])[0].dir;
    origin = clockBase(redisTrace);
    clocks.baseline = () => ({ hostname: 'one-host', baseNs: origin, freq: G });
    clocks.renamed = (rel) => ({ hostname: hostOfRel(rel), baseNs: origin, freq: G });
    // a clock `ahead` ns ahead at the time of the recording, at frequency `freq`
    const now = process.hrtime.bigint(); // CLOCK_MONOTONIC, as the traces' cycles
    const skewed = (hostname: string, ahead: bigint, freq: bigint): FakeClock => ({ hostname, freq, baseNs: origin + ahead + now - (now * G) / freq });
    clocks.shifted = (rel) => ({
      'host-a': { hostname: 'host-a', baseNs: origin, freq: G },
      'host-b': skewed('host-b', 2_500_000_000n, G + 200_000n), // 200 ppm slow
      'host-c': skewed('host-c', -1_300_000_000n, G - 100_000n), // 100 ppm fast
    })[hostOfRel(rel)]!;
    // the light profile's Redis events carry the read and write times the messages need
    clocks.light = clocks.shifted;
    for (const [name, dir] of [['baseline', baseline], ['renamed', renamed], ['shifted', shifted], ['light', light]] as const) {
      // every copy's clocks are set from `origin`: whatever each recording's own offsets were
      copyWithClocks(name === 'light' ? recordedLight : recorded, dir, clocks[name]);
      results[name] = analyze([dir]);
    }
  });

  // Times below are ns from `origin` (doubles would lose the ns far from it).
  const clockOf = (copy: string, h: string) => clocks[copy]({ 'host-a': 'redis', 'host-b': 'service', 'host-c': 'gateway' }[h]!);
  /** A true time (the baseline's clock) as host `h` of a copy reads it. */
  const hostTime = (copy: string, h: string, trueNs: number): number => {
    const c = clockOf(copy, h);
    return Number(c.baseNs - origin) + (trueNs * 1e9) / Number(c.freq);
  };
  /** The true time at which host `h` of a copy reads `hostNs`. */
  const trueTime = (copy: string, h: string, hostNs: number): number => {
    const c = clockOf(copy, h);
    return ((hostNs - Number(c.baseNs - origin)) * Number(c.freq)) / 1e9;
  };
  /** An analysis time as a time from `origin`. */
  const abs = (r: AnalysisResult, key: number) => Number(BigInt(r.clocks.originNs) - origin) + key;

  test('traces of one host need no synchronisation: identity, times as recorded', () => {
    const r = results.baseline;
    assert.equal(r.clocks.hosts.length, 1);
    assert.deepEqual(
      r.clocks.hosts.map((h) => [h.host, h.status, h.slope, h.offsetNs, h.traces]),
      [['one-host', 'reference', 1, 0, 3]],
    );
    assert.equal(r.clocks.reference, 'one-host');
    // times are the recorded ones: the origin is the earliest trace's clock base (its cycles
    // rounded down to 2^32), not moved back for any transform
    assert.equal((BigInt(r.clocks.originNs) - origin) % (1n << 32n), 0n);
  });

  for (const copy of ['renamed', 'shifted', 'light']) {
    test(`${copy} clocks: each host's transform is found within the accuracy reported`, () => {
      const r = results[copy];
      const ref = r.clocks.reference!;
      // the service talks to both others: it is the reference; every host is reached
      assert.equal(ref, 'host-b');
      assert.deepEqual(r.clocks.hosts.map((h) => [h.host, h.status]), [['host-a', 'synchronised'], ['host-b', 'reference'], ['host-c', 'synchronised']]);
      for (const h of r.clocks.hosts.filter((x) => x.status === 'synchronised')) {
        assert.ok(h.pairs >= 2 * REQUESTS, `${h.host}: ${h.pairs} pairs`);
        assert.equal(h.dropped, 0, `${h.host}: no message contradicts causality`);
        // Redis messages are tight (tens of µs on loopback); HTTP ones too, a request being bounded by when
        // the client recorded it and a response by the end of the calls its request made (the gateway,
        // host-c, has only HTTP messages: bounded by the whole handling time, it was some 0.55 ms)
        assert.ok(h.accuracyNs! > 0 && h.accuracyNs! < 500_000, `${h.host}: accuracy ${h.accuracyNs} ns`);
        const [from, to] = h.coveredNs!;
        assert.ok(to - from > 500_000_000, `${h.host}: messages over ${to - from} ns`);
        // at the ends (and so everywhere between) of what the messages cover, the transform is within the bound
        for (const refKey of [from, (from + to) / 2, to]) {
          // the true time at that reference time, then the host's time of it
          const hostKey = hostTime(copy, h.host, trueTime(copy, ref, abs(r, refKey))) - abs(r, 0);
          const err = h.slope * hostKey + h.offsetNs - refKey;
          assert.ok(Math.abs(err) <= h.accuracyNs! + 3, `${h.host}: error ${err} ns at ${refKey} exceeds the bound ${h.accuracyNs}`);
        }
        // the printed offset (at its first message) and drift, against the truth
        const trueAtFrom = trueTime(copy, ref, abs(r, from));
        const offset = hostTime(copy, h.host, trueAtFrom) - abs(r, from);
        assert.ok(Math.abs(h.clockOffsetNs - offset) <= h.accuracyNs! + 3, `${h.host}: offset ${h.clockOffsetNs} ns, truly ${offset}`);
        const rate = (hostTime(copy, h.host, trueAtFrom + 1e9) - hostTime(copy, h.host, trueAtFrom)) / (hostTime(copy, ref, trueAtFrom + 1e9) - hostTime(copy, ref, trueAtFrom));
        const drift = (rate - 1) * 1e6;
        assert.ok(Math.abs(h.driftPpm - drift) <= h.driftBoundPpm! + 1e-3, `${h.host}: drift ${h.driftPpm} ppm, truly ${drift} (bound ${h.driftBoundPpm})`);
        if (copy !== 'renamed' && h.host === 'host-a') assert.ok(h.driftBoundPpm! < 100, `the Redis messages pin the 200 ppm drift down: bound ${h.driftBoundPpm} ppm, over ${to - from} ns, accuracy ${h.accuracyNs} ns`);
      }
    });

    if (copy === 'light') continue; // another recording: other trees
    test(`${copy} clocks: request trees link as on one host, at the same times within the accuracy`, () => {
      const one = results.baseline;
      const r = results[copy];
      assert.deepEqual(r.links, one.links);
      assert.equal(r.roots.length, one.roots.length);
      assert.deepEqual(r.roots.map(shape), one.roots.map(shape));
      const acc = new Map(r.clocks.hosts.map((h) => [h.host, h.accuracyNs ?? 0]));
      const ref = r.clocks.reference!;
      r.roots.forEach((root, i) => {
        const nodes = flat(root);
        const truth = flat(one.roots[i]);
        nodes.forEach((n, j) => {
          const host = n.where.includes('@') ? n.where.split('@')[1] : 'host-a'; // phases happen in Redis
          for (const [t, t0] of [[n.start, truth[j].start], [n.end, truth[j].end]]) {
            const expected = hostTime(copy, ref, abs(one, t0));
            const err = abs(r, t) - expected;
            assert.ok(Math.abs(err) <= acc.get(host)! + 3, `${n.label} on ${host}: ${err} ns off (accuracy ${acc.get(host)})`);
          }
        });
      });
    });
  }

  test('redtrace analyze prints each host with its offset, drift and accuracy', () => {
    const a = redtrace(['analyze', shifted]);
    assert.equal(a.status, 0, a.stderr);
    const line = a.stdout.toString().split('\n').find((l) => l.startsWith('hosts: '));
    assert.match(line ?? '', /^hosts: host-b \(reference\); host-a: offset -\d+\.\d µs, drift \+\d+\.\d\d ppm, ± \d+\.\d µs from \d+ pairs; host-c: offset -\d+\.\d µs, drift [+-]\d+\.\d\d ppm, ± \d+\.\d µs from \d+ pairs$/);
    const j = redtrace(['analyze', shifted, '--json']);
    const clocks = JSON.parse(j.stdout.toString()).clocks;
    assert.deepEqual(clocks.hosts.map((h: { host: string }) => h.host), ['host-a', 'host-b', 'host-c']);
    assert.equal(clocks.reference, 'host-b');
  });

  test('a host that exchanged no message with the others is left as recorded, and said so', () => {
    const alone = path.join(tmp, 'alone');
    copyWithClocks(recorded, alone, (rel) => ({ hostname: rel.startsWith('redis') ? 'host-a' : 'host-b', baseNs: origin, freq: G }));
    // the gateway's trace alone on a third host talks to nobody once the service's trace is left out
    const a = redtrace(['analyze', path.join(alone, 'redis'), path.join(alone, 'gateway')]);
    assert.equal(a.status, 0, a.stderr);
    const line = a.stdout.toString().split('\n').find((l) => l.startsWith('hosts: '));
    assert.equal(line, 'hosts: host-a (reference); host-b: not synchronised: no messages with other hosts');
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

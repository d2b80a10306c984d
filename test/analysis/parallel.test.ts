// Several traces analysed in parallel (worker threads), end to end: a real
// 3-node cluster of the instrumented Redis recorded by two `redtrace record`
// sessions at once, each with its own LTTng session daemon — two nodes and
// the Node.js service (ioredis's cluster client, traced by the agent) in one
// trace, the third node in the other. The analysis with one worker per trace
// must give exactly what one pass gives: commands, links, request trees (bus
// hops between the traces included), nodes, and every state of the model,
// read from the per-trace history files. Also on a copy where the second
// trace comes from another host whose clock runs ahead and slow (so both
// modes apply the same clock transform).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyze, type AnalysisResult } from '../../src/analysis/run.js';
import type { TreeNode } from '../../src/analysis/integration/request-tree.js';
import { CtfReader, findTraces } from '../../src/ctf/index.js';
import { planClocks } from '../../src/experiment/hosts.js';
import { freePort } from '../../src/record/free-port.js';
import { sh } from '../../src/record/private-session.js';
import { buildRedis } from '../../src/record/redis-build.js';
import { HistoryReader } from '../../src/state/index.js';
import { redtrace } from '../support/cli.js';
import { clockBase, copyWithClocks } from '../experiment/split-traces.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRIVATE = here('../../../scripts/lttng-private.sh');
const REDTRACE = here('../../src/cli/main.js');
const REQUESTS = 12;
const G = 1000000000n;

/** Runs a script under `redtrace record` with a session daemon of its own. */
function record(out: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(PRIVATE, [`${sh(process.execPath)} ${sh(REDTRACE)} record -o ${sh(out)} -- bash -c ${sh(script)}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGTERM'), 150_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`recording ${path.basename(out)} failed (${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Records the cluster: nodes 1 and 2 and the service into `a`, node 3 into `b`. */
async function recordTwo(a: string, b: string, work: string): Promise<void> {
  const bins = buildRedis();
  const ports = [freePort(), freePort(), freePort()];
  const bus = ports.map(() => freePort());
  const service = freePort();
  const cli = sh(bins.cli);
  const flag = (f: string) => sh(path.join(work, f));
  const server = (i: number) => [
    `mkdir -p ${flag(`n${i}`)}`,
    `${sh(bins.server)} --port ${ports[i]} --cluster-port ${bus[i]} --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file ${flag(`n${i}/nodes.conf`)} --dir ${flag(`n${i}`)} --save '' --appendonly no >${flag(`n${i}/log`)} 2>&1 & r${i}=$!`,
    `for i in $(seq 200); do ${cli} -p ${ports[i]} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
  ].join('\n');
  const third = [
    server(2),
    `touch ${flag('b-ready')}`,
    `for i in $(seq 1200); do [ -e ${flag('a-done')} ] && break; sleep 0.1; done`,
    // events here past a whole second after the other trace's last: its nodes' volumes still end that second
    'sleep 1.2',
    `${cli} -p ${ports[2]} shutdown nosave >/dev/null 2>&1 || true`,
    'wait $r2 || true',
  ].join('\n');
  const first = [
    // whatever happens here, the other recording ends
    `trap 'touch ${flag('a-done')}' EXIT`,
    `for i in $(seq 600); do [ -e ${flag('b-ready')} ] && break; sleep 0.1; done`,
    server(0),
    server(1),
    `${cli} --cluster create ${ports.map((p) => `127.0.0.1:${p}`).join(' ')} --cluster-yes >/dev/null`,
    `for i in $(seq 200); do ok=0; for p in ${ports.join(' ')}; do ${cli} -p $p cluster info | grep -q cluster_state:ok && ok=$((ok+1)); done; [ $ok = 3 ] && break; sleep 0.1; done`,
    `REDTRACE_SERVICE=service REDTRACE_REDIS_PORTS=${ports.join(',')} ${sh(process.execPath)} ${sh(here('../../examples/services/cluster-service.cjs'))} ${service} ${ports[0]} & sp=$!`,
    `for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:${service}/none && break; sleep 0.05; done`,
    `for i in $(seq ${REQUESTS}); do curl -s -o /dev/null http://127.0.0.1:${service}/kv/key$i; done`,
    `curl -s -o /dev/null http://127.0.0.1:${service}/count`,
    `curl -s -o /dev/null http://127.0.0.1:${service}/publish`,
    'sleep 1.2', // a whole second of bus traffic: its volume per second
    'kill -TERM $sp; wait $sp || true',
    ...[0, 1].map((i) => `${cli} -p ${ports[i]} shutdown nosave >/dev/null 2>&1 || true`),
    'wait $r0 $r1 || true',
  ].join('\n');
  const second = record(b, third);
  await Promise.all([record(a, first), second]);
}

/** What must not differ between the two modes: all but where the histories are and who built them. */
const comparable = (r: AnalysisResult) => ({ ...r, historyFile: undefined, workers: undefined, rebuilt: undefined });
const flat = (n: TreeNode): TreeNode[] => [n, ...n.children.flatMap(flat)];

/** Every state of every attribute, by path: [start, end, value]. */
function states(h: HistoryReader): Map<string, [number, number, unknown][]> {
  const out = new Map<string, [number, number, unknown][]>();
  for (let q = 0; q < h.attributes.size; q++) {
    out.set(h.attributes.path(q).join('/'), [...h.intervals(q, h.start, h.end)].map((iv) => [iv.start, iv.end, iv.value]));
  }
  return out;
}

describe('several traces analysed by worker threads', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-parallel-'));
  const a = path.join(tmp, 'a');
  const b = path.join(tmp, 'b');
  const copies = { recorded: [a, b], hosts: [path.join(tmp, 'host-a'), path.join(tmp, 'host-b')] };
  const single: Record<string, AnalysisResult> = {};
  const parallel: Record<string, AnalysisResult> = {};

  before(async () => {
    fs.mkdirSync(path.join(tmp, 'work'));
    await recordTwo(a, b, path.join(tmp, 'work'));
    // the second trace as if from another host, its clock 1.7 s ahead and 150 ppm slow
    const now = process.hrtime.bigint();
    const freq = G + 150_000n;
    copyWithClocks(a, copies.hosts[0], () => ({ hostname: 'host-a', baseNs: clockBase(findTraces([a])[0].dir), freq: G }));
    copyWithClocks(b, copies.hosts[1], () => ({ hostname: 'host-b', baseNs: clockBase(findTraces([b])[0].dir) + 1_700_000_000n + now - (now * G) / freq, freq }));
    for (const [name, dirs] of Object.entries(copies)) {
      single[name] = analyze(dirs, undefined, { parallel: false });
      parallel[name] = analyze(dirs, undefined, { parallel: true });
    }
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the recording: one trace holds two nodes and the service, the other the third node', () => {
    const r = single.recorded;
    assert.equal(r.traces, 2);
    assert.equal(r.redisNodes.length, 3);
    assert.deepEqual(r.services.map((s) => s.name), ['service']);
    assert.equal(r.requests, REQUESTS + 3, 'the probe, the keys, /count and /publish');
    assert.equal(r.links.redisUnmatched, 0);
    assert.ok(r.links.redisLinked >= 2 * REQUESTS + 2, `${r.links.redisLinked} commands linked`);
    // commands ran on every node: the keys' slots are spread over the cluster
    const where = new Set(r.roots.flatMap(flat).filter((n) => n.kind === 'phase').map((n) => n.where));
    assert.equal(where.size, 3, `commands on ${[...where]}`);
    // the PUBLISH's bus hops go from one trace's node to the others, whichever trace they are in
    const hops = r.roots.flatMap(flat).filter((n) => n.kind === 'bus');
    assert.equal(hops.length, 2, 'a hop to each other node');
    // every event is counted once, whoever read it
    let events = 0;
    for (const dir of [a, b]) {
      const reader = CtfReader.open([dir]);
      for (let ev = reader.next(); ev; ev = reader.next()) events++;
      reader.close();
    }
    assert.equal(r.events, events);
  });

  test('the other host: its clock is found and applied, not the identity', () => {
    const r = single.hosts;
    assert.deepEqual(r.clocks.hosts.map((h) => h.status).sort(), ['reference', 'synchronised']);
    const synced = r.clocks.hosts.find((h) => h.status === 'synchronised')!;
    assert.notEqual(synced.slope, 1);
    assert.ok(Math.abs(synced.clockOffsetNs) > 1e9, `offset ${synced.clockOffsetNs} ns`);
  });

  test('a reader of one trace gives its events the times and order a reader of all gives them', (t) => {
    const dirs = copies.hosts;
    const plan = planClocks(dirs);
    const all = CtfReader.open(dirs, { clockTransform: plan.transformOf });
    const keys = new Map<string, string[]>();
    for (let ev = all.next(); ev; ev = all.next()) {
      const k = keys.get(ev.stream.trace.dir) ?? keys.set(ev.stream.trace.dir, []).get(ev.stream.trace.dir)!;
      k.push(`${all.timeKey(ev)} ${ev.stream.rank} ${ev.event.cls.name}`);
    }
    all.close();
    // (whether the transform moved the origin back depends on where the recording fell between 2^32 ns boundaries)
    t.diagnostic(`origin moved back ${all.lift} ns`);
    for (const { dir } of findTraces(dirs)) {
      const one = CtfReader.open(dirs, { clockTransform: plan.transformOf, read: (t) => t.dir === dir });
      assert.equal(one.origin, all.origin);
      assert.equal(one.lift, all.lift);
      const got: string[] = [];
      for (let ev = one.next(); ev; ev = one.next()) got.push(`${one.timeKey(ev)} ${ev.stream.rank} ${ev.event.cls.name}`);
      one.close();
      assert.ok(got.length > 100, `${got.length} events`);
      assert.deepEqual(got, keys.get(dir));
    }
  });

  for (const name of Object.keys(copies)) {
    test(`${name}: one worker per trace, each on its own thread and history file`, () => {
      const r = parallel[name];
      assert.equal(single[name].workers, undefined);
      const w = r.workers!;
      assert.equal(w.length, 2);
      const traceDirs = findTraces(copies[name as keyof typeof copies]).map((t) => t.dir);
      assert.deepEqual(w.map((x) => x.traces).sort(), traceDirs.sort().map((d) => [d]));
      // worker threads, not the main one (thread 0), each its own
      assert.ok(w.every((x) => x.threadId > 0));
      assert.equal(new Set(w.map((x) => x.threadId)).size, 2);
      assert.ok(w.every((x) => x.rebuilt && x.events > 0));
      // one file per trace, beside the one-pass history, named after it
      const dir = path.dirname(single[name].historyFile);
      const stem = path.basename(single[name].historyFile, '.ht');
      for (const x of w) {
        assert.equal(path.dirname(x.historyFile), dir);
        assert.match(path.basename(x.historyFile), new RegExp(`^${stem}\\.[0-9a-f]{8}\\.ht$`));
      }
      assert.notEqual(w[0].historyFile, w[1].historyFile);
      // a trace's file models its own nodes only: two in one, one in the other
      const nodes = w.map((x) => {
        const h = new HistoryReader(x.historyFile);
        const n = h.attributes.childQuarks(h.attributes.find(['Redis'])).map((q) => h.attributes.name(q));
        h.close();
        return n;
      });
      assert.deepEqual(nodes.map((n) => n.length).sort(), [1, 2]);
      assert.deepEqual(nodes.flat().sort(), single[name].redisNodes.map((n) => n.name).sort());
    });

    test(`${name}: exactly the result of one pass`, () => {
      const [one, par] = [single[name], parallel[name]];
      assert.deepStrictEqual(comparable(par), comparable(one));
      // in the same order too (commands and nodes as first met, which the summary's ties keep)
      assert.equal(JSON.stringify(comparable(par)), JSON.stringify(comparable(one)));
      // and not trivially: the trees hold commands with their phases
      assert.ok(one.roots.flatMap(flat).filter((n) => n.kind === 'phase').length >= 5 * (2 * REQUESTS + 2));
    });

    test(`${name}: every state of the model, from the per-trace files, as in the one-pass history`, (t) => {
      const h = new HistoryReader(single[name].historyFile);
      const want = states(h);
      const parts = parallel[name].workers!.map((x) => new HistoryReader(x.historyFile));
      const got = new Map<string, [number, number, unknown][]>();
      for (const p of parts) {
        // the history of all traces spans the same times
        assert.equal(p.start, h.start);
        assert.equal(p.end, h.end);
        for (const [k, v] of states(p)) {
          if (k !== 'Redis') assert.ok(!got.has(k), `${k} in one file only`);
          got.set(k, v);
        }
      }
      assert.deepStrictEqual([...got.keys()].sort(), [...want.keys()].sort());
      for (const [k, v] of want) assert.deepStrictEqual(got.get(k), v, k);
      // the states are not empty: requests, connections and bus links changed over time
      const changes = (re: RegExp) => [...want].filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v.filter((x) => x[2] !== null).length, 0);
      t.diagnostic(`${want.size} attributes, ${[...want.values()].reduce((n, v) => n + v.length, 0)} states; request states ${changes(/\/Requests\/\d+\/State$/)}, bus volumes ${changes(/\/Bus\/[0-9a-f]{40}\/Volume\/Out$/)}`);
      assert.ok(changes(/\/Requests\/\d+\/State$/) >= 5 * (2 * REQUESTS + 2));
      assert.ok(changes(/\/Bus\/[0-9a-f]{40}\/Volume\/Out$/) > 0, 'bus volume per second');
      for (const x of [h, ...parts]) x.close();
    });
  }

  test('by default: workers for two Redis traces when there are cores, reusing current histories', () => {
    const r = analyze(copies.recorded);
    // (read back from the result saved beside the histories: as JSON)
    assert.equal(JSON.stringify(comparable(r)), JSON.stringify(comparable(single.recorded)));
    if (availableParallelism() < 2) assert.equal(r.workers, undefined);
    else {
      assert.equal(r.workers?.length, 2);
      assert.ok(!r.rebuilt && r.workers!.every((x) => !x.rebuilt), 'the per-trace histories were current');
    }
    // without the saved result, the workers read the events again and keep their current histories
    fs.rmSync(single.recorded.historyFile.replace(/\.ht$/, '.result.json'));
    const again = analyze(copies.recorded, undefined, { parallel: true });
    assert.ok(!again.rebuilt && again.workers!.every((x) => !x.rebuilt && x.events > 0));
    assert.deepStrictEqual(comparable(again), comparable(single.recorded));
    // one trace: one pass, no worker
    const one = analyze([b]);
    assert.equal(one.workers, undefined);
    assert.equal(one.redisNodes.length, 1);
  });

  test('redtrace analyze names the per-trace history files', () => {
    const run = redtrace(['analyze', ...copies.recorded, '--json']);
    assert.equal(run.status, 0, run.stderr);
    const j = JSON.parse(run.stdout.toString());
    assert.equal(j.redisNodes.length, 3);
    const text = redtrace(['analyze', ...copies.recorded]);
    assert.equal(text.status, 0, text.stderr);
    const first = text.stdout.toString().split('\n')[0];
    if (availableParallelism() > 1) for (const x of parallel.recorded.workers!) assert.ok(first.includes(x.historyFile), first);
  });
});

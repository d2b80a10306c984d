// The integration analysis end to end: a gateway and a service (Node.js,
// traced by the agent through LTTng) in front of the instrumented Redis,
// recorded by `redtrace record`, analysed by `redtrace analyze`: each
// request's tree (gateway → service → Redis commands → phases inside Redis),
// the states of the Redis model, and the history reused on a second run.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { analyze, type AnalysisResult } from '../../src/analysis/run.js';
import type { TreeNode } from '../../src/analysis/integration/request-tree.js';
import { HistoryReader } from '../../src/state/index.js';
import { recordExampleSystem } from '../../examples/record-system.js';
import { redtrace } from '../support/cli.js';
import * as fs from 'node:fs';

const REQUESTS = 5;

const find = (n: TreeNode, pred: (x: TreeNode) => boolean): TreeNode[] => [...(pred(n) ? [n] : []), ...n.children.flatMap((c) => find(c, pred))];

describe('analysis of a recorded gateway → service → Redis system', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-analysis-'));
  const dir = path.join(tmp, 'trace');
  let r: AnalysisResult;

  before(() => {
    recordExampleSystem(dir, REQUESTS);
    r = analyze([dir]);
  });

  test('every gateway request is a tree down to the phases inside Redis', () => {
    const api = r.roots.filter((t) => t.label.startsWith('GET /api/'));
    assert.equal(api.length, REQUESTS);
    for (const t of api) {
      assert.equal(t.where.split('@')[0], 'gateway');
      assert.deepEqual(t.children.map((c) => c.kind), ['http', 'http']);
      const [kv, count] = t.children.map((c) => c.children[0]);
      assert.equal(kv.label, `GET /kv/${t.label.split('/').pop()}`);
      assert.equal(kv.where.split('@')[0], 'service');
      assert.deepEqual(kv.children.map((c) => c.label), ['SET', 'GET', 'INCR', 'GET']);
      assert.deepEqual(count.children.map((c) => c.label), ['INCR']);
      for (const cmd of [...kv.children, ...count.children]) {
        const phases = cmd.children.map((p) => p.label.split(' ')[0]);
        assert.deepEqual(phases, ['read', 'wait', 'execute', 'reply', 'write'], `${cmd.label} phases`);
        // the phases follow each other without gaps: their sum is the time Redis held the command
        const sum = cmd.children.reduce((a, p) => a + (p.end - p.start), 0);
        assert.equal(sum, cmd.children.at(-1)!.end - cmd.children[0].start);
        // and it fits inside what the client measured, send to reply
        // Redis reads it after Node.js sent it, and has run it before Node.js gets the reply (the
        // end of Redis's write may be seen after the reply arrives: another process, another core)
        const exec = cmd.children.find((p) => p.label.startsWith('execute'))!;
        assert.ok(cmd.children[0].start >= cmd.start && exec.end <= cmd.end, `${cmd.label} in Redis [${cmd.children[0].start}, ${exec.end}] inside its client span [${cmd.start}, ${cmd.end}]`);
      }
      // each level fits inside the one above; across processes the observation points leave some
      // play at the end (a server's end comes after its reply was handed to the kernel)
      for (const c of find(t, () => true)) {
        for (const k of c.children) {
          if (k.kind === 'phase') continue; // checked above
          if (c.kind === 'http') {
            // the callee starts while its caller waits: the client request is seen before it is written
            assert.ok(k.start >= c.start && k.start <= c.end, `${k.label} [${k.start}, ${k.end}] started during ${c.label} [${c.start}, ${c.end}]`);
          } else {
            assert.ok(k.start >= c.start && k.end <= c.end, `${k.label} [${k.start}, ${k.end}] inside ${c.label} [${c.start}, ${c.end}]`);
          }
        }
      }
    }
    assert.equal(r.links.httpUnmatched, 0);
    // every command is linked, those Redis refused without running them (a client library's CLIENT SETINFO) included
    assert.ok(r.links.redisLinked >= REQUESTS * 5);
    assert.equal(r.links.redisUnmatched, 0);
  });

  test('the Redis model holds the states of each connection and request', () => {
    const h = new HistoryReader(r.historyFile);
    try {
      const node = r.redisNodes[0].name;
      const conns = h.attributes.childQuarks(h.attributes.find(['Redis', node, 'Connections']));
      assert.ok(conns.length >= 2, 'the two clients connections (ioredis, node-redis)');
      // take the gateway's first command: during its execution, the request state is the command
      const first = r.roots.find((t) => t.label.startsWith('GET /api/'))!;
      const set = first.children[0].children[0].children[0];
      const exec = set.children.find((p) => p.label.startsWith('execute'))!;
      const mid = Math.floor((exec.start + exec.end) / 2);
      const states = h.queryFull(mid).filter((iv) => iv && iv.value === 'set');
      assert.equal(states.length, 1, 'one request executing SET at that time');
      const path = h.attributes.path(states[0]!.quark);
      assert.deepEqual(path.slice(2, 3), ['Requests']);
      const fd = path[3];
      const at = (t: number, ...leaf: string[]) => h.valueAt(t, h.attributes.find(['Redis', node, ...leaf]));
      assert.equal(at(mid, 'Requests', fd, 'Type'), 'write');
      assert.equal(at(mid, 'Requests', fd, 'Data structure'), 'string');
      assert.equal(at(mid, 'Connections', fd, 'Data structure'), 'string');
      // the thread running it works for that connection
      const threads = h.attributes.childQuarks(h.attributes.find(['Redis', node, 'Threads']));
      const busy = threads.filter((q) => h.valueAt(mid, h.attributes.find([...h.attributes.path(q), 'Operation'])) === 'command');
      assert.equal(busy.length, 1);
      assert.equal(h.valueAt(mid, h.attributes.find([...h.attributes.path(busy[0]), 'Connection'])), Number(fd));
      // its reply ("+OK", 5 bytes) waits in the output buffer until the write begins
      const beforeWrite = set.children.find((p) => p.label === 'write')!.start - 1;
      assert.equal(at(beforeWrite, 'Connections', fd, 'Objects'), 1);
      assert.equal(at(beforeWrite, 'Connections', fd, 'Memory'), 5);
      const written = set.children.find((p) => p.label === 'write')!.end + 1;
      assert.equal(at(written, 'Connections', fd, 'Objects'), 0);
      assert.equal(at(written, 'Connections', fd, 'Memory'), 0);
      // the GET that follows reads a string
      const get = first.children[0].children[0].children[1];
      const getExec = get.children.find((p) => p.label.startsWith('execute'))!;
      assert.equal(at(Math.floor((getExec.start + getExec.end) / 2), 'Requests', fd, 'Type'), 'read');
      const loop = h.attributes.find(['Redis', node, 'Event-loop', 'Phase']);
      assert.equal(h.valueAt(mid, loop), 'processing events');
    } finally {
      h.close();
    }
  });

  test('redtrace analyze prints the summary, and reuses the history the second time', () => {
    const a = redtrace(['analyze', dir]);
    assert.equal(a.status, 0, a.stderr);
    const text = a.stdout.toString();
    assert.match(text, /state history reused/);
    assert.match(text, /Redis nodes: redis-\d+/);
    assert.match(text, /services: .*gateway.*service|services: .*service.*gateway/);
    assert.match(text, /slowest requests/);
    assert.match(text, /discarded events: 0/);
  });

  test('a current history and result answer without reading the trace; a changed trace is analysed again', () => {
    // compared as saved: JSON has no undefined fields
    const same = (x: AnalysisResult) => JSON.parse(JSON.stringify({ ...x, rebuilt: true }));
    const again = analyze([dir]);
    assert.equal(again.rebuilt, false);
    assert.deepEqual(same(again), same(r));
    // without the saved result, the history is reused and the events read again: same answer
    const saved = fs.readdirSync(path.dirname(r.historyFile)).filter((f) => f.endsWith('.result.json'));
    assert.equal(saved.length, 1);
    fs.rmSync(path.join(path.dirname(r.historyFile), saved[0]));
    const reread = analyze([dir]);
    assert.equal(reread.rebuilt, false);
    assert.deepEqual(same(reread), same(r));
    // a stream file that changes (here: only its time) makes both stale
    const stream = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && /_\d+$/.test(e.name))!;
    const file = path.join(stream.parentPath ?? (stream as unknown as { path: string }).path, stream.name);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    const rebuilt = analyze([dir]);
    assert.equal(rebuilt.rebuilt, true);
    assert.equal(rebuilt.events, r.events);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

// The analysis of a Redis cluster, end to end: a real 3-node cluster of the
// instrumented Redis (plus a replica of one node) on loopback, a cluster
// service using ioredis's cluster client and the example gateway (Node.js,
// traced by the agent), all recorded by `redtrace record` and analysed.
// Checked against the raw events of the same trace: the segments of every
// command sent, the request trees (with a PUBLISH's bus hops and the MOVED
// and ASK redirects), the states of the model at chosen times, the bus
// messages, and the command's summary.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CtfReader } from '../../src/ctf/index.js';
import { analyze, type AnalysisResult } from '../../src/analysis/run.js';
import type { TreeNode } from '../../src/analysis/integration/request-tree.js';
import { RedisModel, type BusMessage, type Segment } from '../../src/analysis/redis/model.js';
import { HistoryReader, StateSystemBuilder } from '../../src/state/index.js';
import { redtrace } from '../support/cli.js';
import { MOVED_KEY, recordCluster, type ClusterRecording } from '../../examples/record-cluster.js';

const REQUESTS = 4;
const HANDSHAKE = new Set(['HELLO', 'CLIENT', 'INFO', 'CLUSTER', 'READONLY']);

const find = (n: TreeNode, pred: (x: TreeNode) => boolean): TreeNode[] => [...(pred(n) ? [n] : []), ...n.children.flatMap((c) => find(c, pred))];
const dur = (n: TreeNode) => n.end - n.start;

interface Sent { id: number; pid: number; cmd: string; t: number; reply?: number; ok?: number; redirect?: string; localPort: number; remotePort: number }

/** What the raw events say, read here without the analysis, and the Redis model run on its own. */
interface Oracle {
  sent: Sent[];
  /** Redis client connections: `${vpid}/${clientId}` by "clientPort>serverPort". */
  clients: Map<string, string>;
  nodeOfPort: Map<number, string>;
  sends: { node: string; t: number; peer: string; type: number; bytes: number }[];
  processed: { node: string; t: number; sender: string; type: number }[];
  firstShutdown: number;
  segments: Segment[];
  bus: BusMessage[];
  model: RedisModel;
}

function readOracle(dir: string, historyFile: string): Oracle {
  const reader = CtfReader.open([dir]);
  const ss = new StateSystemBuilder(historyFile, 0);
  const segments: Segment[] = [];
  const model = new RedisModel(ss, (s) => segments.push(s));
  const o: Omit<Oracle, 'bus' | 'segments' | 'model'> = { sent: [], clients: new Map(), nodeOfPort: new Map(), sends: [], processed: [], firstShutdown: Infinity };
  const byId = new Map<string, Sent>();
  let last = 0;
  for (let ev = reader.next(); ev; ev = reader.next()) {
    const name = ev.event.cls.name;
    const t = reader.timeKey(ev);
    last = t;
    const ctx = ev.streamContext as Record<string, number>;
    const p = ev.payload as Record<string, unknown>;
    const vpid = Number(ctx.vpid);
    if (name.startsWith('redis:')) model.handle({ name, t, mono: Number(ev.stream.base) + ev.cycles, vpid, vtid: Number(ctx.vtid), p });
    const node = `redis-${vpid}`;
    switch (name) {
      case 'nodejs:redis_command_send': {
        const s: Sent = { id: Number(p.command_id), pid: vpid, cmd: String(p.cmd), t, localPort: Number(p.local_port), remotePort: Number(p.remote_port) };
        o.sent.push(s);
        byId.set(`${vpid}/${s.id}`, s);
        break;
      }
      case 'nodejs:redis_command_reply': {
        const s = byId.get(`${vpid}/${p.command_id}`)!;
        Object.assign(s, { reply: t, ok: Number(p.ok), redirect: String(p.redirect) });
        break;
      }
      case 'redis:accept_connection':
        if (Number(p.kind) === 0) {
          o.clients.set(`${p.peer_port}>${p.local_port}`, `${node}/${p.client_id}`);
          o.nodeOfPort.set(Number(p.local_port), node);
        }
        break;
      case 'redis:cluster_send':
        o.sends.push({ node, t, peer: String(p.peer_node), type: Number(p.msg_type), bytes: Number(p.bytes) });
        break;
      case 'redis:cluster_process_packet':
        o.processed.push({ node, t, sender: String(p.sender), type: Number(p.msg_type) });
        break;
      case 'redis:call_command_start':
        if (p.cmd === 'shutdown') o.firstShutdown = Math.min(o.firstShutdown, t);
        break;
    }
  }
  reader.close();
  ss.close(last);
  return { ...o, segments, bus: model.busMessages(), model };
}

describe('analysis of a recorded Redis cluster', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-cluster-'));
  const dir = path.join(tmp, 'trace');
  let rec: ClusterRecording;
  let r: AnalysisResult;
  let o: Oracle;
  let h: HistoryReader;
  /** Node name by its client port, and by its cluster node id. */
  let nodeAt: (port: number) => string;
  let nodeOfId: Map<string, string>;

  before(() => {
    fs.mkdirSync(path.join(tmp, 'work'));
    rec = recordCluster(dir, REQUESTS, path.join(tmp, 'work'));
    r = analyze([dir]);
    o = readOracle(dir, path.join(tmp, 'own.ht'));
    h = new HistoryReader(r.historyFile);
    nodeAt = (port) => {
      const n = o.nodeOfPort.get(port);
      assert.ok(n, `a node listens on ${port}`);
      return n;
    };
    nodeOfId = new Map([...rec.ids].map(([port, id]) => [id, nodeAt(port)]));
  });

  after(() => {
    h?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('every command the services sent is one segment on the node and connection it went to', () => {
    assert.equal(r.redisNodes.length, 4);
    const perConn = new Map<string, number>();
    for (const s of o.sent) {
      const client = o.clients.get(`${s.localPort}>${s.remotePort}`);
      assert.ok(client, `the connection of ${s.cmd} was accepted by a node`);
      perConn.set(client, (perConn.get(client) ?? 0) + 1);
    }
    const segs = new Map<string, number>();
    for (const s of o.segments) segs.set(`${s.node}/${s.clientId}`, (segs.get(`${s.node}/${s.clientId}`) ?? 0) + 1);
    assert.ok(perConn.size >= 4, `the service talks to every primary: ${perConn.size} connections`);
    for (const [client, n] of perConn) assert.equal(segs.get(client), n, `segments of ${client}`);
    // the analysis links each of them to its segment, whatever Redis did with it (ran, redirected, refused)
    assert.equal(r.links.redisUnmatched, 0);
    assert.equal(r.links.redisLinked, o.sent.length);
    assert.ok(o.sent.some((s) => s.ok === 0 && !s.redirect), 'some commands were refused (CLIENT SETINFO is unknown to Redis 7.0)');
  });

  test('gateway → service → Redis commands → phases, on the node owning each key', () => {
    const api = r.roots.filter((t) => t.label.startsWith('GET /api/'));
    assert.equal(api.length, REQUESTS);
    const kvNodes = new Set<string>();
    const countNodes = new Set<string>();
    for (const t of api) {
      assert.equal(t.where.split('@')[0], 'gateway');
      const [kv, count] = t.children.map((c) => c.children[0]);
      assert.equal(kv.label, `GET /kv/${t.label.split('/').pop()}`);
      assert.equal(kv.where.split('@')[0], 'service');
      // a request that opened the client's connection to a node also caused its handshake (HELLO, CLIENT, INFO)
      const data = (n: TreeNode) => n.children.filter((c) => !HANDSHAKE.has(c.label));
      assert.deepEqual(data(kv).map((c) => c.label), ['SET', 'GET']);
      assert.deepEqual(data(count).map((c) => c.label), ['INCR']);
      const [set, get] = data(kv);
      const node = (cmd: TreeNode) => cmd.children[0].where;
      assert.equal(node(set), node(get), 'SET and GET of one key on one node');
      kvNodes.add(node(set));
      countNodes.add(node(data(count)[0]));
      for (const cmd of [set, get, data(count)[0]]) {
        assert.deepEqual(cmd.children.map((p) => p.label.split(' ')[0]), ['read', 'wait', 'execute', 'reply', 'write']);
      }
    }
    assert.ok(kvNodes.size >= 2, `the keys live on several nodes: ${[...kvNodes]}`);
    assert.equal(countNodes.size, 1, 'one key, one node');
  });

  test("each command's phases account for the latency Node.js measured", (t) => {
    const cmds = r.roots.flatMap((t) => find(t, (n) => n.kind === 'redis' && n.children[0]?.kind === 'phase'));
    assert.ok(cmds.length >= REQUESTS * 3 + 6, `${cmds.length} commands with phases`);
    let overrun = 0;
    for (const c of cmds) {
      const ph = c.children.filter((p) => p.kind === 'phase');
      const sum = ph.reduce((a, p) => a + dur(p), 0);
      // the phases follow each other without gaps or overlaps
      assert.equal(sum, ph.at(-1)!.end - ph[0].start, `${c.label}: phases are contiguous`);
      const write = ph.at(-1)!;
      assert.equal(write.label, 'write');
      // what is causally certain: Node.js sent before Redis read, Redis started writing before Node.js had the reply
      assert.ok(ph[0].start >= c.start, `${c.label}: read after send`);
      assert.ok(write.start <= c.end, `${c.label}: write started before the reply arrived`);
      // so the latency is: time to Redis's read + the phases before the write + (reply − write start) ≥ 0 each
      const beforeWrite = sum - dur(write);
      assert.ok(beforeWrite <= dur(c), `${c.label}: ${beforeWrite} ns in Redis before the write, within the ${dur(c)} ns latency`);
      assert.equal(dur(c), (ph[0].start - c.start) + beforeWrite + (c.end - write.start));
      // the write's end is stamped once write() returned: the woken client may have the reply first
      if (sum > dur(c)) overrun++;
    }
    t.diagnostic(`${cmds.length} commands; the end of Redis's write came after the reply for ${overrun}`);
    assert.ok(overrun <= cmds.length / 2, `the whole of Redis's phases fits the latency for most commands (${overrun} of ${cmds.length} do not)`);
  });

  test('a PUBLISH shows its bus hops to every other node', () => {
    const pub = r.roots.filter((t) => t.label === 'GET /publish');
    assert.equal(pub.length, 1);
    const cmd = pub[0].children[0];
    assert.equal(cmd.label, 'PUBLISH');
    const exec = cmd.children.find((p) => p.label === 'execute publish')!;
    const origin = exec.where;
    const hops = exec.children;
    const others = r.redisNodes.map((n) => n.name).filter((n) => n !== origin).sort();
    assert.deepEqual(hops.map((x) => x.label.split(' to ')[1]).sort(), others, 'one hop to each other node, the replica included');
    const raw = o.sends.filter((s) => s.type === 4);
    assert.equal(raw.length, others.length, 'the trace has one publish message per other node');
    for (const hop of hops) {
      assert.equal(hop.kind, 'bus');
      const to = hop.label.split(' to ')[1];
      assert.equal(hop.where, `${origin} → ${to}`);
      // queued while PUBLISH ran, processed by the peer afterwards
      assert.ok(hop.start >= exec.start && hop.start <= exec.end, 'sent during the execution');
      const processed = o.processed.find((x) => x.node === to && x.type === 4);
      assert.ok(processed, `${to} processed the publish message`);
      assert.equal(hop.end, processed.t);
      assert.ok(dur(hop) > 0);
      assert.ok(raw.some((s) => s.t === hop.start && nodeOfId.get(s.peer) === to), 'the hop starts at the send naming that peer');
    }
  });

  test('MOVED and ASK: the redirected attempt and the retry on the node that owns the slot', () => {
    const src = nodeAt(rec.from);
    const dst = nodeAt(rec.to);
    const gets = r.roots.filter((t) => t.label === `GET /get/${MOVED_KEY}`);
    assert.equal(gets.length, 2);
    const [ask, moved] = gets.map((t) => t.children);
    for (const [children, redirect] of [[ask, 'ASK'], [moved, 'MOVED']] as const) {
      assert.equal(children.length, 1, 'one command as the application saw it');
      const cmd = children[0];
      assert.equal(cmd.label, 'GET');
      const labels = cmd.children.map((a) => a.label);
      assert.deepEqual(labels, redirect === 'ASK' ? ['GET → ASK', 'ASKING', 'GET (retry)'] : ['GET → MOVED', 'GET (retry)']);
      const [first, ...rest] = cmd.children;
      // the redirected attempt: read and refused on the old owner, never run
      assert.deepEqual(first.children.map((p) => p.label), ['read', 'wait', 'rejected get', 'reply queued', 'write']);
      for (const p of first.children) assert.equal(p.where, src);
      for (const a of rest) {
        assert.ok(a.start >= first.end, `${a.label} sent after the redirect arrived`);
        assert.deepEqual(a.children.map((p) => p.label.split(' ')[0]), ['read', 'wait', 'execute', 'reply', 'write']);
        for (const p of a.children) assert.equal(p.where, dst);
      }
      assert.equal(cmd.start, first.start);
      assert.equal(cmd.end, cmd.children.at(-1)!.end);
    }
    // the raw events agree: two GETs redirected, one ASK then one MOVED, each retried once elsewhere
    const redirected = o.sent.filter((s) => s.redirect);
    assert.deepEqual(redirected.map((s) => s.redirect), ['ASK', 'MOVED']);
    // the retries do not also hang under the request that happened to open their connection
    const retries = r.roots.flatMap((t) => find(t, (n) => n.label === 'GET (retry)' || n.label === 'ASKING'));
    assert.equal(retries.length, 3);
  });

  test('the Redis model holds connection types, request states and bus counts at chosen times', () => {
    const at = (t: number, p: string[]) => h.valueAt(t, h.attributes.find(p));
    // during the SET of the first request: its request state is the command, its connection a client's
    const first = r.roots.find((t) => t.label.startsWith('GET /api/'))!;
    const set = first.children[0].children[0].children.find((c) => c.label === 'SET')!;
    const exec = set.children.find((p) => p.label.startsWith('execute'))!;
    const mid = Math.floor((exec.start + exec.end) / 2);
    const node = exec.where;
    const reqs = h.attributes.childQuarks(h.attributes.find(['Redis', node, 'Requests']));
    const executing = reqs.filter((q) => at(mid, ['Redis', node, 'Requests', h.attributes.path(q).at(-1)!, 'State']) === 'set').map((q) => h.attributes.path(q).at(-1)!);
    assert.equal(executing.length, 1, 'one request executing SET');
    const conn = ['Redis', node, 'Connections', executing[0]];
    assert.equal(at(mid, [...conn, 'Type']), 'client');
    assert.equal(at(mid, [...conn, 'State']), 'executing');
    const port = Number(String(at(mid, [...conn, 'Peer'])).split(':')[1]);
    assert.ok(o.sent.some((s) => s.localPort === port && s.cmd === 'set'), 'the connection is the service\'s');
    // at the PUBLISH: each primary has a cluster link from each other node
    const pubExec = find(r.roots.find((t) => t.label === 'GET /publish')!, (n) => n.label === 'execute publish')[0];
    for (const p of rec.ports) {
      const n = nodeAt(p);
      const types = h.attributes.childQuarks(h.attributes.find(['Redis', n, 'Connections'])).map((q) => at(pubExec.start, [...h.attributes.path(q), 'Type']));
      assert.equal(types.filter((x) => x === 'cluster_link').length, 3, `${n}: links from the 3 other nodes`);
    }
    // the replica's connection on its primary, and the primary→replica link on the bus
    const primary = nodeAt(rec.ports[0]);
    const end = h.end - 1;
    const replicaConns = h.attributes.childQuarks(h.attributes.find(['Redis', primary, 'Connections'])).filter((q) => at(pubExec.start, [...h.attributes.path(q), 'Type']) === 'replica');
    assert.equal(replicaConns.length, 1, 'one replica connection');
    const replicaPeer = String(at(pubExec.start, [...h.attributes.path(replicaConns[0]), 'Peer']));
    assert.equal(at(end, ['Redis', primary, 'Bus', replicaPeer, 'Type']), 'primary→replica');
    assert.ok(Number(at(end, ['Redis', primary, 'Bus', replicaPeer, 'Out bytes'])) > 0, 'the replication stream (INCR, SET) went out');
    assert.ok(Number(at(end, ['Redis', primary, 'Bus', replicaPeer, 'In bytes'])) > 0, 'the replica acknowledged');
    // the bus, per message type: the PUBLISH origin sent one publish to each peer, each peer got one
    const origin = pubExec.where;
    const originId = [...nodeOfId].find(([, n]) => n === origin)![0];
    for (const [id, n] of nodeOfId) {
      if (n === origin) continue;
      assert.equal(at(end, ['Redis', origin, 'Bus', id, 'Types', 'publish', 'Out count']), 1, `publish sent to ${n}`);
      assert.equal(at(end, ['Redis', n, 'Bus', originId, 'Types', 'publish', 'In count']), 1, `publish received by ${n}`);
      const pings = o.sends.filter((s) => s.node === origin && s.peer === id && s.type === 0);
      assert.equal(at(end, ['Redis', origin, 'Bus', id, 'Types', 'ping', 'Out count']) ?? 0, pings.length, `pings to ${n}`);
      assert.equal(at(end, ['Redis', origin, 'Bus', id, 'Types', 'ping', 'Out bytes']) ?? 0, pings.reduce((a, s) => a + s.bytes, 0));
      // the link's type follows its latest message: broadcast right after the publish
      const send = o.sends.find((s) => s.node === origin && s.peer === id && s.type === 4)!;
      assert.equal(at(send.t, ['Redis', origin, 'Bus', id, 'Type']), 'broadcast');
      assert.equal(at(pings[0].t, ['Redis', origin, 'Bus', id, 'Type']), 'node→node');
    }
  });

  test('bus volume per second and bus messages as segments', (t) => {
    // Volume/Out of a link during second k+1 is what was sent in second k
    let checked = 0;
    for (const [id, to] of nodeOfId) {
      for (const from of r.redisNodes.map((n) => n.name)) {
        if (from === to) continue;
        const sends = o.sends.filter((s) => s.node === from && s.peer === id);
        const seconds = new Set(sends.map((s) => Math.floor(s.t / 1e9)));
        for (const k of seconds) {
          const bytes = sends.filter((s) => Math.floor(s.t / 1e9) === k).reduce((a, s) => a + s.bytes, 0);
          const at = (k + 1) * 1e9 + 5e8;
          if (at >= h.end) continue;
          assert.equal(h.valueAt(at, h.attributes.find(['Redis', from, 'Bus', id, 'Volume', 'Out'])), bytes, `${from} → ${to}, second ${k}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 10, `${checked} seconds of links checked`);
    t.diagnostic(`volume checked on ${checked} link-seconds; ${o.bus.length} bus messages matched of ${o.sends.length} sent`);
    // every message a node sent to a traced node before the shutdown began is matched with its reception
    const named = o.sends.filter((s) => nodeOfId.has(s.peer) && s.t < o.firstShutdown);
    const matched = new Set(o.bus.map((m) => `${m.from}@${m.send}`));
    for (const s of named) assert.ok(matched.has(`${s.node}@${s.t}`), `${s.node} → ${nodeOfId.get(s.peer)} type ${s.type} at ${s.t} matched`);
    for (const m of o.bus) {
      assert.ok(m.from !== m.to);
      assert.ok(m.read >= m.send && m.process >= m.read, `${m.type} ${m.from} → ${m.to}: sent, read, processed in order`);
      const raw = o.sends.find((s) => s.node === m.from && s.t === m.send)!;
      assert.equal(raw.bytes, m.bytes);
      // named sends go where they said; a handshake's (a temporary name) to whoever processed it
      if (nodeOfId.has(raw.peer)) assert.equal(nodeOfId.get(raw.peer), m.to);
    }
    assert.ok(o.bus.filter((m) => m.type === 'ping').length >= 10);
    const types = new Set(o.bus.map((m) => m.type));
    for (const t of ['meet', 'ping', 'pong', 'publish']) assert.ok(types.has(t), `${t} messages matched`);
  });

  test('redtrace analyze prints the summary with the cluster nodes', () => {
    const a = redtrace(['analyze', dir]);
    assert.equal(a.status, 0, a.stderr);
    const text = a.stdout.toString();
    assert.match(text, /state history reused/);
    const nodes = /^Redis nodes: (.*)$/m.exec(text)![1];
    for (const p of [...rec.ports, rec.replica]) assert.ok(nodes.includes(`${nodeAt(p)} (ports`), `${nodeAt(p)} in ${nodes}`);
    assert.equal(nodes.split('redis-').length - 1, 4);
    assert.match(text, /services: .*(gateway.*service|service.*gateway)/);
    assert.match(text, /GET \/api\/key/);
    assert.match(text, /discarded events: 0/);
  });
});

// The Node.js agent on a real two-service application (gateway → service →
// Redis through ioredis and node-redis), driven by real HTTP requests, with
// no change to the application's code: the recorded events, their parent
// ids, and the Redis commands of each request, read back by our CTF reader
// and by babeltrace2.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/record/free-port.js';
import { readAgentTrace, type AgentEvent } from '../support/agent-trace.js';
import { babeltrace2, firstDifference, redtrace } from '../support/cli.js';
import { httpGet, startProcess, stopProcess, type Started } from '../support/processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const AGENT_CJS = path.join(ROOT, 'dist/cjs/agent/register.js');
const AGENT_ESM = path.join(ROOT, 'dist/src/agent/register.js');
const SERVICES = path.resolve(HERE, '../../examples/services');
const OTEL = path.resolve(HERE, '../support/otel/preload.cjs');
// at once, then one after another (kept-alive connections then carry several requests)
const CONCURRENT = 8;
const SEQUENTIAL = 3;
const REQUESTS = CONCURRENT + SEQUENTIAL;

type Ev = AgentEvent;

/** Server request (path and client port) → what it caused: `http GET /path` or `redis cmd`. */
function ourLinks(events: Ev[]): Map<string, string[]> {
  const servers = new Map<unknown, string>();
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.name === 'http_server_receive') servers.set(e.p.request_id, `${e.p.path}:${e.p.remote_port}`);
    const child = e.name === 'http_client_request' ? `http ${e.p.method} ${e.p.path}` : e.name === 'redis_command_send' ? `redis ${e.p.cmd}` : undefined;
    const parent = servers.get(e.p.parent_id);
    if (child && parent) out.set(parent, [...(out.get(parent) ?? []), child]);
  }
  return out;
}

function otelLinks(file: string): Map<string, string[]> {
  type Span = { spanId: string; parentSpanId: string; name: string; kind: number; attributes: Record<string, unknown> };
  const spans: Span[] = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out = new Map<string, string[]>();
  for (const s of spans) {
    const parent = byId.get(s.parentSpanId);
    if (!parent || parent.kind !== 1 /* SERVER */ || s.kind !== 2 /* CLIENT */) continue;
    const a = s.attributes;
    let child: string | undefined;
    if (typeof a['url.full'] === 'string') child = `http ${a['http.request.method'] ?? s.name} ${new URL(a['url.full']).pathname}`;
    else if (a['db.system'] === 'redis' || a['db.system.name'] === 'redis' || typeof a['db.query.text'] === 'string') child = `redis ${s.name.replace(/^redis-/, '').toLowerCase()}`;
    if (!child) continue;
    const key = `${parent.attributes['url.path']}:${parent.attributes['network.peer.port']}`;
    out.set(key, [...(out.get(key) ?? []), child]);
  }
  return out;
}

// Both ways of carrying the request context: V8's slot through the agent's addon (the
// default) and AsyncLocalStorage (REDTRACE_CONTEXT=async-hooks, or no addon).
for (const context of ['slot', 'async-hooks']) describe(`Node.js agent on a two-service application (context: ${context})`, () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-agent-'));
  const procs: Started[] = [];
  let gw: Ev[] = [];
  let svc: Ev[] = [];
  let gwDir = '';
  let svcDir = '';
  const bodies: string[] = [];
  const redisPort = freePort();

  before(async () => {
    const redis = await startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/);
    procs.push(redis);
    const svcPort = freePort();
    const gwPort = freePort();
    gwDir = path.join(tmp, 'gateway');
    svcDir = path.join(tmp, 'service');
    // One service preloads the agent with --import (ESM), the other with --require (CommonJS).
    // OpenTelemetry's auto-instrumentation runs side by side: the oracle for parent/child links.
    const service = await startProcess(process.execPath, ['--require', OTEL, '--import', AGENT_ESM, path.join(SERVICES, 'service.cjs'), String(svcPort), String(redisPort)],
      { REDTRACE_CONTEXT: context, REDTRACE_TRACE_DIR: svcDir, REDTRACE_SERVICE: 'service', REDTRACE_REDIS_PORTS: String(redisPort), OTEL_SPANS_FILE: path.join(tmp, 'service.otel') }, /ready/);
    procs.push(service);
    const gateway = await startProcess(process.execPath, ['--require', OTEL, '--require', AGENT_CJS, path.join(SERVICES, 'gateway.cjs'), String(gwPort), String(svcPort)],
      { REDTRACE_CONTEXT: context, REDTRACE_TRACE_DIR: gwDir, REDTRACE_SERVICE: 'gateway', OTEL_SPANS_FILE: path.join(tmp, 'gateway.otel') }, /ready/);
    procs.push(gateway);
    // all at once: node-redis then writes the commands of several requests in one batch,
    // and a context that leaked from one request to another would show
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => httpGet(gwPort, `/api/key${i}`)));
    for (let i = CONCURRENT; i < REQUESTS; i++) replies.push(await httpGet(gwPort, `/api/key${i}`));
    for (const r of replies) {
      assert.equal(r.status, 200, r.body);
      bodies.push(r.body);
    }
    await stopProcess(gateway);
    await stopProcess(service);
    gw = readAgentTrace(gwDir);
    svc = readAgentTrace(svcDir);
  });

  after(async () => {
    for (const p of procs.reverse()) await stopProcess(p);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the application behaves as without the agent', () => {
    assert.deepEqual(JSON.parse(bodies[0]).kv, { v: 'v', n: 1 });
    assert.equal(bodies.length, REQUESTS);
  });

  test('each gateway request has its two outgoing calls as children', () => {
    const received = gw.filter((e) => e.name === 'http_server_receive');
    assert.equal(received.length, REQUESTS);
    for (const r of received) {
      const children = gw.filter((e) => e.name === 'http_client_request' && e.p.parent_id === r.p.request_id);
      assert.deepEqual(children.map((c) => c.p.path), [`/kv/${String(r.p.path).split('/').pop()}`, '/count']);
    }
    const responses = gw.filter((e) => e.name === 'http_server_response');
    assert.equal(responses.length, REQUESTS);
    assert.ok(responses.every((e) => e.p.status === 200 && (e.p.bytes as number) > 0));
  });

  test('a response\'s bytes are the same on both sides of the connection, kept alive or not', () => {
    // the gateway asks /kv/KEY with http.get once per request: its response, as the service
    // wrote it and as the gateway read it, headers included (fetch's reads are not counted)
    const byPath = (evs: Ev[], request: string, response: string) => {
      const bytes = new Map<string, number>();
      for (const r of evs.filter((e) => e.name === request && String(e.p.path).startsWith('/kv/'))) {
        const done = evs.filter((e) => e.name === response && e.p.request_id === r.p.request_id);
        assert.equal(done.length, 1, `one response to ${String(r.p.path)}`);
        bytes.set(String(r.p.path), done[0].p.bytes as number);
      }
      return bytes;
    };
    const written = byPath(svc, 'http_server_receive', 'http_server_response');
    const read = byPath(gw, 'http_client_request', 'http_client_response');
    assert.equal(written.size, REQUESTS);
    assert.deepEqual(read, written);
    assert.ok([...written.values()].every((b) => b > 100 && b < 400), [...written.values()].join(' '));
  });

  test('each service request carries its Redis commands, in order, with replies', () => {
    const received = svc.filter((e) => e.name === 'http_server_receive');
    assert.equal(received.length, 2 * REQUESTS);
    for (const r of received) {
      const sends = svc.filter((e) => e.name === 'redis_command_send' && e.p.parent_id === r.p.request_id);
      const shape = sends.map((s) => `${s.p.cmd}/${s.p.argc}@${s.p.pipeline_pos}`);
      if (String(r.p.path).startsWith('/kv/')) assert.deepEqual(shape, ['set/3@0', 'get/2@0', 'incr/2@0', 'get/2@1']);
      else assert.deepEqual(shape, ['incr/2@0']);
      for (const s of sends) {
        const reply = svc.filter((e) => e.name === 'redis_command_reply' && e.p.command_id === s.p.command_id);
        assert.equal(reply.length, 1, `one reply for ${s.p.cmd}`);
        assert.equal(reply[0].p.ok, 1);
        assert.equal(reply[0].p.seq, s.p.seq);
      }
    }
    // keys and values stay out of the trace
    assert.ok(!svc.some((e) => Object.values(e.p).some((v) => typeof v === 'string' && /k:key|n:key/.test(v))));
  });

  test('events on a connection carry its addresses, ports and file descriptor', () => {
    const onConnections = [...svc, ...gw].filter((e) => ['http_server_receive', 'http_client_response', 'redis_command_send'].includes(e.name));
    // (and the commands clients send by themselves on connecting)
    assert.ok(onConnections.length >= 2 * REQUESTS + 2 * REQUESTS + 5 * REQUESTS, `${onConnections.length} events`);
    for (const e of onConnections) {
      assert.equal(e.p.local_addr, '127.0.0.1', e.name);
      assert.equal(e.p.remote_addr, '127.0.0.1', e.name);
      assert.ok((e.p.local_port as number) > 0 && (e.p.remote_port as number) > 0 && (e.p.fd as number) > 2, `${e.name}: ${JSON.stringify(e.p)}`);
    }
    const sends = svc.filter((e) => e.name === 'redis_command_send');
    assert.ok(sends.every((e) => e.p.remote_port === redisPort));
    // a reply names the connection of its command
    for (const r of svc.filter((e) => e.name === 'redis_command_reply')) {
      const send = sends.find((s) => s.p.command_id === r.p.command_id)!;
      assert.deepEqual([r.p.local_port, r.p.fd], [send.p.local_port, send.p.fd]);
    }
  });

  test('a gateway call and the service request it caused share a TCP connection', () => {
    const calls = gw.filter((e) => e.name === 'http_client_response');
    const serverSide = svc.filter((e) => e.name === 'http_server_receive');
    for (const c of calls) assert.ok(serverSide.some((s) => s.p.remote_port === c.p.local_port && s.p.local_port === c.p.remote_port), `connection of call ${c.p.request_id}`);
  });

  test('every parent/child link OpenTelemetry propagates is the one the agent infers without propagation', () => {
    let links = 0;
    for (const [name, events] of [['gateway', gw], ['service', svc]] as const) {
      const ours = ourLinks(events);
      const theirs = otelLinks(path.join(tmp, `${name}.otel`));
      for (const [server, children] of theirs) {
        const mine = [...(ours.get(server) ?? [])];
        for (const c of children) {
          const i = mine.indexOf(c);
          assert.ok(i >= 0, `${name}: OpenTelemetry links ${c} to ${server}; the agent does not (it has ${ours.get(server)?.join(', ')})`);
          mine.splice(i, 1);
          links++;
        }
      }
    }
    // per request: 2 HTTP calls from the gateway, 4 Redis commands for /kv, 1 for /count
    assert.equal(links, REQUESTS * 7, `OpenTelemetry propagated ${links} links`);
  });

  test('babeltrace2 reads both traces, and prints what redtrace events prints', () => {
    for (const dir of [gwDir, svcDir]) {
      const ref = babeltrace2([dir]);
      assert.equal(ref.status, 0, ref.stderr);
      const ours = redtrace(['events', dir]);
      assert.ok(ours.stdout.equals(ref.stdout), firstDifference(ref.stdout, ours.stdout));
    }
  });
});

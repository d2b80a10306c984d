// The request context under concurrent requests, across every asynchronous
// boundary the agent carries it through, with both ways of carrying it:
// each Redis command names the request that sent it, and a command sent
// outside any request names none (a context never leaks to another request).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../src/record/free-port.js';
import { readAgentTrace, type AgentEvent } from '../support/agent-trace.js';
import { startProcess, stopProcess, type Started } from '../support/processes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AGENT = path.resolve(HERE, '../../cjs/agent/register.js');
const APP = path.resolve(HERE, '../support/context-app.cjs');
const BOUNDARIES = ['sync', 'fs-promise', 'timers-promise', 'timeout', 'interval', 'immediate', 'next-tick', 'microtask', 'timeout-args', 'immediate-args', 'next-tick-args', 'next-tick-many-args', 'next-tick-after-throw', 'microtask-after-throw', 'request-body', 'response-finish', 'client-response', 'new-connection', 'node-redis', 'node-redis-multi', 'fs-callback'];
const KEYS = [1, 2, 3, 4];

test('the agent carries its context in the slot of its addon unless told otherwise', () => {
  const kind = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.resolve(HERE, '../../cjs/agent/context.js'))}).requestContext.kind)`], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
  assert.equal(kind({}), 'slot');
  assert.equal(kind({ REDTRACE_CONTEXT: 'async-hooks' }), 'async-hooks');
  // an addon that cannot be loaded: the same context through async_hooks
  assert.equal(kind({ REDTRACE_CONTEXT_ADDON: AGENT }), 'async-hooks');
});

for (const context of ['slot', 'async-hooks']) describe(`request context under concurrent requests (context: ${context})`, () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-context-'));
  const procs: Started[] = [];
  let events: AgentEvent[] = [];

  before(async () => {
    const redisPort = freePort();
    procs.push(await startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/));
    const port = freePort();
    const app = await startProcess(process.execPath, ['--require', AGENT, APP, String(port), String(redisPort)], { REDTRACE_CONTEXT: context, REDTRACE_TRACE_DIR: tmp, REDTRACE_REDIS_PORTS: String(redisPort) }, /ready/);
    procs.push(app);
    const calls = [];
    for (let round = 0; round < 2; round++) {
      for (const b of BOUNDARIES) {
        for (const n of KEYS) {
          const post = b === 'request-body';
          calls.push(fetch(`http://127.0.0.1:${port}/b/${b}/${n}`, post ? { method: 'POST', body: 'x'.repeat(100_000) } : {}).then((r) => r.text()));
        }
      }
    }
    const bodies = await Promise.all(calls);
    // every route answers with its name (a callback given the wrong arguments says so instead)
    assert.deepEqual(bodies, [...BOUNDARIES, ...BOUNDARIES].flatMap((b) => KEYS.map(() => b)));
    await new Promise((r) => setTimeout(r, 100)); // the commands sent after a response
    await stopProcess(app);
    events = readAgentTrace(tmp);
  });
  after(async () => {
    for (const p of procs.reverse()) await stopProcess(p);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('each command names the request that sent it, across every boundary', () => {
    const paths = new Map<unknown, string>();
    for (const e of events) if (e.name === 'http_server_receive') paths.set(e.p.request_id, String(e.p.path));
    const sends = events.filter((e) => e.name === 'redis_command_send' && e.p.cmd === 'exists');
    assert.equal(sends.length, 2 * BOUNDARIES.length * KEYS.length);
    const found = new Map<string, number>();
    for (const s of sends) {
      if (s.p.parent_id === 0) continue;
      const p = paths.get(s.p.parent_id);
      assert.ok(p, `command ${s.p.command_id}: parent ${s.p.parent_id} is no request`);
      const [, , b, n] = p.split('/');
      assert.equal(Number(s.p.argc), Number(n) + 1, `a command of ${p} names another request`);
      found.set(b, (found.get(b) ?? 0) + 1);
    }
    for (const b of BOUNDARIES) {
      if (b === 'fs-callback' && context === 'slot') continue; // not carried: no parent, as checked above
      assert.equal(found.get(b), 2 * KEYS.length, `commands with their parent after ${b}`);
    }
  });

  test("a node-redis transaction's MULTI and EXEC name the request that sent it", () => {
    const paths = new Map<unknown, string>();
    for (const e of events) if (e.name === 'http_server_receive') paths.set(e.p.request_id, String(e.p.path));
    for (const cmd of ['multi', 'exec']) {
      const sends = events.filter((e) => e.name === 'redis_command_send' && e.p.cmd === cmd);
      assert.equal(sends.length, 2 * KEYS.length, cmd);
      assert.deepEqual(sends.map((s) => paths.get(s.p.parent_id)?.split('/')[2]), sends.map(() => 'node-redis-multi'), cmd);
    }
  });

  test('a command sent outside any request has no parent', () => {
    const echoes = events.filter((e) => e.name === 'redis_command_send' && e.p.cmd === 'echo');
    assert.ok(echoes.length > 10, `${echoes.length} background commands`);
    assert.deepEqual(echoes.filter((e) => e.p.parent_id !== 0).map((e) => e.p.parent_id), []);
  });
});

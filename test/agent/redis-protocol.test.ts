// The agent's Redis observation on a real server and a real 3-node cluster:
// MULTI/EXEC, pub/sub messages pushed to a subscriber (not replies), and
// MOVED redirects, all matched in order with the commands that caused them.
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
const MODULES = path.resolve(HERE, '../../../node_modules');

type Ev = AgentEvent;

function runTraced(script: string, env: Record<string, string>, dir: string): Ev[] {
  const r = spawnSync(process.execPath, ['--require', AGENT, '-e', script], { env: { ...process.env, ...env, REDTRACE_TRACE_DIR: dir, NODE_PATH: MODULES }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return readAgentTrace(dir);
}

describe('agent on the Redis protocol', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-resp-'));
  const servers: Started[] = [];
  let single = 0;
  const cluster: number[] = [];

  before(async () => {
    single = freePort();
    servers.push(await startProcess('redis-server', ['--port', String(single), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept/));
    for (let i = 0; i < 3; i++) {
      const port = freePort();
      const dir = path.join(tmp, `node${i}`);
      fs.mkdirSync(dir);
      servers.push(await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--dir', dir, '--save', '', '--appendonly', 'no'], {}, /Ready to accept/));
      cluster.push(port);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...cluster.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(create.status, 0, create.stdout + create.stderr);
    for (let i = 0; i < 100; i++) {
      const info = spawnSync('redis-cli', ['-p', String(cluster[0]), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (/cluster_state:ok/.test(info)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    for (const s of servers) await stopProcess(s);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('MULTI/EXEC and pub/sub pushes', () => {
    const events = runTraced(`
      const { Redis } = require('ioredis');
      (async () => {
        const a = new Redis({ port: ${single} }); const sub = new Redis({ port: ${single} });
        let got = 0;
        sub.on('message', () => { got++; });
        await sub.subscribe('news', 'sport');
        await a.multi().set('x', '1').incr('x').exec();
        await a.publish('news', 'hello'); await a.publish('sport', 'goal');
        while (got < 2) await new Promise((r) => setTimeout(r, 10));
        a.disconnect(); sub.disconnect();
      })();`, {}, path.join(tmp, 't1'));
    const sends = events.filter((e) => e.name === 'redis_command_send');
    const cmds = sends.map((e) => e.p.cmd);
    for (const c of ['subscribe', 'multi', 'set', 'incr', 'exec', 'publish']) assert.ok(cmds.includes(c), `${c} seen in ${cmds.join(' ')}`);
    // every command has exactly one reply, ok, and in order on its connection
    for (const s of sends) {
      const replies = events.filter((e) => e.name === 'redis_command_reply' && e.p.command_id === s.p.command_id);
      assert.equal(replies.length, 1, `one reply for ${s.p.cmd}`);
      if (s.p.cmd !== 'client') assert.equal(replies[0].p.ok, 1, `${s.p.cmd} ok`); // ioredis's CLIENT SETINFO is unknown to Redis 7.0
    }
    const pushes = events.filter((e) => e.name === 'redis_push');
    assert.deepEqual(pushes.map((e) => [e.p.kind, e.p.channel]), [['message', 'news'], ['message', 'sport']]);
  });

  test('commands written as strings, as bytes, split or several at once: names, sizes in bytes, order', () => {
    // ioredis writes commands as strings (a pipeline in one string); a value of several-byte characters
    // makes its length in characters differ from its size in bytes. The raw socket writes three commands
    // in one string, then one command cut in two Buffers.
    const events = runTraced(`
      const { Redis } = require('ioredis');
      const net = require('node:net');
      (async () => {
        const a = new Redis({ port: ${single} });
        await a.pipeline().set('k', 'déjà vu ☕').get('k').exec();
        a.disconnect();
        const s = net.connect(${single}, '127.0.0.1');
        let got = '';
        s.on('data', (d) => { got += d; });
        await new Promise((r) => s.once('connect', r));
        s.write('*1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n*2\\r\\n$6\\r\\nEXISTS\\r\\n$1\\r\\nk\\r\\n');
        const cut = Buffer.from('*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nq\\r\\n$2\\r\\nzz\\r\\n');
        s.write(cut.subarray(0, 10));
        await new Promise((r) => setTimeout(r, 20));
        s.write(cut.subarray(10));
        while (!got.endsWith('+OK\\r\\n')) await new Promise((r) => setTimeout(r, 10));
        s.end();
      })();`, {}, path.join(tmp, 't3'));
    const sends = events.filter((e) => e.name === 'redis_command_send');
    const resp = (args: string[]) => Buffer.byteLength(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    const i = sends.findIndex((e) => e.p.cmd === 'set');
    assert.deepEqual(sends.slice(i, i + 2).map((e) => [e.p.cmd, e.p.argc, e.p.bytes, e.p.pipeline_pos]), [
      ['set', 3, resp(['set', 'k', 'déjà vu ☕']), 0],
      ['get', 2, resp(['get', 'k']), 1],
    ]);
    const raw = sends.slice(-4).map((e) => [e.p.cmd, e.p.argc, e.p.bytes, e.p.pipeline_pos]);
    assert.deepEqual(raw, [
      ['ping', 1, resp(['PING']), 0],
      ['get', 2, resp(['GET', 'k']), 1],
      ['exists', 2, resp(['EXISTS', 'k']), 2],
      ['set', 3, resp(['SET', 'q', 'zz']), 0],
    ]);
    const replies = events.filter((e) => e.name === 'redis_command_reply');
    for (const s of sends.slice(-4)) assert.equal(replies.filter((r) => r.p.command_id === s.p.command_id).length, 1, `one reply for ${s.p.cmd}`);
  });

  test('a reply larger than what the agent keeps in memory is counted as it passes, and the connection stays traced', () => {
    const events = runTraced(`
      const { Redis } = require('ioredis');
      (async () => {
        const a = new Redis({ port: ${single} });
        await a.set('big', 'x'.repeat(6 << 20));
        await a.get('big');
        await a.incr('after');
        a.disconnect();
      })();`, {}, path.join(tmp, 't4'));
    const sends = events.filter((e) => e.name === 'redis_command_send');
    const replies = new Map(events.filter((e) => e.name === 'redis_command_reply').map((e) => [e.p.command_id, e.p]));
    const reply = (cmd: string) => replies.get(sends.find((e) => e.p.cmd === cmd)?.p.command_id);
    assert.equal(reply('get')?.bytes, `$${6 << 20}\r\n`.length + (6 << 20) + 2);
    assert.equal(reply('get')?.ok, 1);
    assert.equal(reply('incr')?.bytes, ':1\r\n'.length, 'the command after the long value is still traced');
  });

  test('MOVED redirects in a cluster are recorded on the reply', () => {
    const events = runTraced(`
      const { Redis } = require('ioredis');
      (async () => {
        // a plain client on one node: keys owned by other nodes answer MOVED
        const c = new Redis({ port: ${cluster[0]} });
        for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await c.get(k).catch(() => {});
        c.disconnect();
        const cl = new Redis.Cluster([{ host: '127.0.0.1', port: ${cluster[0]} }]);
        for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) await cl.set(k, '1');
        cl.disconnect();
      })();`, { REDTRACE_REDIS_PORTS: cluster.join(',') }, path.join(tmp, 't2'));
    const replies = events.filter((e) => e.name === 'redis_command_reply');
    const moved = replies.filter((e) => e.p.redirect === 'MOVED');
    assert.ok(moved.length >= 2, `MOVED replies: ${moved.length}`);
    for (const m of moved) assert.equal(m.p.ok, 0);
    // the cluster client sends each SET to the node that owns the key: every SET succeeds
    const sets = events.filter((e) => e.name === 'redis_command_send' && e.p.cmd === 'set');
    assert.equal(sets.length, 6);
    const ports = new Set(sets.map((e) => e.p.remote_port));
    assert.ok(ports.size >= 2, 'the SETs went to several nodes');
  });
});

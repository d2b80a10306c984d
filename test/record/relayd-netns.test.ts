// Two hosts on one machine, streaming to one lttng-relayd: two network
// namespaces joined by a veth pair, each with its own hostname (UTS
// namespace) and its own LTTng session daemon (mount namespace, see
// scripts/lttng-private.sh). Host A runs the instrumented Redis, host B a
// Node.js client (traced by the agent) sending it commands over the veth;
// each records with `redtrace record --relayd`. The relayd runs on host A, as
// a collector would. `redtrace analyze` then reads what the relayd wrote as
// one experiment of two hosts.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CtfReader } from '../../src/ctf/index.js';
import { freePort } from '../../src/record/free-port.js';
import { sh } from '../../src/record/private-session.js';
import { buildRedis } from '../../src/record/redis-build.js';
import { REDTRACE, redtrace } from '../support/cli.js';
import { requireLttng } from '../support/lttng.js';

const PRIVATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/lttng-private.sh');
const IOREDIS = createRequire(import.meta.url).resolve('ioredis');

// the test's pid in every name, so concurrent runs do not collide
const ID = process.pid;
const NS = { a: `rt-a-${ID}`, b: `rt-b-${ID}` };
const HOST = { a: `redis-host-${ID}`, b: `node-host-${ID}` };
const VETH = { a: `rta${ID}`, b: `rtb${ID}` };
const NET = `10.${(ID >> 8) & 255}.${ID & 255}`;
const IP = { a: `${NET}.1`, b: `${NET}.2` };
const ROUNDS = 10; // of SET, GET, INCR

// Host B's program: ioredis against A's Redis, then the local port it used, to find the connection in A's trace.
const CLIENT = `
const Redis = require(${JSON.stringify(IOREDIS)});
(async () => {
  const [host, port, rounds] = process.argv.slice(1);
  const r = new Redis({ host, port: Number(port), lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  for (let i = 0; i < Number(rounds); i++) {
    await r.set('k' + i, 'v' + i);
    await r.get('k' + i);
    await r.incr('n');
  }
  console.log(JSON.stringify({ localPort: r.stream.localPort, n: await r.get('n') }));
  r.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
`;

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a bash script on a "host": its network namespace, a hostname of its own, a private session daemon. */
function onHost(ns: string, hostname: string, script: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const inner = `hostname ${sh(hostname)} && exec bash ${sh(PRIVATE)} ${sh(script)}`;
  return spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'bash', '-c', inner], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Ended { code: number | null; stdout: string; stderr: string }

/** Collects a child's output; resolves when it exits, or once `ready` shows in its stdout (within `timeoutMs`, if given). */
function watch(child: ChildProcess, ready?: RegExp, timeoutMs?: number): Promise<Ended> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new Error(`no ${ready ? `${ready}` : 'exit'} after ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (ready?.test(stdout)) { clearTimeout(timer); resolve({ code: null, stdout, stderr }); }
    });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (ready && !ready.test(stdout)) reject(new Error(`exited (${code}) before it was ready:\n${stdout}\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** `p`, or a failure after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listening(ns: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ip('netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`).trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} in ${ns}`);
}

type Payload = Record<string, unknown>;

/** Every event name of the traces under `dir`, and the payloads of Redis accepts and Node.js command replies. */
function readEvents(dir: string): { names: string[]; accepts: Payload[]; replies: Payload[] } {
  const reader = CtfReader.open([dir]);
  const names: string[] = [];
  const accepts: Payload[] = [];
  const replies: Payload[] = [];
  for (let ev = reader.next(); ev; ev = reader.next()) {
    const name = ev.event.cls.name;
    names.push(name);
    if (name === 'redis:accept_connection') accepts.push(ev.payload as Payload);
    if (name === 'nodejs:redis_command_reply') replies.push(ev.payload as Payload);
  }
  reader.close();
  return { names, accepts, replies };
}

describe('two hosts (network namespaces) stream to one lttng-relayd', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-relayd-'));
  const out = path.join(tmp, 'relayd');
  const children: ChildProcess[] = [];
  const made: string[] = [];
  let recA: Ended;
  let recB: Ended;
  let client: { localPort: number; n: string };
  let traceA: ReturnType<typeof readEvents>;
  let traceB: ReturnType<typeof readEvents>;
  let analysis: {
    events: number; hosts: string[]; discardedEvents: number;
    redisNodes: { name: string }[]; services: { name: string }[];
    commands: Record<string, { count: number }>; links: { redisLinked: number; redisUnmatched: number };
  };

  before(async () => {
    requireLttng();
    const missing = ['ip', 'ss'].filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);
    if (missing.length) throw new Error(`this test needs ${missing.join(' and ')}: install iproute2 (scripts/setup.sh does)`);
    const bins = buildRedis();
    for (const ns of [NS.a, NS.b]) {
      ip('netns', 'add', ns);
      made.push(ns);
    }
    ip('link', 'add', VETH.a, 'netns', NS.a, 'type', 'veth', 'peer', 'name', VETH.b, 'netns', NS.b);
    for (const h of ['a', 'b'] as const) {
      ip('-n', NS[h], 'addr', 'add', `${IP[h]}/24`, 'dev', VETH[h]);
      ip('-n', NS[h], 'link', 'set', VETH[h], 'up');
      ip('-n', NS[h], 'link', 'set', 'lo', 'up');
    }

    const [ctrl, data, live, redisPort] = [freePort(), freePort(), freePort(), freePort()];
    const relayd = spawn('ip', ['netns', 'exec', NS.a, 'lttng-relayd', '-C', `tcp://${IP.a}:${ctrl}`, '-D', `tcp://${IP.a}:${data}`, '-L', `tcp://127.0.0.1:${live}`, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(relayd);
    const relaydEnded = watch(relayd);
    await listening(NS.a, ctrl);
    const url = `net://${IP.a}:${ctrl}:${data}`;
    const record = (inner: string) => `${sh(process.execPath)} ${sh(REDTRACE)} record --relayd ${url} -- bash -c ${sh(inner)}`;

    // host A: Redis on the veth address, until host B's part is done
    const cli = `${sh(bins.cli)} -h ${IP.a} -p ${redisPort}`;
    const a = onHost(NS.a, HOST.a, record([
      `${sh(bins.server)} --port ${redisPort} --bind ${IP.a} --protected-mode no --save '' --appendonly no >/dev/null 2>&1 & rp=$!`,
      `for i in $(seq 200); do ${cli} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
      'echo ready',
      'wait $rp',
    ].join('\n')));
    children.push(a);
    const aEnded = watch(a);
    await watch(a, /ready/, 60_000);

    // host B: the Node.js client, traced by the agent that `redtrace record` sets up
    const b = onHost(NS.b, HOST.b, record(`${sh(process.execPath)} -e ${sh(CLIENT)} ${IP.a} ${redisPort} ${ROUNDS}`), {
      REDTRACE_SERVICE: 'client-b',
      REDTRACE_REDIS_PORTS: String(redisPort),
    });
    children.push(b);
    recB = await watch(b, undefined, 60_000);
    assert.equal(recB.code, 0, `host B: ${recB.stderr}`);
    client = JSON.parse(recB.stdout.trim().split('\n').pop()!);

    const shut = spawnSync('ip', ['netns', 'exec', NS.b, bins.cli, '-h', IP.a, '-p', String(redisPort), 'shutdown', 'nosave'], { encoding: 'utf8' });
    assert.ok(!shut.error, String(shut.error));
    recA = await within(aEnded, 60_000, 'host A after Redis shut down');
    assert.equal(recA.code, 0, `host A: ${recA.stderr}`);

    // both sessions are destroyed, so the relayd has written everything
    relayd.kill('SIGTERM');
    await within(relaydEnded, 10_000, 'lttng-relayd after SIGTERM');

    const r = redtrace(['analyze', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    analysis = JSON.parse(r.stdout.toString());
    traceA = readEvents(path.join(out, HOST.a));
    traceB = readEvents(path.join(out, HOST.b));
  });

  after(async () => {
    // every process in the test's namespaces was started by the test (session daemons included)
    for (const c of children) if (!exited(c)) c.kill('SIGTERM');
    for (const ns of made) {
      const pids = () => spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      for (const pid of pids()) try { process.kill(pid, 'SIGTERM'); } catch { /* gone already */ }
      for (let i = 0; i < 30 && pids().length > 0; i++) await sleep(100);
      for (const pid of pids()) try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('each host streamed its own session to the relayd, under its hostname', () => {
    assert.deepEqual(fs.readdirSync(out).filter((d) => !d.startsWith('.')).sort(), [HOST.a, HOST.b].sort());
    for (const rec of [recA, recB]) {
      assert.match(rec.stderr, new RegExp(`trace: streamed to the lttng-relayd at net://${IP.a.replace(/\./g, '\\.')}:\\d+:\\d+, session redtrace-`));
      assert.match(rec.stderr, /discarded events: 0/);
    }
    assert.equal(client.n, String(ROUNDS), 'the client got its replies from A');
  });

  test('each host\'s trace holds its own events: Redis on A, Node.js on B', () => {
    const { names: a, accepts } = traceA;
    const { names: b, replies } = traceB;
    assert.ok(a.length > 0 && a.every((n) => n.startsWith('redis:')), 'A: only Redis events');
    assert.ok(b.length > 0 && b.every((n) => n.startsWith('nodejs:')), 'B: only Node.js events');
    // the client's commands, plus the few the library sends when it connects
    assert.ok(replies.length >= ROUNDS * 3 + 1, `${replies.length} replies`);
    assert.ok(replies.every((p) => p.local_port === client.localPort), 'all on the one connection');
    // Redis on A accepted that connection from B's address, over the veth
    const fromB = accepts.filter((p) => p.peer_port === client.localPort);
    assert.equal(fromB.length, 1, `one accept from port ${client.localPort}: ${JSON.stringify(accepts)}`);
    assert.equal(fromB[0].peer_ip, IP.b);
    assert.equal(analysis.events, a.length + b.length, 'analyze read every event of both hosts');
  });

  test('analyze sees both hosts, and B\'s commands inside Redis on A', () => {
    assert.deepEqual(analysis.hosts, [HOST.a, HOST.b].sort());
    assert.equal(analysis.discardedEvents, 0);
    assert.equal(analysis.redisNodes.length, 1);
    assert.deepEqual(analysis.services.map((s) => s.name), ['client-b']);
    assert.equal(analysis.commands.set?.count, ROUNDS);
    assert.equal(analysis.commands.incr?.count, ROUNDS);
    assert.equal(analysis.commands.get?.count, ROUNDS + 1);
    // every command B sent is linked to its life cycle inside Redis on A, those Redis refused
    // without running them included (a library's CLIENT SETINFO on an older Redis)
    assert.ok(traceB.replies.some((p) => p.ok === 0), 'some commands were refused');
    assert.equal(analysis.links.redisLinked, traceB.replies.length);
    assert.equal(analysis.links.redisUnmatched, 0);
    assert.ok(analysis.links.redisLinked >= ROUNDS * 3 + 1);
  });
});

describe('redtrace record --relayd with a bad URL or no relayd', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('redtrace:'));

  test('a URL lttng would not take: usage error, before anything runs', () => {
    for (const url of ['http://host', 'net://', 'net://host:99999', 'net://[::1]', 'tcp://host:1:2:3']) {
      const r = redtrace(['record', '--relayd', url, '--', 'true']);
      assert.equal(r.status, 2, url);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /--relayd/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('nothing listening there: one line, exit 1, and the command never ran', () => {
    const port = freePort();
    const marker = path.join(os.tmpdir(), `redtrace-relayd-ran-${ID}`);
    const r = redtrace(['record', '--relayd', `tcp://127.0.0.1:${port}`, '--', 'touch', marker]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `redtrace: cannot reach an lttng-relayd at 127.0.0.1:${port} (ECONNREFUSED): start one there (lttng-relayd -d) or fix --relayd`);
    assert.equal(fs.existsSync(marker), false);
  });
});

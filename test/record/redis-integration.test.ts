// The instrumented Redis for real: build it, record it with `redtrace
// record` (private session daemon) while a client runs a known sequence
// (SET, GET, SUBSCRIBE + PUBLISH, a pipelined batch), read the trace with
// our CTF reader and check the exact events of each connection.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { CtfReader } from '../../src/ctf/index.js';
import { freePort } from '../../src/record/free-port.js';
import { sh } from '../../src/record/private-session.js';
import { buildRedis, type RedisBinaries } from '../../src/record/redis-build.js';
import { REDTRACE, withTempDir } from '../support/cli.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRIVATE = path.resolve(HERE, '../../../scripts/lttng-private.sh');
const CLIENT = path.resolve(HERE, '../support/resp-client.js');

type Payload = Record<string, unknown>;
interface Recorded {
  ports: { a: number; b: number };
  replies: string[];
  report: string;
  events: { name: string; p: Payload; cycles: bigint }[];
}

/** Records the client's sequence against the instrumented server with `redtrace record`. */
function record(bins: RedisBinaries, dir: string, profile: 'full' | 'light'): Recorded {
  const port = freePort();
  const cli = `${sh(bins.cli)} -p ${port}`;
  const inner = [
    `${sh(bins.server)} --port ${port} --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & rp=$!`,
    `for i in $(seq 200); do ${cli} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
    `${sh(process.execPath)} ${sh(CLIENT)} ${port}`,
    `${cli} shutdown nosave >/dev/null 2>&1 || true`,
    'wait $rp || true',
  ].join('\n');
  const script = `${sh(process.execPath)} ${sh(REDTRACE)} record -o ${sh(dir)} --profile ${profile} -- bash -c ${sh(inner)}`;
  const r = spawnSync(PRIVATE, [script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const { ports, replies } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const reader = CtfReader.open([dir]);
  const events: Recorded['events'] = [];
  for (let ev = reader.next(); ev; ev = reader.next()) {
    events.push({ name: ev.event.cls.name, p: ev.payload as Payload, cycles: ev.stream.base + BigInt(ev.cycles) });
  }
  reader.close();
  return { ports, replies, report: r.stderr, events };
}

/** Per connection (found by its client port in accept_connection), the names of its events; runs of queue inserts count once. */
function perConnection(rec: Recorded): Record<'a' | 'b', string[]> {
  const who = new Map<number, 'a' | 'b'>();
  const out: Record<'a' | 'b', string[]> = { a: [], b: [] };
  for (const { name, p } of rec.events) {
    if (name === 'redis:accept_connection') {
      if (p.peer_port === rec.ports.a) who.set(p.client_id as number, 'a');
      if (p.peer_port === rec.ports.b) who.set(p.client_id as number, 'b');
    }
    const k = who.get(p?.client_id as number);
    if (!k) continue;
    const token = name.replace('redis:', '') + (p.cmd !== undefined ? `:${p.cmd}` : '');
    if (token === 'insert_client_write_queue' && out[k].at(-1) === token) continue;
    out[k].push(token);
  }
  return out;
}

const read = ['start_read_client_query', 'end_read_client_query'];
const exec = (cmd: string) => [`call_command_start:${cmd}`, 'insert_client_write_queue', `call_command_end:${cmd}`, `request:${cmd}`, 'end_process_command'];
const write = ['write_to_client_start', 'reply_written', 'write_to_client_end'];

describe('instrumented Redis recorded by redtrace record', () => {
  let bins: RedisBinaries;
  before(() => {
    bins = buildRedis();
  });

  test('full profile: the exact events of each connection', () => {
    withTempDir('redis-full', (tmp) => {
      const rec = record(bins, path.join(tmp, 'trace'), 'full');
      assert.deepEqual(rec.replies.slice(0, 2), ['+OK\r\n', '$1\r\nv\r\n'], 'the client got its replies');
      assert.match(rec.report, /trace: .*trace/);
      assert.match(rec.report, /redis: \d+ events/);
      assert.match(rec.report, /discarded events: 0, lost packets: 0/);
      const seq = perConnection(rec);
      assert.deepEqual(seq.a, [
        'accept_connection',
        ...read, ...exec('set'), ...write,
        ...read, ...exec('get'), ...write,
        ...read, ...exec('publish'), ...write,
        ...read, ...exec('set'), ...exec('incr'), ...exec('get'), ...write, // the pipeline: one read, three commands, one write
        ...read, 'free_client',
      ]);
      assert.deepEqual(seq.b, [
        'accept_connection',
        ...read, ...exec('subscribe'), ...write,
        'insert_client_write_queue', ...write, // the published message
        ...read, 'free_client',
      ]);
      const deliver = rec.events.filter((e) => e.name === 'redis:pubsub_deliver');
      assert.deepEqual(deliver.map((e) => [e.p.channel, e.p.receivers]), [['ch', 1]]);
      const accepts = rec.events.filter((e) => e.name === 'redis:accept_connection' && (e.p.peer_port === rec.ports.a || e.p.peer_port === rec.ports.b));
      for (const e of accepts) assert.equal(e.p.peer_ip, '127.0.0.1');
    });
  });

  test('light profile: at most two events per request, with phase times in order', () => {
    withTempDir('redis-light', (tmp) => {
      const rec = record(bins, path.join(tmp, 'trace'), 'light');
      const seq = perConnection(rec);
      assert.deepEqual(seq.a, ['accept_connection', 'request:set', 'reply_written', 'request:get', 'reply_written', 'request:publish', 'reply_written', 'request:set', 'request:incr', 'request:get', 'reply_written', 'free_client']);
      assert.deepEqual(seq.b, ['accept_connection', 'request:subscribe', 'reply_written', 'reply_written', 'free_client']);
      for (const { name, p, cycles } of rec.events) {
        if (name === 'redis:request') {
          const t = [p.read_start_ns, p.read_end_ns, p.exec_start_ns, p.exec_end_ns].map((x) => BigInt(x as number));
          for (let i = 1; i < t.length; i++) assert.ok(t[i - 1] <= t[i], `request phases in order: ${t.join(' ')}`);
          assert.ok(t[3] <= cycles && cycles - t[0] < 1_000_000_000n, 'phases end before the event and not long before');
        }
        if (name === 'redis:reply_written') {
          assert.ok(BigInt(p.write_start_ns as number) <= BigInt(p.write_end_ns as number));
          assert.ok((p.bytes as number) > 0);
        }
      }
    });
  });
});

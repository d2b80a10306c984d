// The agent's CTF writer, value by value: every field kind at its edges
// (64-bit ids past 32 bits, ports past 16, negative fds, non-ASCII and NUL
// in strings, strings past the length limit, doubles), read back by the
// project's reader (which keeps a string's bytes), with timestamps from the clock LTTng uses.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CtfStreamWriter } from '../../src/agent/ctf-writer.js';
import { EV, type Conn } from '../../src/agent/events.js';
import { CtfReader, type CtfEvent } from '../../src/ctf/index.js';

test('every field kind is written as given and read back, each event at the time it was emitted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-writer-'));
  try {
    const w = new CtfStreamWriter(dir, { service: 'svc', procname: 'node', pid: 4242 });
    const conn: Conn = { localAddr: '127.0.0.1', localPort: 40001, remoteAddr: '::1', remotePort: 6379, fd: -1 };
    const before = process.hrtime.bigint();
    w.emit(EV.process_start, ['x'.repeat(5000), 4242, 'v20']);
    w.emit(EV.http_client_request, [2 ** 40 + 5, 0, 'GET', 'hôte-ü.example', 70000, '/a\0b']);
    w.emit(EV.http_server_receive, [7, 'POST', '/kv/é', conn]);
    w.emit(EV.redis_command_reply, [2 ** 32, 1, 'MOVED', 12, 3, 40001, -5]);
    w.emit(EV.event_loop_delay, [1e9, 1000, 2000, 3000, 1500.25]);
    w.emit(EV.gc, ['minor', -3]);
    const after = process.hrtime.bigint();
    w.close();

    const r = CtfReader.open([path.join(dir, fs.readdirSync(dir)[0])]);
    const got: { name: string; p: Record<string, unknown>; ns: bigint }[] = [];
    for (let ev = r.next(); ev; ev = r.next()) got.push({ name: ev.event.cls.name, p: ev.payload as Record<string, unknown>, ns: ev.stream.base + BigInt(ev.cycles) }); // (cycles count from the stream's base; the clock ticks in ns)
    r.close();
    assert.deepEqual(got.map((e) => e.name), ['process_start', 'http_client_request', 'http_server_receive', 'redis_command_reply', 'event_loop_delay', 'gc'].map((n) => `nodejs:${n}`));
    const num = (v: unknown) => Number(v);
    const utf8 = (s: string) => Buffer.from(s).toString('latin1'); // (the reader keeps a string's bytes, as latin1)
    assert.equal(String(got[0].p.service), 'x'.repeat(4096), 'a string past the limit is cut at 4096 characters');
    assert.equal(num(got[0].p.pid), 4242);
    assert.equal(num(got[1].p.request_id), 2 ** 40 + 5);
    assert.equal(got[1].p.host, utf8('hôte-ü.example'));
    assert.equal(num(got[1].p.port), 70000 & 0xffff);
    assert.equal(got[1].p.path, '/a b', 'a NUL inside a string becomes a space');
    assert.deepEqual([got[2].p.method, got[2].p.path, got[2].p.local_addr, num(got[2].p.local_port), got[2].p.remote_addr, num(got[2].p.remote_port), num(got[2].p.fd)], ['POST', utf8('/kv/é'), '127.0.0.1', 40001, '::1', 6379, -1]);
    assert.deepEqual([num(got[3].p.command_id), num(got[3].p.ok), got[3].p.redirect, num(got[3].p.fd)], [2 ** 32, 1, 'MOVED', -5]);
    assert.equal(got[4].p.mean_ns, 1500.25);
    assert.equal(num(got[4].p.interval_ns), 1e9);
    assert.equal(num(got[5].p.duration_ns), 0, 'a negative count is written as 0');
    for (const [i, e] of got.entries()) {
      assert.ok(e.ns >= before && e.ns <= after, `event ${i} at ${e.ns}, emitted between ${before} and ${after}`);
      if (i > 0) assert.ok(e.ns >= got[i - 1].ns, 'in order');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer whose disk is behind drops events and counts them in the packet context, never holding the caller', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-writer-full-'));
  try {
    const w = new CtfStreamWriter(dir, { service: 'svc', procname: 'node', pid: 4242 });
    // in one synchronous run, no write reaches the disk: past its 4 MiB queue the writer drops
    const emitted = 200_000;
    for (let i = 0; i < emitted; i++) w.emit(EV.http_server_response, [i, 200, 100]);
    w.close();
    const r = CtfReader.open([path.join(dir, fs.readdirSync(dir)[0])]);
    let read = 0;
    let last: CtfEvent | undefined;
    for (let ev = r.next(); ev; ev = r.next(), read++) last = ev;
    r.close();
    const discarded = Number(last?.packet.context?.events_discarded);
    assert.ok(read > 0 && discarded > 0, `${read} events kept, ${discarded} dropped`);
    assert.equal(read + discarded, emitted, 'every event is either in the trace or counted as discarded');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The agent's trace reaches the disk while the process runs: a packet goes
// out when full or a second old, at the size of its events. A process killed
// outright (SIGKILL: no exit handler runs) keeps what it recorded before.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CtfReader } from '../../src/ctf/index.js';
import { startProcess } from '../support/processes.js';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cjs/agent/register.js');
// one request to itself, then the process idles until killed
const APP = `
const http = require('http');
const s = http.createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: s.address().port, path: '/quiet' }, (res) => {
    res.resume(); res.on('end', () => { console.log('served'); setInterval(() => {}, 1000); });
  });
});`;

/** The events' names; and each packet's bounds checked against its first and last event's time. */
function names(dir: string): string[] {
  const r = CtfReader.open([dir]);
  const out: string[] = [];
  const begun = new Set<number>();
  const last = new Map<number, { at: number; end?: number }>();
  for (let ev = r.next(); ev; ev = r.next()) {
    out.push(ev.event.cls.name);
    const p = ev.packet;
    if (!begun.has(p.offset)) {
      begun.add(p.offset);
      assert.equal(p.beginCycles, ev.cycles, `packet at ${p.offset} begins with its first event`);
    }
    last.set(p.offset, { at: ev.cycles, end: p.endCycles });
  }
  r.close();
  for (const [offset, { at, end }] of last) assert.equal(end, at, `packet at ${offset} ends with its last event`);
  return out;
}

test('a quiet process has its events on disk within two seconds, and keeps them when killed outright', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-agent-disk-'));
  try {
    const p = await startProcess(process.execPath, ['--require', AGENT, '-e', APP], { REDTRACE_TRACE_DIR: dir }, /served/);
    try {
      const [trace] = fs.readdirSync(dir);
      const stream = path.join(dir, trace, 'stream_0');
      const deadline = Date.now() + 5000;
      while (fs.statSync(stream).size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const size = fs.statSync(stream).size;
      assert.ok(size > 0, 'a packet was written while the process runs');
      assert.ok(size < 4096, `the packet is as long as its events, not 64 KiB (${size} bytes)`);
    } finally {
      p.child.kill('SIGKILL');
      await new Promise((r) => p.child.once('exit', r));
    }
    const got = names(dir);
    for (const n of ['nodejs:process_start', 'nodejs:http_server_receive', 'nodejs:http_server_response', 'nodejs:http_client_request', 'nodejs:http_client_response']) {
      assert.ok(got.includes(n), `${n} in ${got.join(' ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

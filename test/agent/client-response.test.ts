// An outgoing HTTP request's response is recorded when it ends, not when its
// headers arrive: a body that takes long to come is inside the client span and
// counted in its bytes; a response cut off before its end is recorded with status 0.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readAgentTrace, type AgentEvent } from '../support/agent-trace.js';
import { startProcess, stopProcess } from '../support/processes.js';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cjs/agent/register.js');
// /slow: headers and 1,000 bytes, then 50,000 more 200 ms later; /cut: headers and 1,000 bytes, then the connection drops
const APP = `
const http = require('http');
const s = http.createServer((q, r) => {
  r.writeHead(200, { 'content-length': '51000' });
  r.write('a'.repeat(1000));
  if (q.url === '/slow') setTimeout(() => r.end('b'.repeat(50000)), 200);
  else setTimeout(() => r.socket.destroy(), 50);
}).listen(0, '127.0.0.1', () => {
  const get = (p, then) => http.get({ host: '127.0.0.1', port: s.address().port, path: p }, (res) => {
    let n = 0;
    res.on('data', (d) => (n += d.length));
    res.on('error', () => {});
    res.on('close', () => then(n));
  });
  get('/slow', (slow) => get('/cut', (cut) => console.log('done', slow, cut)));
});`;

function one(events: AgentEvent[], name: string, key: string, value: unknown): AgentEvent {
  const found = events.filter((e) => e.name === name && e.p[key] === value);
  assert.equal(found.length, 1, `one ${name} with ${key} = ${String(value)}`);
  return found[0];
}

test('a client response is recorded at its end with its whole body, or with status 0 when cut off', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redtrace-agent-response-'));
  try {
    const p = await startProcess(process.execPath, ['--require', AGENT, '-e', APP], { REDTRACE_TRACE_DIR: dir }, /done 51000 1000/);
    await stopProcess(p);
    const events = readAgentTrace(dir);
    const at = (e: AgentEvent) => events.indexOf(e);
    for (const [route, status] of [['/slow', 200], ['/cut', 0]] as const) {
      const request = one(events, 'http_client_request', 'path', route);
      const response = one(events, 'http_client_response', 'request_id', request.p.request_id);
      const served = one(events, 'http_server_receive', 'path', route);
      assert.equal(response.p.status, status, `${route}: status`);
      if (route === '/slow') {
        // the server finished writing the body before the client read its end
        const finished = one(events, 'http_server_response', 'request_id', served.p.request_id);
        assert.ok(at(response) > at(finished), `${route}: the client response is recorded after the server's`);
        assert.equal(response.p.bytes, finished.p.bytes, `${route}: the client read what the server wrote`);
        assert.ok(Number(response.p.bytes) > 51_000, `${route}: headers and body (${String(response.p.bytes)} bytes)`);
      } else {
        assert.ok(Number(response.p.bytes) > 1000 && Number(response.p.bytes) < 51_000, `${route}: what came before the cut (${String(response.p.bytes)} bytes)`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

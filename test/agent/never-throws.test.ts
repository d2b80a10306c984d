// The agent never breaks the application: when it cannot write its trace,
// it says so in one line and the application runs as if it were not there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { withTempDir } from '../support/cli.js';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cjs/agent/register.js');
const APP = `
const http = require('http');
const s = http.createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: s.address().port, path: '/' }, (res) => {
    let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => { console.log('app says ' + b); s.close(); });
  });
});`;

test('a trace folder that cannot be written: one warning line, the application unaffected', () => {
  withTempDir('agent-fail', (dir) => {
    const notADir = path.join(dir, 'file');
    fs.writeFileSync(notADir, 'x');
    const r = spawnSync(process.execPath, ['--require', AGENT, '-e', APP], { env: { ...process.env, REDTRACE_TRACE_DIR: notADir }, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'app says ok\n');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^redtrace agent: disabled \(.+\); the application is not affected$/);
  });
});

test('where code generation from strings is disallowed: one warning line, the application unaffected', () => {
  withTempDir('agent-nocodegen', (dir) => {
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--require', AGENT, '-e', APP], { env: { ...process.env, REDTRACE_TRACE_DIR: dir }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'app says ok\n');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^redtrace agent: disabled \(.+\); the application is not affected$/);
  });
});

test('with a writable folder the same application is traced and behaves the same', () => {
  withTempDir('agent-ok', (dir) => {
    const r = spawnSync(process.execPath, ['--require', AGENT, '-e', APP], { env: { ...process.env, REDTRACE_TRACE_DIR: dir }, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'app says ok\n');
    assert.equal(r.stderr, '');
    const traces = fs.readdirSync(dir);
    assert.equal(traces.length, 1);
    assert.ok(fs.statSync(path.join(dir, traces[0], 'stream_0')).size > 0);
  });
});

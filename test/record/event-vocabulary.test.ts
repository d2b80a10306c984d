// The event vocabulary in docs/events.md and the tracepoints in the code
// must agree: every tracepoint documented, every documented event real,
// every event a profile enables declared.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { PROFILES } from '../../src/record/profiles.js';
import { NODEJS_EVENTS } from '../../src/agent/events.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = fs.readFileSync(path.join(ROOT, 'docs/events.md'), 'utf8');

function documented(provider: string): string[] {
  return [...docs.matchAll(new RegExp(`^### ${provider}:(\\w+)\\s*$`, 'gm'))].map((m) => m[1]).sort();
}

function redisTracepoints(): string[] {
  const h = fs.readFileSync(path.join(ROOT, 'native/redis/redis_tp.h'), 'utf8');
  return [...h.matchAll(/LTTNG_UST_TRACEPOINT_EVENT(?:_INSTANCE)?\(\s*redis\s*,\s*(\w+)/g)].map((m) => m[1]).sort();
}

test('every redis tracepoint is documented in docs/events.md, and only those', () => {
  const code = redisTracepoints();
  assert.ok(code.length >= 20, `the provider declares ${code.length} events`);
  assert.deepEqual(documented('redis'), code);
});

test('every nodejs event of the agent is documented with each of its fields, and only those', () => {
  assert.deepEqual(documented('nodejs'), NODEJS_EVENTS.map((e) => e.name).sort());
  for (const e of NODEJS_EVENTS) {
    const section = docs.split(`### nodejs:${e.name}`)[1].split(/^### /m)[0];
    for (const [field] of e.fields) assert.match(section, new RegExp(`\\b${field}\\b`), `nodejs:${e.name} documents ${field}`);
  }
});

test('the LTTng provider of the agent declares the same events and fields as the agent', () => {
  const h = fs.readFileSync(path.join(ROOT, 'native/node/nodejs_tp.h'), 'utf8');
  const conn = ['local_addr', 'local_port', 'remote_addr', 'remote_port', 'fd'];
  const declared = [...h.matchAll(/LTTNG_UST_TRACEPOINT_EVENT\(nodejs, (\w+),[\s\S]*?LTTNG_UST_TP_FIELDS\(([\s\S]*?)\)\)\n/g)].map((m) => ({
    name: m[1],
    fields: [...m[2].matchAll(/lttng_ust_field_\w+\((?:[\w ]+, )?(\w+),|NODEJS_CONN_FIELDS/g)].flatMap((f) => (f[0] === 'NODEJS_CONN_FIELDS' ? conn : [f[1]])),
  }));
  assert.deepEqual(declared, NODEJS_EVENTS.map((e) => ({ name: e.name, fields: e.fields.map(([n]) => n) })));
});

test('each documented event has a field table or says it has no fields', () => {
  const sections = docs.split(/^### /m).slice(1);
  for (const s of sections) {
    const name = s.split('\n')[0].trim();
    assert.ok(/\| field \| type \| meaning \|/.test(s) || /no fields/i.test(s), `${name}: no field table`);
  }
});

test('the recording profiles enable only events that exist', () => {
  const redis = new Set(redisTracepoints());
  for (const [name, p] of Object.entries(PROFILES)) {
    for (const e of p.events) {
      const [provider, event] = e.split(':');
      if (provider === 'redis' && event !== '*') assert.ok(redis.has(event), `profile ${name} enables unknown event ${e}`);
    }
  }
});

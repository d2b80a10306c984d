// The agent through LTTng: `redtrace record` runs Node.js services against
// the instrumented Redis, and the Node.js and Redis events land in one
// LTTng session (the agent's addon), read alike by our reader and babeltrace2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CtfReader } from '../../src/ctf/index.js';
import { freePort } from '../../src/record/free-port.js';
import { sh } from '../../src/record/private-session.js';
import { buildRedis } from '../../src/record/redis-build.js';
import { REDTRACE, babeltrace2, firstDifference, redtrace, withTempDir } from '../support/cli.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRIVATE = path.resolve(HERE, '../../../scripts/lttng-private.sh');
const SERVICE = path.resolve(HERE, '../../examples/services/service.cjs');

test('redtrace record: Node.js and Redis events in one LTTng session', () => {
  const bins = buildRedis();
  withTempDir('lttng-path', (tmp) => {
    const dir = path.join(tmp, 'trace');
    const redisPort = freePort();
    const httpPort = freePort();
    const inner = [
      `${sh(bins.server)} --port ${redisPort} --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & rp=$!`,
      `for i in $(seq 200); do ${sh(bins.cli)} -p ${redisPort} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
      `REDTRACE_REDIS_PORTS=${redisPort} ${sh(process.execPath)} ${sh(SERVICE)} ${httpPort} ${redisPort} & sp=$!`,
      `for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:${httpPort}/count && break; sleep 0.05; done`,
      `for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:${httpPort}/kv/k$i; done`,
      'kill -TERM $sp; wait $sp || true',
      `${sh(bins.cli)} -p ${redisPort} shutdown nosave >/dev/null 2>&1 || true`,
      'wait $rp || true',
    ].join('\n');
    const r = spawnSync(PRIVATE, [`${sh(process.execPath)} ${sh(REDTRACE)} record -o ${sh(dir)} -- bash -c ${sh(inner)}`], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /nodejs: \d+ events/);
    assert.match(r.stderr, /redis: \d+ events/);
    const reader = CtfReader.open([dir]);
    assert.equal(reader.traces.length, 1, 'one LTTng trace: no separate agent trace');
    const sends: string[] = [];
    let redisSets = 0;
    for (let ev = reader.next(); ev; ev = reader.next()) {
      const p = ev.payload as Record<string, unknown>;
      if (ev.event.cls.name === 'nodejs:redis_command_send') sends.push(String(p.cmd));
      if (ev.event.cls.name === 'redis:call_command_start' && p.cmd === 'set') redisSets++;
    }
    reader.close();
    // ioredis: set, get, incr, get per /kv; node-redis: incr per /count (the readiness probes included)
    assert.equal(sends.filter((c) => c === 'set').length, 3);
    assert.equal(redisSets, 3, 'Redis saw the three SETs the service sent');
    const ref = babeltrace2([dir]);
    assert.equal(ref.status, 0, ref.stderr);
    const ours = redtrace(['events', dir]);
    assert.ok(ours.stdout.equals(ref.stdout), firstDifference(ref.stdout, ours.stdout));
  });
});

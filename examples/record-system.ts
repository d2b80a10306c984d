/**
 * Records the example system for real: the instrumented Redis, the service
 * and the gateway (Node.js, traced by the agent), REQUESTS requests through
 * the gateway, all under `redtrace record` with a private LTTng session
 * daemon. Used by the demo and the analysis tests.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/record/free-port.js';
import { sh } from '../src/record/private-session.js';
import { buildRedis } from '../src/record/redis-build.js';
import { RecordError } from '../src/record/errors.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRIVATE = here('../../scripts/lttng-private.sh');
const REDTRACE = here('../src/cli/main.js');

export function recordExampleSystem(dir: string, requests: number, profile: 'full' | 'light' = 'full'): string {
  const bins = buildRedis();
  const [redisPort, svcPort, gwPort] = [freePort(), freePort(), freePort()];
  const node = sh(process.execPath);
  const inner = [
    `${sh(bins.server)} --port ${redisPort} --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & rp=$!`,
    `for i in $(seq 200); do ${sh(bins.cli)} -p ${redisPort} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
    `REDTRACE_SERVICE=service REDTRACE_REDIS_PORTS=${redisPort} ${node} ${sh(here('./services/service.cjs'))} ${svcPort} ${redisPort} & sp=$!`,
    `REDTRACE_SERVICE=gateway ${node} ${sh(here('./services/gateway.cjs'))} ${gwPort} ${svcPort} & gp=$!`,
    `for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:${svcPort}/ready && curl -s -o /dev/null http://127.0.0.1:${gwPort}/ready && break; sleep 0.05; done`,
    `for i in $(seq ${requests}); do curl -s -o /dev/null http://127.0.0.1:${gwPort}/api/key$i; done`,
    'kill -TERM $gp $sp; wait $gp $sp || true',
    `${sh(bins.cli)} -p ${redisPort} shutdown nosave >/dev/null 2>&1 || true`,
    'wait $rp || true',
  ].join('\n');
  const r = spawnSync(PRIVATE, [`${node} ${sh(REDTRACE)} record -o ${sh(dir)} --profile ${profile} -- bash -c ${sh(inner)}`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new RecordError(`recording the example system failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stderr;
}

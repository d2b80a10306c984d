/**
 * bench:agent-overhead — what the Node.js agent costs an application. The
 * two-service app of the tests (gateway → service → Redis, through http,
 * fetch, ioredis and node-redis) under autocannon, in rounds alternating
 * four configurations: no agent; the redtrace agent; OpenTelemetry's
 * auto-instrumentation with an exporter that drops spans; and the async
 * context alone (an AsyncLocalStorage entered per request, nothing
 * recorded), the floor under any agent that finds parents through
 * async_hooks on Node.js 20 (the redtrace agent carries its context in
 * V8's continuation slot instead: docs/events.md, "Parent requests").
 * Last line: {"bench":"agent-overhead","redtrace_loss":..,"otel_loss":..,"async_context_loss":..,
 * "baseline_rps":..,"paired_loss":{..},"cpu_us_per_request":{..},"cpu_us_per_request_by_process":{"gateway":{..},"service":{..}}}
 * (loss = 1 - rps / baseline rps; medians; paired_loss: the median over rounds of each round's
 * loss against its own no-agent measure, which the machine's drift moves less; the CPU is the
 * gateway's and the service's, together and apart, per request through the gateway)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '../src/record/free-port.js';
import { startProcess, stopProcess, type Started } from '../test/support/processes.js';
import { median, tell } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7); // the machine is shared: more rounds, steadier medians
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SERVICES = here('../examples/services/');
const PRELOAD = {
  none: [] as string[],
  redtrace: ['--require', here('../cjs/agent/register.js')],
  otel: ['--require', here('../test/support/otel/preload.cjs')],
  async_context: ['--require', here('./async-context-only.cjs')],
};
type Config = keyof typeof PRELOAD;

/** CPU time (user + system, all threads) a process has used so far, in µs. */
function cpuMicros(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS;
}

/** Requests per second, and the CPU per request (µs) of the gateway and of the service: steadier than throughput on a shared machine. */
async function measure(cfg: Config, redisPort: number, traceDir: string): Promise<{ rps: number; gateway: number; service: number }> {
  const svcPort = freePort();
  const gwPort = freePort();
  const env = { REDTRACE_TRACE_DIR: traceDir, REDTRACE_REDIS_PORTS: String(redisPort) };
  const procs: Started[] = [];
  try {
    procs.push(await startProcess(process.execPath, [...PRELOAD[cfg], join(SERVICES, 'service.cjs'), String(svcPort), String(redisPort)], env, /ready/));
    procs.push(await startProcess(process.execPath, [...PRELOAD[cfg], join(SERVICES, 'gateway.cjs'), String(gwPort), String(svcPort)], env, /ready/));
    const url = `http://127.0.0.1:${gwPort}/api/key`;
    await autocannon({ url, connections: 10, duration: 2 }); // warm-up (JIT, connection pools)
    const [service, gateway] = procs.map((p) => p.child.pid!);
    const before = { gateway: cpuMicros(gateway), service: cpuMicros(service) };
    const r = await autocannon({ url, connections: 10, duration: SECONDS });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${cfg}: ${r.non2xx} non-2xx replies, ${r.errors} errors`);
    const perRequest = (pid: number, from: number) => (cpuMicros(pid) - from) / r.requests.total;
    return { rps: r.requests.average, gateway: perRequest(gateway, before.gateway), service: perRequest(service, before.service) };
  } finally {
    for (const p of procs.reverse()) await stopProcess(p);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-agent-'));
  const redisPort = freePort();
  const redis = await startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/);
  try {
    const order: Config[] = ['none', 'redtrace', 'otel', 'async_context'];
    const each = (): Record<Config, number[]> => ({ none: [], redtrace: [], otel: [], async_context: [] });
    const [rps, cpu, gateway, service] = [each(), each(), each(), each()];
    for (let round = 0; round < ROUNDS; round++) {
      for (const cfg of round % 2 === 0 ? order : [...order].reverse()) {
        const v = await measure(cfg, redisPort, join(work, `traces-${round}`));
        tell(`round ${round + 1}/${ROUNDS}: ${cfg} ${Math.round(v.rps)} req/s, ${Math.round(v.gateway)} + ${Math.round(v.service)} µs CPU/request (gateway + service)`);
        rps[cfg].push(v.rps);
        cpu[cfg].push(v.gateway + v.service);
        gateway[cfg].push(v.gateway);
        service[cfg].push(v.service);
      }
    }
    for (const c of order) console.log(`${c}: ${rps[c].map((x) => Math.round(x)).join(' ')} req/s; ${cpu[c].map((x) => Math.round(x)).join(' ')} µs CPU/request`);
    const base = median(rps.none);
    const loss = (c: Config) => Math.round((1 - median(rps[c]) / base) * 1000) / 1000;
    // each configuration against no agent in the same round, then the median: measures close in time share the machine's load
    const pairedLoss = (c: Config) => Math.round(median(rps[c].map((r, i) => 1 - r / rps.none[i])) * 1000) / 1000;
    const medians = (xs: Record<Config, number[]>) => Object.fromEntries(order.map((c) => [c, Math.round(median(xs[c]))]));
    console.log(JSON.stringify({
      bench: 'agent-overhead', redtrace_loss: loss('redtrace'), otel_loss: loss('otel'), async_context_loss: loss('async_context'), baseline_rps: Math.round(base),
      paired_loss: { redtrace: pairedLoss('redtrace'), otel: pairedLoss('otel'), async_context: pairedLoss('async_context') },
      cpu_us_per_request: medians(cpu), cpu_us_per_request_by_process: { gateway: medians(gateway), service: medians(service) },
    }));
  } finally {
    await stopProcess(redis);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:agent-overhead: ${(e as Error).message}`);
  process.exit(1);
});

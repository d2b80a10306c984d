/**
 * bench:agent-hop — the agent's cost on one HTTP hop (a server request and the
 * client request that made it, in one process: bench/hop-loop.cts), in rounds
 * alternating no agent, the redtrace agent and OpenTelemetry's
 * auto-instrumentation (spans dropped). One process and no load generator of
 * its own: the figure moves by about 1 µs from run to run where the
 * four-process bench:agent-overhead moves by 15 or more, so changes to the
 * agent of a few µs show here. Last line: {"bench":"agent-hop",
 * "redtrace_overhead":..,"otel_overhead":..,"cpu_us_per_request":{..}}
 * (overhead = CPU per request / CPU per request with no agent - 1; medians)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, step } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40_000);
if (!(Number.isInteger(ROUNDS) && ROUNDS > 0 && Number.isInteger(REQUESTS) && REQUESTS > 0)) {
  console.error('bench:agent-hop: BENCH_ROUNDS and BENCH_REQUESTS must be positive integers');
  process.exit(2);
}
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRELOAD = {
  none: [] as string[],
  redtrace: ['--require', here('../cjs/agent/register.js')],
  otel: ['--require', here('../test/support/otel/preload.cjs')],
};
type Config = keyof typeof PRELOAD;

function measure(cfg: Config, traceDir: string): number {
  const out = execFileSync(process.execPath, [...PRELOAD[cfg], here('./hop-loop.cjs'), String(REQUESTS)], {
    env: { ...process.env, REDTRACE_TRACE_DIR: traceDir },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const last = out.trim().split('\n').pop() ?? '';
  const v = (JSON.parse(last) as { cpu_us_per_request?: unknown }).cpu_us_per_request;
  if (typeof v !== 'number') throw new Error(`${cfg}: the hop loop printed no figure`);
  return v;
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-hop-'));
  try {
    const order: Config[] = ['none', 'redtrace', 'otel'];
    const cpu: Record<Config, number[]> = { none: [], redtrace: [], otel: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const cfg of round % 2 === 0 ? order : [...order].reverse()) {
        const v = step(`round ${round + 1}/${ROUNDS}: ${cfg}`, () => measure(cfg, join(work, `traces-${round}`)));
        cpu[cfg].push(v);
      }
    }
    for (const c of order) console.log(`${c}: ${cpu[c].map((x) => x.toFixed(1)).join(' ')} µs CPU/request`);
    const base = median(cpu.none);
    const overhead = (c: Config) => Math.round((median(cpu[c]) / base - 1) * 1000) / 1000;
    console.log(JSON.stringify({ bench: 'agent-hop', redtrace_overhead: overhead('redtrace'), otel_overhead: overhead('otel'), cpu_us_per_request: Object.fromEntries(order.map((c) => [c, Math.round(median(cpu[c]) * 10) / 10])) }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:agent-hop: ${(e as Error).message}`);
  process.exit(1);
}

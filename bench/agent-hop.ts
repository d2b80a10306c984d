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
 *
 * With --instructions (npm run bench:agent-instructions), the same loop runs
 * under valgrind and the figure is the instructions executed per request:
 * the same in every run to within 1 %, where CPU time on a shared machine is
 * not, so a change of 1 % shows. Each configuration runs twice (2,000 and
 * 10,000 requests after the same warm-up) and the difference is divided by
 * the 8,000 requests between them, which leaves out start-up and warm-up.
 * V8 optimizes on the main thread there (--no-concurrent-recompilation):
 * under valgrind a background compiler falls so far behind that hot code
 * would run unoptimized. Clock reads cost more under valgrind (no vDSO), so
 * timestamps weigh more than they do natively. The loop runs twice over: as
 * above, and with the hop made from inside a request (hop-loop.cts,
 * "in-request"), where the client side works in a request's context as a
 * gateway's does. Last line: {"bench":"agent-instructions",
 * "redtrace_overhead":..,"otel_overhead":..,"instructions_per_request":{..},
 * "in_request":{"redtrace_overhead":..,"otel_overhead":..,"instructions_per_request":{..}}}
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, step, tell } from './lib.js';

const INSTRUCTIONS = process.argv.includes('--instructions');
const BENCH = INSTRUCTIONS ? 'agent-instructions' : 'agent-hop';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40_000);
// (the instruction count needs neither: its runs are fixed, and one of each is enough)
if (!INSTRUCTIONS && !(Number.isInteger(ROUNDS) && ROUNDS > 0 && Number.isInteger(REQUESTS) && REQUESTS > 0)) {
  console.error(`bench:${BENCH}: BENCH_ROUNDS and BENCH_REQUESTS must be positive integers`);
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

type Loop = 'hop' | 'in-request';

/** Instructions one run of the hop loop executes (valgrind's count), all threads. */
function instructions(cfg: Config, loop: Loop, requests: number, traceDir: string): Promise<number> {
  const args = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', '--cachegrind-out-file=/dev/null',
    process.execPath, '--no-concurrent-recompilation', ...PRELOAD[cfg], here('./hop-loop.cjs'), String(requests), ...(loop === 'in-request' ? [loop] : [])];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { env: { ...process.env, REDTRACE_TRACE_DIR: traceDir }, encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 24 }, (err, _out, errOut) => {
      if (err) return reject(new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'valgrind is not installed (apt-get install valgrind)' : `${cfg}: valgrind failed: ${err.message.split('\n')[0]}`));
      const m = /I\s+refs:\s+([\d,]+)/.exec(errOut);
      if (!m) return reject(new Error(`${cfg}: valgrind printed no instruction count`));
      resolve(Number(m[1].replace(/,/g, '')));
    });
  });
}

/** Instructions per request: two runs (the loop warms up on 2,000 requests either way), the difference over the requests between them. */
async function instructionsPerRequest(cfg: Config, loop: Loop, work: string): Promise<number> {
  const dir = (n: string) => join(work, `${cfg}-${loop}-${n}`);
  const [few, many] = await Promise.all([instructions(cfg, loop, 2000, dir('few')), instructions(cfg, loop, 10_000, dir('many'))]);
  return (many - few) / 8000;
}

/** Instructions per request of each configuration on one loop, and the overheads. */
async function figures(loop: Loop, work: string): Promise<Record<string, unknown>> {
  const order: Config[] = ['none', 'redtrace', 'otel'];
  const per = {} as Record<Config, number>;
  for (const cfg of order) {
    const t0 = Date.now();
    per[cfg] = await instructionsPerRequest(cfg, loop, work);
    tell(`${loop}, ${cfg}: ${Math.round(per[cfg])} instructions/request (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const overhead = (c: Config) => Math.round((per[c] / per.none - 1) * 1000) / 1000;
  return { redtrace_overhead: overhead('redtrace'), otel_overhead: overhead('otel'), instructions_per_request: Object.fromEntries(order.map((c) => [c, Math.round(per[c])])) };
}

async function mainInstructions(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-instructions-'));
  try {
    const hop = await figures('hop', work);
    const inRequest = await figures('in-request', work);
    console.log(JSON.stringify({ bench: BENCH, ...hop, in_request: inRequest }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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

const fail = (e: unknown): never => {
  console.error(`bench:${BENCH}: ${(e as Error).message}`);
  process.exit(1);
};
if (INSTRUCTIONS) mainInstructions().catch(fail);
else {
  try {
    main();
  } catch (e) {
    fail(e);
  }
}

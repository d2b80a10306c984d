/**
 * bench:analysis-parallel — the analysis of two Redis traces in one pass
 * against one worker thread per trace. Records two instrumented Redis
 * servers under redis-benchmark in one session with per-process buffers (one
 * trace each) until each trace holds about BENCH_EVENTS events, then, in
 * rounds alternating the order, times `analyze` from scratch (histories
 * removed before each run) in each mode, each run a separate process.
 * Last line: {"bench":"analysis-parallel","events":N,"single_s":..,"parallel_s":..,"speedup":..}
 * Usage: node dist/bench/analysis-parallel.js [TRACE_DIR] (an existing recording is reused).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analysis/run.js';
import { CtfReader, findTraces } from '../src/ctf/index.js';
import { freePort } from '../src/record/free-port.js';
import { PROFILES } from '../src/record/profiles.js';
import { recordPrivate, sh } from '../src/record/private-session.js';
import { buildRedis } from '../src/record/redis-build.js';
import { median, step } from './lib.js';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 1_500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// full profile, -P 1: about 11 events per request for these tests
const TESTS = 'get,set,lpush,incr';
const PER_REQUEST = 11;

function record(trace: string): void {
  const bin = buildRedis();
  const requests = Math.ceil((TARGET_EVENTS * 1.05) / PER_REQUEST / TESTS.split(',').length);
  const ports = [freePort(), freePort()];
  const script = [
    ...ports.map((p, i) => `${sh(bin.server)} --port ${p} --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 & rp${i}=$!`),
    ...ports.map((p) => `for i in $(seq 200); do ${sh(bin.cli)} -p ${p} ping >/dev/null 2>&1 && break; sleep 0.05; done`),
    ...ports.map((p, i) => `${sh(bin.benchmark)} -h 127.0.0.1 -p ${p} -n ${requests} -c 50 -P 1 -t ${TESTS} -q >/dev/null & bp${i}=$!`),
    'wait $bp0 $bp1',
    ...ports.map((p) => `${sh(bin.cli)} -p ${p} shutdown nosave >/dev/null 2>&1 || true`),
    'wait $rp0 $rp1 || true',
  ].join('\n');
  const p = PROFILES.full;
  recordPrivate({ out: trace, run: script, buffers: 'pid', events: p.events.filter((e) => e.startsWith('redis:')), subbufSize: p.subbufSize, numSubbuf: p.numSubbuf });
}

function countEvents(dir: string): number {
  const r = CtfReader.open([dir]);
  let n = 0;
  for (let ev = r.next(); ev; ev = r.next()) n++;
  r.close();
  return n;
}

/** One analysis from scratch in a process of its own: wall seconds. */
function timed(trace: string, mode: 'single' | 'parallel'): number {
  rmSync(join(trace, '.redtrace'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--run', mode, trace], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`analyze (${mode}) failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!).s;
}

function main(): void {
  const given = process.argv[2];
  const work = given ? undefined : mkdtempSync(join(tmpdir(), 'redtrace-bench-parallel-'));
  const trace = given ?? join(work!, 'trace');
  try {
    if (!existsSync(trace)) step(`recording two servers, ~${TARGET_EVENTS} events each`, () => record(trace));
    const perTrace = findTraces([trace]).map((t) => countEvents(t.dir));
    if (perTrace.length < 2) throw new Error(`expected a trace per server, found ${perTrace.length}`);
    const single: number[] = [];
    const parallel: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runs = [() => single.push(step('single pass', () => timed(trace, 'single'))), () => parallel.push(step('workers', () => timed(trace, 'parallel')))];
      for (const run of round % 2 === 0 ? runs : runs.reverse()) run();
    }
    console.log(`events per trace: ${perTrace.join(', ')}; single pass: ${single.join(' ')} s; workers: ${parallel.join(' ')} s`);
    const [s, p] = [median(single), median(parallel)];
    console.log(JSON.stringify({ bench: 'analysis-parallel', events: perTrace.reduce((a, b) => a + b, 0), single_s: s, parallel_s: p, speedup: Math.round((s / p) * 100) / 100 }));
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--run') {
  const t0 = performance.now();
  const r = analyze([process.argv[4]], undefined, { parallel: process.argv[3] === 'parallel' });
  console.log(JSON.stringify({ s: Math.round(performance.now() - t0) / 1000, events: r.events, workers: r.workers?.length ?? 0 }));
} else {
  try {
    main();
  } catch (e) {
    console.error(`bench:analysis-parallel: ${(e as Error).message}`);
    process.exit(1);
  }
}

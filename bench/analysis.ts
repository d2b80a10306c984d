/**
 * bench:analysis — how fast the whole analysis is against babeltrace2 only
 * reading. Records a real trace of the instrumented Redis (full profile)
 * under redis-benchmark until it holds at least BENCH_EVENTS events, then,
 * in rounds alternating the order, times `babeltrace2 -o dummy TRACE` and
 * `redtrace analyze TRACE` (from scratch: its state history is removed
 * before each run), both as separate processes under GNU time.
 * Last line: {"bench":"analysis","events":N,"babeltrace2_s":..,"analyze_s":..,"ratio":..,"peak_rss_mb":..}
 * with ratio = babeltrace2_s / analyze_s (medians) and the analysis's largest peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/record/free-port.js';
import { PROFILES } from '../src/record/profiles.js';
import { recordPrivate, sh } from '../src/record/private-session.js';
import { buildRedis, type RedisBinaries } from '../src/record/redis-build.js';
import { countEvents, median, redtraceBin, step } from './lib.js';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// full profile, -P 1: about 11 events per request for these tests
const TESTS = 'get,set,lpush,incr';

function record(bin: RedisBinaries, trace: string, requests: number): void {
  const port = freePort();
  const script = [
    `taskset -c 0 ${sh(bin.server)} --port ${port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 & rp=$!`,
    `for i in $(seq 200); do ${sh(bin.cli)} -p ${port} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
    `taskset -c 1 ${sh(bin.benchmark)} -h 127.0.0.1 -p ${port} -n ${requests} -c 50 -P 1 -t ${TESTS} -q >/dev/null`,
    `${sh(bin.cli)} -p ${port} shutdown nosave >/dev/null 2>&1 || true`,
    'wait $rp || true',
  ].join('\n');
  const p = PROFILES.full;
  recordPrivate({ out: trace, run: script, events: p.events.filter((e) => e.startsWith('redis:')), subbufSize: p.subbufSize, numSubbuf: p.numSubbuf, contexts: ['vpid', 'vtid', 'procname'] });
}

/** Wall seconds and peak RSS (MiB) of a command, from GNU time. */
function timed(cmd: string[]): { s: number; rssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return { s: Number(m[1]), rssMb: Number(m[2]) / 1024 };
}

function main(): void {
  const bin = step('building the instrumented Redis', () => buildRedis());
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-analysis-'));
  try {
    const trace = join(work, 'trace');
    // a short recording measures the events per request, then one recording reaches the target
    const probe = join(work, 'probe');
    step('measuring events per request', () => record(bin, probe, 20_000));
    const perRequest = countEvents(probe).events / (20_000 * TESTS.split(',').length);
    rmSync(probe, { recursive: true, force: true });
    const requests = Math.ceil((TARGET_EVENTS * 1.05) / perRequest / TESTS.split(',').length);
    step(`recording ${requests} requests per test`, () => record(bin, trace, requests));
    const { events, discarded } = step('counting events', () => countEvents(trace));
    if (events < TARGET_EVENTS) throw new Error(`the trace holds ${events} events, fewer than ${TARGET_EVENTS} (${discarded} discarded)`);
    const bt: number[] = [];
    const an: number[] = [];
    let rss = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const runs = [
        () => bt.push(step(`round ${round + 1}/${ROUNDS}: babeltrace2`, () => timed(['babeltrace2', '-o', 'dummy', trace])).s),
        () => {
          rmSync(join(trace, '.redtrace'), { recursive: true, force: true });
          const r = step(`round ${round + 1}/${ROUNDS}: redtrace analyze`, () => timed([process.execPath, redtraceBin(), 'analyze', trace, '--json']));
          an.push(r.s);
          rss = Math.max(rss, r.rssMb);
        },
      ];
      for (const run of round % 2 === 0 ? runs : runs.reverse()) run();
    }
    console.log(`babeltrace2 -o dummy: ${bt.join(' ')} s; redtrace analyze: ${an.join(' ')} s; ${discarded} events discarded while recording`);
    const b = median(bt);
    const a = median(an);
    console.log(JSON.stringify({ bench: 'analysis', events, babeltrace2_s: b, analyze_s: a, ratio: Math.round((b / a) * 1000) / 1000, peak_rss_mb: Math.round(rss) }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:analysis: ${(e as Error).message}`);
  process.exit(1);
}

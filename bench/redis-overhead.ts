/**
 * bench:redis-overhead — what tracing costs Redis. Builds the stock and the
 * instrumented server from the same source with the same flags, then, in
 * rounds that alternate the order, runs redis-benchmark (-c 50, tests
 * get,set,lpush,publish, at -P 1 and -P 16) against: the stock build; the
 * instrumented build with no session; the instrumented build recording the
 * full profile; and recording the light profile. Server on CPU 0, client on
 * CPU 1, for every configuration.
 * Last line: {"bench":"redis-overhead","p1_idle_loss":..,"p1_light_loss":..,"p1_full_loss":..,
 *   "p16_light_loss":..,"p16_full_loss":..,"light_events_per_request":..,"full_events_per_request":..,"discarded":..}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/record/free-port.js';
import { PROFILES, type Profile } from '../src/record/profiles.js';
import { recordPrivate, sh } from '../src/record/private-session.js';
import { buildRedis, type RedisBinaries } from '../src/record/redis-build.js';
import { countEvents, median, step } from './lib.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TESTS = 'get,set,lpush,publish';

type Config = 'stock' | 'idle' | 'light' | 'full';

/** A bash script: start the server on CPU 0, benchmark it from CPU 1 at each pipeline depth, stop it. */
function benchScript(bin: RedisBinaries, port: number, pipelines: number[], requests: number): string {
  const lines = [
    `taskset -c 0 ${sh(bin.server)} --port ${port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null 2>&1 & rp=$!`,
    `for i in $(seq 200); do ${sh(bin.cli)} -p ${port} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
  ];
  for (const p of pipelines) {
    lines.push(`echo "== P${p}"`, `taskset -c 1 ${sh(bin.benchmark)} -h 127.0.0.1 -p ${port} -n ${requests} -c 50 -P ${p} -t ${TESTS} --csv`);
  }
  lines.push(`${sh(bin.cli)} -p ${port} shutdown nosave >/dev/null 2>&1 || true`, 'wait $rp || true');
  return lines.join('\n');
}

/** Requests per second by pipeline depth: the mean over the tests of one run. */
function parseRps(out: string): Map<number, number> {
  const res = new Map<number, number>();
  let current = 0;
  let sum = 0;
  let n = 0;
  const flush = () => { if (current && n) res.set(current, sum / n); };
  for (const line of out.split('\n')) {
    const m = /^== P(\d+)/.exec(line);
    if (m) { flush(); current = Number(m[1]); sum = 0; n = 0; continue; }
    const c = /^"([A-Z_ ]+[^"]*)","([\d.]+)"/.exec(line);
    if (c) { sum += Number(c[2]); n++; }
  }
  flush();
  return res;
}

function runConfig(cfg: Config, bins: { stock: RedisBinaries; traced: RedisBinaries }, work: string, requests: number, pipelines: number[]): { rps: Map<number, number>; trace?: string } {
  const port = freePort();
  const bin = cfg === 'stock' ? bins.stock : bins.traced;
  const script = benchScript(bin, port, pipelines, requests);
  if (cfg === 'stock' || cfg === 'idle') {
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`benchmark run failed: ${r.stderr}`);
    return { rps: parseRps(r.stdout) };
  }
  const p = PROFILES[cfg as Profile];
  const trace = join(work, `trace-${cfg}-${Date.now()}`);
  const out = recordPrivate({ out: trace, run: script, events: p.events.filter((e) => e.startsWith('redis:')), subbufSize: p.subbufSize, numSubbuf: p.numSubbuf, contexts: ['vpid', 'vtid', 'procname'] });
  return { rps: parseRps(out), trace };
}

function main(): void {
  const bins = step('building stock and instrumented Redis (same source, same flags)', () => ({ stock: buildRedis({ stock: true }), traced: buildRedis() }));
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-redis-'));
  try {
    // events per request, from a small recording of each profile at -P 1
    const perRequest: Record<string, number> = {};
    for (const cfg of ['light', 'full'] as const) {
      const small = 20000;
      const { trace } = step(`events per request (${cfg})`, () => runConfig(cfg, bins, work, small, [1]));
      perRequest[cfg] = countEvents(trace!).events / (small * TESTS.split(',').length);
      rmSync(trace!, { recursive: true, force: true });
    }
    const results: Record<Config, { p1: number[]; p16: number[] }> = { stock: { p1: [], p16: [] }, idle: { p1: [], p16: [] }, light: { p1: [], p16: [] }, full: { p1: [], p16: [] } };
    let discarded = 0;
    let discardedP16 = 0;
    const order: Config[] = ['stock', 'idle', 'light', 'full'];
    for (let round = 0; round < ROUNDS; round++) {
      const configs = round % 2 === 0 ? order : [...order].reverse();
      for (const cfg of configs) {
        for (const depth of [1, 16]) {
          step(`round ${round + 1}/${ROUNDS}: ${cfg} -P ${depth}`, () => {
            const { rps, trace } = runConfig(cfg, bins, work, REQUESTS, [depth]);
            results[cfg][depth === 1 ? 'p1' : 'p16'].push(rps.get(depth) ?? NaN);
            if (trace) {
              const lost = countEvents(trace).discarded;
              if (depth === 1) discarded += lost;
              else discardedP16 += lost;
              rmSync(trace, { recursive: true, force: true });
            }
          });
        }
      }
    }
    const m = (c: Config, p: 'p1' | 'p16') => median(results[c][p]);
    const loss = (c: Config, p: 'p1' | 'p16') => Math.round((1 - m(c, p) / m('stock', p)) * 1000) / 1000;
    for (const c of order) console.log(`${c}: -P 1 ${results[c].p1.map((x) => Math.round(x)).join(' ')} rps; -P 16 ${results[c].p16.map((x) => Math.round(x)).join(' ')} rps`);
    console.log(JSON.stringify({
      bench: 'redis-overhead',
      p1_idle_loss: loss('idle', 'p1'),
      p1_light_loss: loss('light', 'p1'),
      p1_full_loss: loss('full', 'p1'),
      p16_light_loss: loss('light', 'p16'),
      p16_full_loss: loss('full', 'p16'),
      light_events_per_request: Math.round(perRequest.light * 100) / 100,
      full_events_per_request: Math.round(perRequest.full * 100) / 100,
      discarded,
      discarded_p16: discardedP16,
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench:redis-overhead: ${(e as Error).message}`);
  process.exit(1);
}

/**
 * bench:ctf — decoding speed against babeltrace2. Records a real LTTng-UST
 * trace (redis-server under the libc wrapper, driven by redis-benchmark on
 * loopback: >= 5 M events), then times, alternating, `babeltrace2 -o dummy`
 * and `redtrace summary` (which decodes every field of every event).
 * Last line: {"bench":"ctf","events":N,"babeltrace2_s":..,"redtrace_s":..,"ratio":..,"peak_rss_mb":..}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordPrivate } from '../src/record/private-session.js';
import { freePort } from '../src/record/free-port.js';
import { median, redtraceBin, seconds, step } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 220000);

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'redtrace-bench-ctf-'));
  try {
    const trace = join(work, 'trace');
    const port = freePort();
    step(`recording redis-server under the libc wrapper (${REQUESTS} requests x 3 tests)`, () =>
      recordPrivate({
        out: trace,
        events: ['lttng_ust_libc:*'],
        subbufSize: '1M',
        numSubbuf: 16,
        run: `LD_PRELOAD=liblttng-ust-libc-wrapper.so redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no >/dev/null & rp=$!
for i in $(seq 200); do redis-cli -p ${port} ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-benchmark -h 127.0.0.1 -p ${port} -n ${REQUESTS} -c 50 -t set,get,lpush -q >/dev/null
redis-cli -p ${port} shutdown nosave >/dev/null 2>&1 || true
wait $rp || true`,
      }),
    );
    const bt2: number[] = [];
    const ours: number[] = [];
    let events = 0;
    let rss = 0;
    const runBt2 = () => bt2.push(seconds(() => check(spawnSync('babeltrace2', ['-o', 'dummy', trace]), 'babeltrace2')));
    const runOurs = () => ours.push(seconds(() => {
      const r = check(spawnSync(process.execPath, [redtraceBin(), 'summary', '--json', trace], { encoding: 'utf8' }), 'redtrace');
      const s = JSON.parse(r.stdout as string);
      events = s.events;
      rss = Math.max(rss, s.peakRssMb);
    }));
    for (let i = 0; i < ROUNDS; i++) {
      step(`round ${i + 1}/${ROUNDS}`, () => (i % 2 === 0 ? (runBt2(), runOurs()) : (runOurs(), runBt2())));
    }
    if (events < 5_000_000) throw new Error(`the trace has only ${events} events (need 5 M): raise BENCH_REQUESTS`);
    const b = median(bt2);
    const o = median(ours);
    console.log(`babeltrace2: ${bt2.map((x) => x.toFixed(2)).join(' ')} s; redtrace: ${ours.map((x) => x.toFixed(2)).join(' ')} s`);
    console.log(JSON.stringify({ bench: 'ctf', events, babeltrace2_s: round(b), redtrace_s: round(o), ratio: round(b / o), peak_rss_mb: Math.round(rss) }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function check<T extends { status: number | null; stderr: unknown }>(r: T, what: string): T {
  if (r.status !== 0) throw new Error(`${what} failed: ${String(r.stderr).trim().split('\n').pop()}`);
  return r;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

try {
  main();
} catch (e) {
  console.error(`bench:ctf: ${(e as Error).message}`);
  process.exit(1);
}

// Test support for clock synchronisation: the example system (gateway →
// service → instrumented Redis) recorded for real as three separate traces —
// Redis through `redtrace record` (LTTng), each Node.js service through the
// agent's own CTF writer — and copies of them rewritten to look as if each
// came from another host with its own clock.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/record/free-port.js';
import { sh } from '../../src/record/private-session.js';
import { buildRedis } from '../../src/record/redis-build.js';
import { readMetadataText } from '../../src/ctf/metadata.js';
import { clockBaseNs } from '../../src/ctf/clock.js';
import { Trace, findTraces } from '../../src/ctf/index.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PRIVATE = here('../../../scripts/lttng-private.sh');
const REDTRACE = here('../../src/cli/main.js');
const SERVICES = here('../../examples/services');

/** Records `requests` gateway requests into dir/redis, dir/gateway and dir/service. */
export function recordSplitSystem(dir: string, requests: number, profile: 'full' | 'light' = 'full'): void {
  const bins = buildRedis();
  const [redisPort, svcPort, gwPort] = [freePort(), freePort(), freePort()];
  const node = sh(process.execPath);
  // an empty REDTRACE_LTTNG_ADDON makes the agent `redtrace record` preloads write its own trace
  const agent = (name: string) => `REDTRACE_LTTNG_ADDON= REDTRACE_SERVICE=${name} REDTRACE_TRACE_DIR=${sh(path.join(dir, name))}`;
  const inner = [
    `${sh(bins.server)} --port ${redisPort} --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 & rp=$!`,
    `for i in $(seq 200); do ${sh(bins.cli)} -p ${redisPort} ping >/dev/null 2>&1 && break; sleep 0.05; done`,
    `${agent('service')} REDTRACE_REDIS_PORTS=${redisPort} ${node} ${sh(path.join(SERVICES, 'service.cjs'))} ${svcPort} ${redisPort} & sp=$!`,
    `${agent('gateway')} ${node} ${sh(path.join(SERVICES, 'gateway.cjs'))} ${gwPort} ${svcPort} & gp=$!`,
    `for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:${svcPort}/ready && curl -s -o /dev/null http://127.0.0.1:${gwPort}/ready && break; sleep 0.05; done`,
    // spaced out: a drift is bounded by about twice the accuracy over the time the messages cover (some 2 s here)
    `for i in $(seq ${requests}); do curl -s -o /dev/null http://127.0.0.1:${gwPort}/api/key$i; sleep 0.06; done`,
    'kill -TERM $gp $sp; wait $gp $sp || true',
    `${sh(bins.cli)} -p ${redisPort} shutdown nosave >/dev/null 2>&1 || true`,
    'wait $rp || true',
  ].join('\n');
  const r = spawnSync(PRIVATE, [`${node} ${sh(REDTRACE)} record -o ${sh(path.join(dir, 'redis'))} --profile ${profile} -- bash -c ${sh(inner)}`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`recording failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/** A host's clock in a rewritten copy: cycle c reads base + c·1e9/freq ns. */
export interface FakeClock {
  hostname: string;
  /** ns from the clock origin of cycle 0. */
  baseNs: bigint;
  freq: bigint;
}

/** The ns from origin of cycle 0 of a trace's clock, as the reader computes it. */
export function clockBase(traceDir: string): bigint {
  return clockBaseNs(new Trace(traceDir).clock);
}

/**
 * Copies `from` (a folder of traces) to `to`, rewriting each trace's metadata
 * with the clock and host name `clockOf` gives it (by the trace's path below
 * `from`). Metadata is written back as plain TSDL.
 */
export function copyWithClocks(from: string, to: string, clockOf: (rel: string) => FakeClock): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !path.basename(src).startsWith('.') });
  for (const { dir } of findTraces([to])) {
    const c = clockOf(path.relative(to, dir));
    const file = path.join(dir, 'metadata');
    let text = readMetadataText(file);
    const seconds = c.baseNs / 1000000000n;
    // offset cycles at the new frequency; the reader's truncation leaves under a ns
    const cycles = ((c.baseNs - seconds * 1000000000n) * c.freq + 999999999n) / 1000000000n;
    text = text.replace(/clock \{([\s\S]*?)\};/, (_all, body: string) => {
      const kept = body.split('\n').filter((l) => !/^\s*(freq|offset_s|offset)\s*=/.test(l)).join('\n');
      return `clock {${kept}\n\tfreq = ${c.freq};\n\toffset_s = ${seconds};\n\toffset = ${cycles};\n};`;
    });
    text = text.replace(/hostname = "[^"]*";/, `hostname = "${c.hostname}";`);
    if (!text.startsWith('/* CTF 1.8')) text = `/* CTF 1.8 */\n${text}`;
    fs.writeFileSync(file, text, 'latin1');
  }
}

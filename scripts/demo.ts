/**
 * `npm run demo`: the whole of redtrace on a real system. Builds the
 * instrumented Redis, records the example gateway and service (Node.js,
 * traced with no code change) in front of it while real HTTP requests go
 * through, then analyses the trace: where each request's time went, from the
 * gateway down to the phases of each Redis command. Then the same with a
 * 3-node Redis cluster: redirects, a PUBLISH's bus hops, the bus traffic.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordCluster } from '../examples/record-cluster.js';
import { recordExampleSystem } from '../examples/record-system.js';
import { analyze } from '../src/analysis/run.js';
import { formatSummary } from '../src/cli/analyze.js';
import { buildRedis } from '../src/record/redis-build.js';

const REQUESTS = 20;

function main(): void {
  const out = join(resolve('traces'), `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(resolve('traces'), { recursive: true });
  console.log('1. Building Redis with redtrace\'s tracepoints (once; cached afterwards)...');
  console.log(`   ${buildRedis({ log: (s) => console.log(`   ${s}`) }).server}`);
  console.log(`2. Recording: instrumented Redis, a service and a gateway (Node.js, no code change), ${REQUESTS} HTTP requests...`);
  const report = recordExampleSystem(out, REQUESTS);
  console.log(report.trim().split('\n').map((l) => `   ${l}`).join('\n'));
  console.log('3. Analysing (redtrace analyze)...\n');
  console.log(formatSummary(analyze([out])));
  const cluster = `${out}-cluster`;
  console.log(`\n4. Recording a 3-node Redis cluster (and a replica) behind the same gateway: ${REQUESTS / 4} requests, a PUBLISH, a slot moved...`);
  const work = mkdtempSync(join(tmpdir(), 'redtrace-demo-'));
  try {
    recordCluster(cluster, REQUESTS / 4, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log('5. Analysing it...\n');
  console.log(formatSummary(analyze([cluster])));
  console.log(`\nMore: redtrace events ${out} | less    (every event, as babeltrace2 prints them)`);
}

try {
  main();
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
}

/**
 * `npm run demo`: records a real LTTng trace of a real program (redis-server
 * under LTTng's libc wrapper, serving redis-benchmark on loopback), then
 * prints its first events the way babeltrace2 does and a summary.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { recordPrivate } from '../src/record/private-session.js';
import { CtfReader } from '../src/ctf/reader.js';
import { PrettyPrinter } from '../src/ctf/sinks/pretty.js';
import { printSummary, summarize } from '../src/cli/summary.js';
import { freePort } from '../src/record/free-port.js';

const FIRST = 12;

function main(): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tracesDir = resolve('traces');
  mkdirSync(tracesDir, { recursive: true });
  const out = join(tracesDir, `demo-${stamp}`);
  const port = freePort();
  console.log(`Recording redis-server (LD_PRELOAD=liblttng-ust-libc-wrapper.so) while redis-benchmark runs on 127.0.0.1:${port}...`);
  recordPrivate({
    out,
    events: ['lttng_ust_libc:*'],
    run: `LD_PRELOAD=liblttng-ust-libc-wrapper.so redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no >/dev/null & rp=$!
for i in $(seq 200); do redis-cli -p ${port} ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-benchmark -h 127.0.0.1 -p ${port} -n 20000 -c 20 -t set,get -q >/dev/null
redis-cli -p ${port} shutdown nosave >/dev/null 2>&1 || true
wait $rp || true`,
  });
  console.log(`Trace written to ${out}\n\nFirst ${FIRST} events (as \`redtrace events ${out}\` prints them):`);
  const reader = CtfReader.open([out]);
  const pretty = new PrettyPrinter(reader);
  const lines: string[] = [];
  for (let ev = reader.next(); ev && lines.length < FIRST; ev = reader.next()) lines.push(pretty.format(ev));
  reader.close();
  process.stdout.write(Buffer.from(lines.join('\n') + '\n', 'latin1'));
  console.log('\nSummary (`redtrace summary`):');
  printSummary(summarize([out]));
}

try {
  main();
} catch (e) {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
}

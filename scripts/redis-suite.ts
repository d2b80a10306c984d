/**
 * `npm run test:redis-suite`: Redis's own test suite (tcl) on a subset —
 * strings, lists, pub/sub, sharded pub/sub, keyspace, MULTI/EXEC, and the
 * cluster tests that run on one machine — against the stock build and
 * against the instrumented build while an LTTng session records every
 * redis event. The instrumented build must pass exactly what the stock
 * build passes. Last line: {"suite":"redis","units":[..],"stock_ok":N,"stock_err":N,"traced_ok":N,"traced_err":N,"same":true|false}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordPrivate, sh } from '../src/record/private-session.js';
import { buildTree } from '../src/record/redis-build.js';
import { debianRedisTarball } from '../src/record/redis-source.js';

const UNITS = ['unit/type/string', 'unit/type/list', 'unit/pubsub', 'unit/pubsubshard', 'unit/keyspace', 'unit/multi', 'unit/cluster/misc', 'unit/cluster/links', 'unit/cluster-scripting'];

function runtestArgs(): string {
  return ['./runtest', '--clients', '2', '--timeout', '600', ...UNITS.flatMap((u) => ['--single', u])].map(sh).join(' ');
}

interface Outcome {
  ok: Set<string>;
  err: Set<string>;
  exit: number | null;
}

function parse(out: string, exit: number | null): Outcome {
  const ok = new Set<string>();
  const err = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /\[(ok|err|exception)\]: (.*?)(?: \(\d+ ms\))?$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (m) (m[1] === 'ok' ? ok : err).add(m[2].trim());
  }
  return { ok, err, exit };
}

function main(): void {
  const tarball = debianRedisTarball((s) => console.error(s));
  const work = mkdtempSync(join(tmpdir(), 'redtrace-redis-suite-'));
  try {
    const stockTree = join(work, 'stock');
    const tracedTree = join(work, 'traced');
    const log = (s: string) => console.error(s);
    buildTree(tarball, stockTree, { stock: true, log });
    buildTree(tarball, tracedTree, { log });
    console.error('running the suite on the stock build...');
    const a = spawnSync('bash', ['-c', runtestArgs()], { cwd: stockTree, encoding: 'utf8', maxBuffer: 1 << 28 });
    const stock = parse(a.stdout, a.status);
    console.error('running the suite on the instrumented build, recording...');
    const out = recordPrivate({
      out: join(work, 'trace'),
      events: ['redis:*'],
      subbufSize: '4M',
      numSubbuf: 4,
      run: `cd ${sh(tracedTree)} && ${runtestArgs()} || true`,
      timeoutMs: 3_600_000,
    });
    const traced = parse(out, 0);
    const onlyStock = [...stock.ok].filter((t) => !traced.ok.has(t));
    const onlyTraced = [...traced.ok].filter((t) => !stock.ok.has(t));
    for (const t of onlyStock) console.log(`passes only on stock: ${t}`);
    for (const t of onlyTraced) console.log(`passes only instrumented: ${t}`);
    for (const t of stock.err) console.log(`fails on stock: ${t}`);
    for (const t of traced.err) console.log(`fails instrumented: ${t}`);
    console.log(JSON.stringify({
      suite: 'redis',
      units: UNITS,
      stock_ok: stock.ok.size,
      stock_err: stock.err.size,
      traced_ok: traced.ok.size,
      traced_err: traced.err.size,
      same: onlyStock.length === 0 && onlyTraced.length === 0 && stock.err.size === traced.err.size,
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`test:redis-suite: ${(e as Error).message}`);
  process.exit(1);
}

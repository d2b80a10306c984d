/**
 * Builds Redis with redtrace's LTTng-UST tracepoints (native/redis): copies
 * the provider into the source, applies the patch, builds, installs the
 * binaries into the cache under a key made of everything that shapes them
 * (source, patch, provider, flags), so a second call with nothing changed
 * returns at once. A stock build of the same source (no patch) serves as the
 * baseline of the overhead benchmark.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache.js';
import { RecordError } from './errors.js';
import { debianRedisTarball, lastLine } from './redis-source.js';

export const NATIVE_REDIS = fileURLToPath(new URL('../../../native/redis/', import.meta.url));
const PATCH = 'redis-7.0.15.patch';

export interface RedisBuildOptions {
  tls?: boolean;
  /** A Redis source folder or tarball; default: Debian's Redis source. */
  source?: string;
  /** Without tracepoints (the baseline for overhead measurements). */
  stock?: boolean;
  log?: (s: string) => void;
}

export interface RedisBinaries {
  server: string;
  cli: string;
  benchmark: string;
  dir: string;
  rebuilt: boolean;
}

/** Files of native/redis that go into the Redis source (everything but the patch and scripts). */
function providerFiles(): string[] {
  return readdirSync(NATIVE_REDIS).filter((f) => /\.(c|h)$/.test(f)).sort();
}

function sourceKey(source: string): string {
  const st = statSync(source);
  const h = createHash('sha256');
  if (st.isFile()) h.update(readFileSync(source));
  else {
    // a folder: its version and the size and time of every file under src/
    const src = join(source, 'src');
    if (!existsSync(src)) throw new RecordError(`${source}: not a Redis source folder (no src/)`);
    for (const f of readdirSync(src).sort()) {
      const s = statSync(join(src, f));
      if (s.isFile()) h.update(`${f}:${s.size}:${s.mtimeMs}\n`);
    }
  }
  return h.digest('hex');
}

export function buildRedis(o: RedisBuildOptions = {}): RedisBinaries {
  const log = o.log ?? (() => {});
  const source = o.source ? resolve(o.source) : debianRedisTarball(log);
  if (!existsSync(source)) throw new RecordError(`${source}: no such file or folder`);
  const h = createHash('sha256');
  h.update(sourceKey(source));
  h.update(`tls=${Boolean(o.tls)} stock=${Boolean(o.stock)}\n`);
  if (!o.stock) for (const f of [...providerFiles(), PATCH]) h.update(f).update(readFileSync(join(NATIVE_REDIS, f)));
  const key = h.digest('hex').slice(0, 16);
  const dir = cacheDir('redis', `${o.stock ? 'stock' : 'traced'}${o.tls ? '-tls' : ''}-${key}`);
  const bins = { server: join(dir, 'redis-server'), cli: join(dir, 'redis-cli'), benchmark: join(dir, 'redis-benchmark'), dir };
  if (existsSync(bins.server)) {
    if (!o.stock) verifyProvider(bins.server);
    return { ...bins, rebuilt: false };
  }
  if (o.tls) requireHeader('openssl/ssl.h', 'libssl-dev');
  if (!o.stock) requireHeader('lttng/tracepoint.h', 'liblttng-ust-dev');
  const work = mkdtempSync(join(tmpdir(), 'redtrace-redis-build-'));
  try {
    const tree = join(work, 'redis');
    buildTree(source, tree, o);
    const staging = `${dir}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const b of ['redis-server', 'redis-cli', 'redis-benchmark']) copyFileSync(join(tree, 'src', b), join(staging, b));
    if (!o.stock) verifyProvider(join(staging, 'redis-server'));
    renameSync(staging, dir); // the cache entry appears whole or not at all
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ...bins, rebuilt: true };
}

/** Unpacks (or copies) the source into `tree`, adds the tracepoints unless stock, and builds it there. */
export function buildTree(source: string, tree: string, o: RedisBuildOptions): void {
  const log = o.log ?? (() => {});
  if (statSync(source).isFile()) {
    mkdirSync(tree, { recursive: true });
    run('tar', ['xzf', source, '-C', tree, '--strip-components=1'], tree, 'unpacking the source');
  } else {
    cpSync(source, tree, { recursive: true });
    run('make', ['distclean'], tree, 'cleaning the source copy', true);
  }
  if (!o.stock) {
    for (const f of providerFiles()) copyFileSync(join(NATIVE_REDIS, f), join(tree, 'src', f));
    run('patch', ['-p1', '--forward', '--batch', '-i', join(NATIVE_REDIS, PATCH)], tree, `applying ${PATCH}`);
  }
  log(`building ${o.stock ? 'stock' : 'instrumented'} Redis${o.tls ? ' with TLS' : ''} (about half a minute)`);
  run('make', ['MALLOC=libc', `BUILD_TLS=${o.tls ? 'yes' : 'no'}`, 'USE_SYSTEMD=no', `-j${Math.max(1, cpus().length)}`], tree, 'building Redis');
}

function run(cmd: string, args: string[], cwd: string, what: string, mayFail = false): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new RecordError(`${what}: cannot run ${cmd} (${r.error.message})`);
  if (r.status !== 0 && !mayFail) throw new RecordError(`${what} failed: ${lastLine(r.stderr || r.stdout)}`);
}

function requireHeader(header: string, pkg: string): void {
  const r = spawnSync('gcc', ['-E', '-x', 'c', '-o', '/dev/null', '-'], { input: `#include <${header}>\n` });
  if (r.status !== 0) throw new RecordError(`${header} is missing: install ${pkg} (apt-get install ${pkg}, or run npm run setup as root)`);
}

/** The binary must register the `redis` provider: its event descriptions are in the symbol table. */
export function verifyProvider(server: string): void {
  const r = spawnSync('nm', [server], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 || !/redis___call_command_start/.test(r.stdout)) {
    throw new RecordError(`${basename(server)} at ${server} does not carry the redis tracepoint provider`);
  }
}

/**
 * Gets the Redis source of the version Debian ships, with `apt-get source`,
 * through a sources list of our own made from the machine's (deb → deb-src)
 * in a temporary folder: the machine's apt configuration is never changed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from './cache.js';
import { RecordError } from './errors.js';

/** The upstream tarball (`redis_X.orig.tar.gz`) of Debian's redis package, downloaded once into the cache. */
export function debianRedisTarball(log: (s: string) => void): string {
  const dir = cacheDir('redis', 'source');
  const have = existsSync(dir) ? readdirSync(dir).find((f) => /^redis_[\d.]+\.orig\.tar\.gz$/.test(f)) : undefined;
  if (have) return join(dir, have);
  log('fetching the Redis source with apt-get source (a private deb-src list; the machine apt setup is untouched)');
  const tmp = mkdtempSync(join(tmpdir(), 'redtrace-apt-'));
  try {
    const parts = join(tmp, 'sources.list.d');
    const lists = join(tmp, 'lists');
    mkdirSync(join(lists, 'partial'), { recursive: true });
    mkdirSync(parts);
    let found = 0;
    for (const f of listSources()) {
      const text = readFileSync(f, 'utf8');
      if (f.endsWith('.sources')) {
        writeFileSync(join(parts, `src-${found++}.sources`), text.replace(/^Types:\s*deb\s*$/gm, 'Types: deb-src'));
      } else {
        writeFileSync(join(parts, `src-${found++}.list`), text.replace(/^deb\s/gm, 'deb-src '));
      }
    }
    if (found === 0) throw new RecordError('no apt sources found in /etc/apt: give the Redis source with --source DIR|TARBALL');
    const opts = ['-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${parts}`, '-o', `Dir::State::Lists=${lists}`, '-o', 'APT::Sandbox::User=root'];
    const up = spawnSync('apt-get', [...opts, '-qq', 'update'], { encoding: 'utf8' });
    if (up.status !== 0) throw new RecordError(`apt-get update (deb-src) failed: ${lastLine(up.stderr)}. Give the Redis source with --source DIR|TARBALL`);
    const work = join(tmp, 'get');
    mkdirSync(work);
    const get = spawnSync('apt-get', [...opts, '-qq', 'source', '--download-only', 'redis'], { cwd: work, encoding: 'utf8' });
    if (get.status !== 0) throw new RecordError(`apt-get source redis failed: ${lastLine(get.stderr)}. Give the Redis source with --source DIR|TARBALL`);
    const tarball = readdirSync(work).find((f) => /^redis_[\d.]+\.orig\.tar\.gz$/.test(f));
    if (!tarball) throw new RecordError('apt-get source redis gave no upstream tarball');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(work, tarball), join(dir, tarball));
    return join(dir, tarball);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function listSources(): string[] {
  const out: string[] = [];
  if (existsSync('/etc/apt/sources.list')) out.push('/etc/apt/sources.list');
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (f.endsWith('.sources') || f.endsWith('.list')) out.push(join(d, f));
  return out;
}

export function lastLine(s: string | null | undefined): string {
  return (s ?? '').trim().split('\n').filter(Boolean).pop() ?? 'no message';
}

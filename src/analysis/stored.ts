/**
 * Where an analysis keeps what it built, and whether that is still current:
 * the state history beside the trace (or in the cache when the trace folder
 * is read-only), the result beside it, both under a version that changes
 * with the trace files and with the analysis.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findTraces } from '../ctf/index.js';
import { HistoryReader } from '../state/index.js';
import { cacheDir } from '../record/cache.js';

/** Where the history of these traces goes: beside the first, or in the cache when that folder is read-only. */
export function historyPath(dirs: string[]): string {
  const first = resolve(dirs[0]);
  const h = createHash('sha256');
  for (const d of dirs) h.update(resolve(d));
  try {
    accessSync(first, constants.W_OK);
    const d = join(first, '.redtrace');
    mkdirSync(d, { recursive: true });
    return join(d, `redis-${h.digest('hex').slice(0, 12)}.ht`);
  } catch {
    const d = cacheDir('analysis');
    mkdirSync(d, { recursive: true });
    return join(d, `redis-${h.digest('hex').slice(0, 12)}.ht`);
  }
}

/** Identity of the traces' content (every file's path, size and time) and of the analysis (`versions`), stored as the history's version. */
export function fingerprint(dirs: string[], versions: string): number {
  const h = createHash('sha256');
  h.update(versions);
  for (const { dir } of findTraces(dirs)) {
    for (const f of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort()) {
      const st = statSync(join(dir, f));
      h.update(`${join(dir, f)}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return h.digest().readUInt32LE(0) & 0x7fffffff;
}

/**
 * The result beside the history, under the same version: when both are
 * current, `analyze` answers without reading the events again.
 */
export function loadResult<R extends object>(file: string, version: number): R | undefined {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { version: number; result: R };
    return saved.version === version ? { ...saved.result, rebuilt: false } : undefined;
  } catch {
    return undefined; // missing or unreadable: analyse again
  }
}

export function saveResult(file: string, version: number, result: object): void {
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify({ version, result }));
    renameSync(`${file}.tmp`, file); // whole or absent, never half written
  } catch {
    // a cache that cannot be written only costs time next run
  }
}

/** Whether a history file is whole and of this version. */
export function historyCurrent(file: string, version: number): boolean {
  try {
    new HistoryReader(file, { analysisVersion: version }).close();
    return true;
  } catch {
    return false;
  }
}

// Runs the built `redtrace` command and babeltrace2 the same way, for comparisons.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';

export const REDTRACE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

export interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function redtrace(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [REDTRACE, ...args], {
    env: { ...process.env, TZ: 'UTC', ...env },
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

export function babeltrace2(dirs: string[]): Run {
  // babeltrace2 allocates huge sequences up front: cap its address space so a bad trace cannot swap the machine.
  const r = spawnSync('bash', ['-c', 'ulimit -v 4000000 && exec babeltrace2 "$@"', 'bt2', ...dirs], {
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

export function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('WARNING:'));
}

/** Where two outputs first differ, with a little context, for assertion messages. */
export function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const lineStart = Math.max(a.lastIndexOf(10, i - 1), 0);
  const show = (x: Buffer) => x.subarray(lineStart, lineStart + 300).toString('latin1');
  return `first difference at byte ${i}:\n  expected: ${show(a)}\n  actual:   ${show(b)}`;
}

export function withTempDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redtrace-${prefix}-`));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Layout constants of the history file (see docs/state-history.md) and the
 * error every problem with a file becomes.
 */
export const MAGIC = Buffer.from('RTSHT\0\r\n', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 4096;
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const DEFAULT_MAX_CHILDREN = 50;

/** Node header fields (byte offsets within a block). */
export const N = {
  kind: 0,
  quarkWidth: 1,
  timeWidth: 2,
  seq: 4,
  parent: 8,
  count: 12,
  start: 16,
  end: 24,
  minQuark: 32,
  maxQuark: 36,
  childCount: 40,
  heapBytes: 44,
  crc: 48,
  /** Children table (core nodes): per child u32 seq, u32 0, i64 start, i64 end. */
  children: 56,
  childEntry: 24,
} as const;

export const LEAF = 1;
export const CORE = 2;

export type StateFileProblem = 'missing' | 'incomplete' | 'version' | 'corrupt';

/** A history file that cannot be used; `problem` tells whether rebuilding it is the cure. */
export class StateFileError extends Error {
  constructor(readonly file: string, readonly problem: StateFileProblem, what: string) {
    super(`${file}: ${what}`);
    this.name = 'StateFileError';
  }
}

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

export function writeI64(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(((v % 4294967296) + 4294967296) % 4294967296, off);
  b.writeInt32LE(Math.floor(v / 4294967296), off + 4);
}

export function readI64(b: Buffer, off: number): number {
  return b.readInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
}

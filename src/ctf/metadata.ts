/**
 * Reads a trace's `metadata` file: plain TSDL text, or packetized (packets
 * starting with magic 0x75D11D57 in either byte order, text possibly split
 * mid-token across packets, so packets are joined before lexing). Text is
 * kept as a byte string (latin1), like string fields, so names print back
 * as the exact bytes written.
 */
import { readFileSync } from 'node:fs';
import { CtfError } from './errors.js';
import { parseTsdl } from './tsdl/parser.js';
import { TsdlSyntaxError } from './tsdl/lexer.js';
import type { TraceClass } from './tsdl/types.js';

const MAGIC = 0x75d11d57;
const HEADER_BYTES = 37;
/** Metadata is small; refuse absurd files instead of allocating them. */
const MAX_METADATA_BYTES = 256 * 1024 * 1024;

export function readMetadataText(file: string): string {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new CtfError(file, undefined, `cannot read metadata (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (data.length > MAX_METADATA_BYTES) throw new CtfError(file, undefined, 'metadata file is larger than 256 MiB');
  if (data.length >= 4 && (data.readUInt32LE(0) === MAGIC || data.readUInt32BE(0) === MAGIC)) {
    return joinPackets(file, data);
  }
  return data.toString('latin1');
}

function joinPackets(file: string, data: Buffer): string {
  const le = data.readUInt32LE(0) === MAGIC;
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const parts: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    if (off + HEADER_BYTES > data.length) throw new CtfError(file, off, 'truncated metadata packet header');
    if (u32(off) !== MAGIC) throw new CtfError(file, off, 'bad metadata packet magic');
    const contentBits = u32(off + 24);
    const packetBits = u32(off + 28);
    const compression = data[off + 32];
    const encryption = data[off + 33];
    const major = data[off + 35];
    const minor = data[off + 36];
    if (compression !== 0 || encryption !== 0) throw new CtfError(file, off, 'compressed or encrypted metadata is not supported');
    if (major !== 1 || minor !== 8) throw new CtfError(file, off, `metadata packet declares CTF ${major}.${minor}, expected 1.8`);
    if (contentBits % 8 !== 0 || packetBits % 8 !== 0 || contentBits < HEADER_BYTES * 8 || contentBits > packetBits) {
      throw new CtfError(file, off, `bad metadata packet sizes (content ${contentBits} bits, packet ${packetBits} bits)`);
    }
    if (off + packetBits / 8 > data.length) throw new CtfError(file, off, 'metadata packet extends past the end of the file');
    parts.push(data.subarray(off + HEADER_BYTES, off + contentBits / 8));
    off += packetBits / 8;
  }
  return Buffer.concat(parts).toString('latin1');
}

export function readMetadata(file: string): { text: string; trace: TraceClass } {
  const text = readMetadataText(file);
  try {
    return { text, trace: parseTsdl(text) };
  } catch (e) {
    if (e instanceof TsdlSyntaxError) throw new CtfError(file, undefined, `bad metadata: ${e.message}`);
    throw e;
  }
}

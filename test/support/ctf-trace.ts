// Writes hand-made CTF 1.8 trace directories: a `metadata` file (plain text or
// packetized) and binary data stream files built packet by packet.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BitWriter, type ByteOrder } from './ctf-writer.js';

export interface PacketizedMetadata {
  byteOrder: ByteOrder;
  /** Text bytes per packet; small values split tokens across packets. */
  chunk?: number;
  /** Packets are zero-padded to a multiple of this many bytes. */
  padTo?: number;
  /** Trace UUID for the packet headers; defaults to the `uuid` in the text. */
  uuid?: string;
}

export interface TraceSpec {
  metadata: string;
  packetizedMetadata?: PacketizedMetadata;
  streams: { name: string; data: Buffer }[];
}

export function writeTrace(dir: string, spec: TraceSpec): void {
  fs.mkdirSync(dir, { recursive: true });
  const meta = spec.packetizedMetadata
    ? packetizeMetadata(spec.metadata, spec.packetizedMetadata)
    : Buffer.from(spec.metadata, 'utf8');
  fs.writeFileSync(path.join(dir, 'metadata'), meta);
  for (const s of spec.streams) fs.writeFileSync(path.join(dir, s.name), s.data);
}

export const METADATA_MAGIC = 0x75d11d57;
export const PACKET_MAGIC = 0xc1fc1fc1;
const METADATA_HEADER_BYTES = 37;

/** Split TSDL text into metadata packets (CTF 1.8 §7.1). */
export function packetizeMetadata(text: string, opts: PacketizedMetadata): Buffer {
  const body = Buffer.from(text, 'utf8');
  const chunk = opts.chunk ?? 100;
  const padTo = opts.padTo ?? 64;
  const uuid = uuidBytes(opts.uuid ?? /uuid\s*=\s*"([0-9a-fA-F-]{36})"/.exec(text)?.[1]);
  const o = opts.byteOrder;
  const packets: Buffer[] = [];
  for (let off = 0; off < body.length; off += chunk) {
    const part = body.subarray(off, off + chunk);
    const contentBytes = METADATA_HEADER_BYTES + part.length;
    const packetBytes = Math.ceil(contentBytes / padTo) * padTo;
    const w = new BitWriter();
    w.uint(32, METADATA_MAGIC, o).raw(uuid).uint(32, 0, o); // magic, uuid, checksum
    w.uint(32, contentBytes * 8, o).uint(32, packetBytes * 8, o);
    w.uint(8, 0).uint(8, 0).uint(8, 0).uint(8, 1).uint(8, 8); // no compression/encryption/checksum, v1.8
    w.raw(part).seek(packetBytes * 8);
    packets.push(w.bytes());
  }
  return Buffer.concat(packets);
}

/** "xxxxxxxx-xxxx-..." → 16 bytes (all zero when absent). */
export function uuidBytes(uuid: string | undefined): Buffer {
  if (uuid === undefined) return Buffer.alloc(16);
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad uuid ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** Lets a packet writer mark where its size fields go; they are filled in afterwards. */
export interface PacketMarks {
  contentSize(size: number, order?: ByteOrder): void;
  packetSize(size: number, order?: ByteOrder): void;
}

export interface PacketSpec {
  /** Writes packet header, packet context and events, calling marks.* in place of the size fields. */
  write(w: BitWriter, marks: PacketMarks): void;
  /** Total packet size in bits (multiple of 8); default: content rounded up to a byte. */
  packetBits?: number;
  /** Values stored in the size fields instead of the real ones (to forge broken packets). */
  storedContentBits?: number;
  storedPacketBits?: number;
}

/** Build a data stream: each packet gets its own writer, since alignment is relative to the packet start. */
export function buildStream(packets: PacketSpec[]): Buffer {
  return Buffer.concat(packets.map(buildPacket));
}

export function buildPacket(spec: PacketSpec): Buffer {
  const w = new BitWriter();
  type Slot = { pos: number; size: number; order: ByteOrder };
  let content: Slot | undefined;
  let packet: Slot | undefined;
  spec.write(w, {
    contentSize(size, order = 'le') {
      content = { pos: w.bitPos, size, order };
      w.uint(size, 0, order);
    },
    packetSize(size, order = 'le') {
      packet = { pos: w.bitPos, size, order };
      w.uint(size, 0, order);
    },
  });
  const contentBits = w.bitPos;
  const packetBits = spec.packetBits ?? Math.ceil(contentBits / 8) * 8;
  if (packetBits < contentBits || packetBits % 8 !== 0) {
    throw new Error(`packet size ${packetBits} invalid for ${contentBits} content bits`);
  }
  w.seek(packetBits);
  if (content) w.patchUint(content.pos, content.size, spec.storedContentBits ?? contentBits, content.order);
  if (packet) w.patchUint(packet.pos, packet.size, spec.storedPacketBits ?? packetBits, packet.order);
  return w.bytes();
}

/**
 * Writes the agent's events as a CTF 1.8 trace (one per process): LTTng's
 * shape (same `monotonic` clock, same clock UUID — the boot id — so the
 * trace lines up with LTTng traces of the host), packets of fixed size
 * filled in memory and written by a background queue. When the queue is
 * full, events are counted as discarded in the next packet's context,
 * never blocking the application.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, write, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NODEJS_EVENTS, type FieldKind } from './events.js';

const PACKET_BYTES = 64 * 1024;
const HEADER_BYTES = 32; // magic, uuid, stream_id, stream_instance_id
const CONTEXT_BYTES = 52; // timestamp_begin/end, content_size, packet_size, packet_seq_num, events_discarded, cpu_id
const FIRST_EVENT = HEADER_BYTES + CONTEXT_BYTES;
const MAX_STRING = 4096;
const MAX_QUEUED = 64; // 4 MiB of packets waiting for the disk at most

const CTF_TYPES: Record<FieldKind, string> = {
  u8: 'uint8_t', u16: 'uint16_t', i32: 'int32_t', u32: 'uint32_t', u64: 'uint64_t', f64: 'double', string: 'string',
};

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return randomUUID();
  }
}

function quoteTsdl(s: string): string {
  return JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));
}

export function metadataText(o: { uuid: string; clockUuid: string; offsetNs: bigint; service: string; procname: string; pid: number }): string {
  const events = NODEJS_EVENTS.map((e, id) => `event {
\tname = "nodejs:${e.name}";
\tid = ${id};
\tstream_id = 0;
\tloglevel = 13;
\tfields := struct {
${e.fields.map(([n, k]) => `\t\t${CTF_TYPES[k]} _${n};`).join('\n')}
\t};
};
`).join('\n');
  return `/* CTF 1.8 */

typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = true; } := int32_t;
typealias floating_point { exp_dig = 11; mant_dig = 53; align = 8; } := double;

trace {
\tmajor = 1;
\tminor = 8;
\tuuid = "${o.uuid}";
\tbyte_order = le;
\tpacket.header := struct {
\t\tuint32_t magic;
\t\tuint8_t  uuid[16];
\t\tuint32_t stream_id;
\t\tuint64_t stream_instance_id;
\t};
};

env {
\thostname = ${quoteTsdl(hostname())};
\tdomain = "ust";
\ttracer_name = "redtrace-agent";
\ttracer_major = 0;
\ttracer_minor = 1;
\tservice = ${quoteTsdl(o.service)};
\tprocname = ${quoteTsdl(o.procname)};
\tvpid = ${o.pid};
};

clock {
\tname = "monotonic";
\tuuid = "${o.clockUuid}";
\tdescription = "Monotonic Clock";
\tfreq = 1000000000;
\toffset = ${o.offsetNs};
};

typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

stream {
\tid = 0;
\tevent.header := struct {
\t\tuint16_t id;
\t\tuint64_clock_monotonic_t timestamp;
\t};
\tpacket.context := struct {
\t\tuint64_clock_monotonic_t timestamp_begin;
\t\tuint64_clock_monotonic_t timestamp_end;
\t\tuint64_t content_size;
\t\tuint64_t packet_size;
\t\tuint64_t packet_seq_num;
\t\tuint64_t events_discarded;
\t\tuint32_t cpu_id;
\t};
};

${events}`;
}

export class CtfStreamWriter {
  readonly dir: string;
  private fd: number;
  private buf = Buffer.alloc(PACKET_BYTES);
  private pos = FIRST_EVENT;
  private seq = 0;
  private discarded = 0;
  private firstTs = 0n;
  private lastTs = 0n;
  private queue: Buffer[] = [];
  private writing = false;
  private fileOffset = 0;
  private readonly uuid: Buffer;
  closed = false;
  /** Called once when a background write fails (the agent disables itself). */
  onError: (e: Error) => void = () => {
    this.closed = true;
  };

  constructor(baseDir: string, o: { service: string; procname: string; pid: number }) {
    this.dir = join(baseDir, `${o.service.replace(/[^\w.-]/g, '_')}-${o.pid}-${Date.now()}`);
    mkdirSync(this.dir, { recursive: true });
    const uuid = randomUUID();
    this.uuid = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    // realtime minus monotonic, both read now: the clock offset LTTng would write
    const mono = process.hrtime.bigint();
    const real = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    writeFileSync(join(this.dir, 'metadata'), metadataText({ uuid, clockUuid: bootId(), offsetNs: real - mono, ...o }));
    this.fd = openSync(join(this.dir, 'stream_0'), 'w');
  }

  /** Room for an event of up to `bytes` bytes, or false when it must be dropped. */
  private reserve(bytes: number, ts: bigint): boolean {
    if (this.pos + bytes <= PACKET_BYTES) return true;
    if (this.queue.length >= MAX_QUEUED) return false;
    this.closePacket();
    this.firstTs = ts;
    return true;
  }

  /** Encodes one event (values in the order of its fields). */
  emit(id: number, values: readonly (string | number)[]): void {
    if (this.closed) return;
    const spec = NODEJS_EVENTS[id];
    const ts = process.hrtime.bigint();
    let need = 10;
    const fields = spec.fields;
    for (let i = 0; i < fields.length; i++) {
      const v = values[i];
      need += fields[i][1] === 'string' ? Math.min(typeof v === 'string' ? v.length : 32, MAX_STRING) * 3 + 1 : 8;
    }
    if (!this.reserve(need, ts)) {
      this.discarded++;
      return;
    }
    if (this.pos === FIRST_EVENT) this.firstTs = ts;
    this.lastTs = ts;
    const b = this.buf;
    let p = this.pos;
    b.writeUInt16LE(id, p);
    b.writeBigUInt64LE(ts, p + 2);
    p += 10;
    for (let i = 0; i < spec.fields.length; i++) {
      const v = values[i];
      switch (spec.fields[i][1]) {
        case 'u8': b[p++] = Number(v) & 0xff; break;
        case 'u16': b.writeUInt16LE(Number(v) & 0xffff, p); p += 2; break;
        case 'i32': b.writeInt32LE(Number(v) | 0, p); p += 4; break;
        case 'u32': b.writeUInt32LE(Number(v) >>> 0, p); p += 4; break;
        case 'u64': {
          const n = Math.max(0, Number(v) || 0);
          b.writeUInt32LE(n % 4294967296, p);
          b.writeUInt32LE(Math.floor(n / 4294967296), p + 4);
          p += 8;
          break;
        }
        case 'f64': b.writeDoubleLE(Number(v), p); p += 8; break;
        case 'string': {
          let s = String(v);
          if (s.length > MAX_STRING) s = s.slice(0, MAX_STRING);
          p += b.write(s.includes('\0') ? s.replace(/\0/g, ' ') : s, p, 'utf8');
          b[p++] = 0;
        }
      }
    }
    this.pos = p;
  }

  /** Fills in the packet context and hands the packet to the write queue. */
  private closePacket(): void {
    if (this.pos === FIRST_EVENT) return;
    const b = this.buf;
    b.writeUInt32LE(0xc1fc1fc1, 0);
    this.uuid.copy(b, 4);
    b.writeUInt32LE(0, 20); // stream_id
    b.writeBigUInt64LE(0n, 24); // stream_instance_id
    b.writeBigUInt64LE(this.firstTs, 32);
    b.writeBigUInt64LE(this.lastTs, 40);
    b.writeBigUInt64LE(BigInt(this.pos * 8), 48);
    b.writeBigUInt64LE(BigInt(PACKET_BYTES * 8), 56);
    b.writeBigUInt64LE(BigInt(this.seq++), 64);
    b.writeBigUInt64LE(BigInt(this.discarded), 72);
    b.writeUInt32LE(0, 80);
    b.fill(0, this.pos);
    this.queue.push(b);
    this.buf = Buffer.alloc(PACKET_BYTES);
    this.pos = FIRST_EVENT;
    this.drain();
  }

  private drain(): void {
    if (this.writing || this.queue.length === 0 || this.closed) return;
    this.writing = true;
    const b = this.queue[0];
    const at = this.fileOffset;
    write(this.fd, b, 0, b.length, at, (err) => {
      this.writing = false;
      if (err) {
        this.onError(err); // the disk failed: stop tracing rather than disturb the application
        return;
      }
      if (this.queue[0] === b) {
        // (a synchronous flush may have written it already and emptied the queue)
        this.queue.shift();
        this.fileOffset += b.length;
      }
      this.drain();
    });
  }

  /** Writes everything still in memory, synchronously (at exit). */
  flushSync(): void {
    if (this.closed) return;
    this.closePacket();
    // an asynchronous write may be in flight for queue[0]: write every queued packet at its own offset
    let at = this.fileOffset;
    for (const b of this.queue) {
      writeSync(this.fd, b, 0, b.length, at);
      at += b.length;
    }
    this.fileOffset = at;
    this.queue = [];
  }

  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    closeSync(this.fd);
  }
}

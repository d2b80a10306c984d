/**
 * Writes the agent's events as a CTF 1.8 trace (one per process): LTTng's
 * shape (same `monotonic` clock, same clock UUID — the boot id — so the
 * trace lines up with LTTng traces of the host), packets of up to 64 KiB
 * filled in memory and written by a background queue when full or a second
 * old (a process killed outright loses at most its last second). When the
 * queue is full, events are counted as discarded in the next packet's
 * context, never blocking the application.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, write, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NODEJS_EVENTS, type Conn, type FieldKind, type Value } from './events.js';

const PACKET_BYTES = 64 * 1024;
const HEADER_BYTES = 32; // magic, uuid, stream_id, stream_instance_id
const CONTEXT_BYTES = 52; // timestamp_begin/end, content_size, packet_size, packet_seq_num, events_discarded, cpu_id
const FIRST_EVENT = HEADER_BYTES + CONTEXT_BYTES;
const MAX_STRING = 4096;
const MAX_QUEUED = 64; // 4 MiB of packets waiting for the disk at most
const MAX_PACKET_AGE_MS = 1000;
/** The monotonic clock in ns, taken once: `process` is a getter on the global object, and the
 * process object a dictionary, so each `process.hrtime.bigint` costs two lookups and a call. */
const monotonicNs = process.hrtime.bigint;

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

const ENCODED = Symbol('redtrace.ctf');
/** A connection's five fields as they are written, encoded once per connection (its Conn is kept per socket). */
function connBytes(c: Conn & { [ENCODED]?: Buffer }): Buffer {
  let e = c[ENCODED];
  if (e === undefined) {
    const b = Buffer.alloc(Math.min(c.localAddr.length, MAX_STRING) * 3 + Math.min(c.remoteAddr.length, MAX_STRING) * 3 + 10);
    let p = putString(b, 0, c.localAddr);
    b.writeUInt16LE(c.localPort & 0xffff, p);
    p = putString(b, p + 2, c.remoteAddr);
    b.writeUInt16LE(c.remotePort & 0xffff, p);
    b.writeInt32LE(c.fd | 0, p + 2);
    e = c[ENCODED] = b.subarray(0, p + 6);
  }
  return e;
}

/** Writes a NUL-terminated UTF-8 string (NULs inside become spaces); returns the offset after it. */
function putString(b: Buffer, p: number, s: string): number {
  const n = s.length > MAX_STRING ? MAX_STRING : s.length;
  // most strings are short ASCII (methods, paths, command names): a loop beats a native call
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[p++] = c === 0 ? 0x20 : c;
  }
  if (i < n) {
    const rest = s.slice(i, n);
    p += b.write(rest.includes('\0') ? rest.replace(/\0/g, ' ') : rest, p, 'utf8');
  }
  b[p++] = 0;
  return p;
}

/** What the generated encoders use of the writer. */
interface Target {
  buf: Buffer;
  view: DataView;
  pos: number;
  lastAt: number;
  discarded: number;
  reserve(bytes: number): boolean;
}
type Encoder = (w: Target, values: readonly Value[]) => void;
const SIZE: Record<Exclude<FieldKind, 'string'>, number> = { u8: 1, u16: 2, i32: 4, u32: 4, u64: 8, f64: 8 };

/**
 * One encoder per event, generated from its fields: straight-line code, with no loop over the
 * fields and no switch on their kinds, and each encoder's reads of its values array see arrays
 * of one shape. Measured with callgrind on an HTTP hop, it runs some 40 % fewer instructions
 * per event than one generic encoder did.
 */
function encoder(id: number): Encoder {
  const { name, fields, connAt } = NODEJS_EVENTS[id];
  const kinds = connAt === undefined ? fields.map(([, k]) => k) : [...fields.slice(0, connAt).map(([, k]) => k), 'conn' as const];
  const pre: string[] = [];
  const need: string[] = [String(10 + kinds.reduce((n, k) => n + (k === 'string' || k === 'conn' ? 0 : SIZE[k]), 0))];
  const put: string[] = [];
  kinds.forEach((k, i) => {
    const v = `v[${i}]`;
    if (k === 'string') {
      pre.push(`const s${i} = typeof ${v} === 'string' ? ${v} : String(${v});`);
      need.push(`(s${i}.length < ${MAX_STRING} ? s${i}.length : ${MAX_STRING}) * 3 + 1`);
      put.push(`p = putString(b, p, s${i});`);
    } else if (k === 'conn') {
      pre.push(`const c${i} = connBytes(${v});`);
      need.push(`c${i}.length`);
      put.push(`b.set(c${i}, p); p += c${i}.length;`);
    } else {
      const write = {
        u8: `b[p] = Number(${v}) & 0xff;`,
        u16: `d.setUint16(p, Number(${v}) & 0xffff, true);`,
        i32: `d.setInt32(p, Number(${v}) | 0, true);`,
        u32: `d.setUint32(p, Number(${v}) >>> 0, true);`,
        u64: `putU64(d, p, ${v});`,
        f64: `d.setFloat64(p, Number(${v}), true);`,
      }[k];
      put.push(`${write} p += ${SIZE[k]};`);
    }
  });
  const body = `return function encode_${name}(w, v) {
  const ts = monotonicNs();
  ${pre.join('\n  ')}
  if (!w.reserve(${need.join(' + ')})) { w.discarded++; return; }
  const b = w.buf, d = w.view;
  let p = w.pos;
  w.lastAt = p;
  d.setUint16(p, ${id}, true);
  d.setBigUint64(p + 2, ts, true);
  p += 10;
  ${put.join('\n  ')}
  w.pos = p;
};`;
  return new Function('monotonicNs', 'putString', 'putU64', 'connBytes', body)(monotonicNs, putString, putU64, connBytes) as Encoder;
}

function putU64(d: DataView, p: number, v: unknown): void {
  // ids, counts and sizes fit in 32 bits: no floating-point modulo (a call to C) for them
  if (typeof v === 'number' && v >= 0 && v < 4294967296) {
    d.setUint32(p, v, true);
    d.setUint32(p + 4, 0, true);
    return;
  }
  const n = Math.max(0, Number(v) || 0);
  d.setUint32(p, n % 4294967296, true);
  d.setUint32(p + 4, Math.floor(n / 4294967296), true);
}

/** Built by the first writer, not when the module loads: where code generation from strings is
 * disallowed, the agent's start fails and disables the agent with one warning line, and the
 * application runs on (an error while loading would stop it). */
let encoders: readonly Encoder[] | undefined;

export class CtfStreamWriter implements Target {
  readonly dir: string;
  private fd: number;
  // (the packet being filled: its buffer, a view of it, where the next event goes; the encoders write them)
  buf: Buffer = Buffer.alloc(PACKET_BYTES);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, PACKET_BYTES);
  pos = FIRST_EVENT;
  private seq = 0;
  discarded = 0;
  /** Where the packet's last event starts. The packet's first and last timestamps are read back from
   * the events' headers when it closes: no BigInt kept on the writer per event (each such store costs a
   * write barrier, the writer being old and the BigInt young). */
  lastAt = FIRST_EVENT;
  /** Closed packets waiting for the disk: the buffer and the bytes of it that are the packet. */
  private queue: { buf: Buffer; len: number }[] = [];
  /** Packets already written, to fill again: fresh 64 KiB buffers would cost page faults and zeroing. */
  private spare: Buffer[] = [];
  private writing = false;
  private fileOffset = 0;
  private readonly uuid: Buffer;
  private readonly encoders = (encoders ??= NODEJS_EVENTS.map((_, id) => encoder(id)));
  private readonly timer: NodeJS.Timeout;
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
    const mono = monotonicNs();
    const real = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    writeFileSync(join(this.dir, 'metadata'), metadataText({ uuid, clockUuid: bootId(), offsetNs: real - mono, ...o }));
    this.fd = openSync(join(this.dir, 'stream_0'), 'w');
    this.timer = setInterval(() => this.closeOldPacket(), MAX_PACKET_AGE_MS);
    this.timer.unref();
  }

  /** Sends the packet being filled to the disk if its first event is a second old (quiet processes too). */
  private closeOldPacket(): void {
    try {
      // (when the disk is behind, the packet keeps filling: memory stays bounded)
      if (this.closed || this.pos === FIRST_EVENT || this.queue.length >= MAX_QUEUED) return;
      if (monotonicNs() - this.buf.readBigUInt64LE(FIRST_EVENT + 2) >= BigInt(MAX_PACKET_AGE_MS) * 1_000_000n) this.closePacket();
    } catch (e) {
      this.onError(e as Error);
    }
  }

  /** Room for an event of up to `bytes` bytes, or false when it must be dropped. */
  reserve(bytes: number): boolean {
    if (this.pos + bytes <= PACKET_BYTES) return true;
    if (this.queue.length >= MAX_QUEUED) return false;
    this.closePacket();
    return true;
  }

  /** Encodes one event (values in the order of its fields, a Conn standing for a connection's five). */
  emit(id: number, values: readonly Value[]): void {
    if (!this.closed) this.encoders[id](this, values);
  }

  /** Fills in the packet context and hands the packet, as long as its events, to the write queue. */
  private closePacket(): void {
    if (this.pos === FIRST_EVENT) return;
    const b = this.buf;
    b.writeUInt32LE(0xc1fc1fc1, 0);
    this.uuid.copy(b, 4);
    b.writeUInt32LE(0, 20); // stream_id
    b.writeBigUInt64LE(0n, 24); // stream_instance_id
    b.writeBigUInt64LE(b.readBigUInt64LE(FIRST_EVENT + 2), 32); // (an event's header: its id in 2 bytes, then its timestamp)
    b.writeBigUInt64LE(b.readBigUInt64LE(this.lastAt + 2), 40);
    b.writeBigUInt64LE(BigInt(this.pos * 8), 48);
    b.writeBigUInt64LE(BigInt(this.pos * 8), 56);
    b.writeBigUInt64LE(BigInt(this.seq++), 64);
    b.writeBigUInt64LE(BigInt(this.discarded), 72);
    b.writeUInt32LE(0, 80);
    this.queue.push({ buf: b, len: this.pos });
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(PACKET_BYTES); // only written bytes go out
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, PACKET_BYTES);
    this.pos = FIRST_EVENT;
    this.drain();
  }

  private drain(): void {
    if (this.writing || this.queue.length === 0 || this.closed) return;
    this.writing = true;
    const p = this.queue[0];
    const at = this.fileOffset;
    write(this.fd, p.buf, 0, p.len, at, (err) => {
      this.writing = false;
      if (err) {
        this.onError(err); // the disk failed: stop tracing rather than disturb the application
        return;
      }
      if (this.queue[0] === p) {
        // (a synchronous flush may have written it already and emptied the queue)
        this.queue.shift();
        this.fileOffset += p.len;
        if (this.spare.length < 4) this.spare.push(p.buf);
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
    for (const p of this.queue) {
      writeSync(this.fd, p.buf, 0, p.len, at);
      at += p.len;
    }
    this.fileOffset = at;
    this.queue = [];
  }

  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    this.flushSync();
    this.closed = true;
    closeSync(this.fd);
  }
}

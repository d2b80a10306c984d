/**
 * Reads the events of one stream file, packet by packet, through a bounded
 * window (never the whole file). Rebuilds full timestamps from the header's
 * truncated ones, and counts discarded events and lost packets from the
 * packet contexts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CtfError } from './errors.js';
import { DecodeState, NEED_MORE } from './decode/state.js';
import type { CompiledEvent, CompiledStream, Trace } from './trace.js';

const WINDOW = 1 << 20;
/** No event may be larger than this; keeps memory bounded on hostile input. */
const MAX_WINDOW = 64 << 20;
/** Windows start at this multiple from the packet start so alignment stays right. */
const WINDOW_ALIGN = 4096;
const CTF_MAGIC = 0xc1fc1fc1;

export interface PacketInfo {
  /** Byte offset of the packet in its file. */
  offset: number;
  header: Record<string, unknown> | undefined;
  context: Record<string, unknown> | undefined;
  /** Clock values (cycles, relative to the trace's base) of the packet bounds, when known. */
  beginCycles?: number;
  endCycles?: number;
  seq?: number;
}

/** Something the reader lost, reported with the packet that revealed it. */
export interface Loss {
  kind: 'discarded-events' | 'lost-packets';
  /** Undefined when only known to be non-zero (the first packet already counts discarded events). */
  count: number | undefined;
  stream: StreamReader;
  /** Cycles (relative to the trace base) of the end of the previous packet and of this one. */
  fromCycles?: number;
  toCycles?: number;
}

export interface CtfEvent {
  stream: StreamReader;
  event: CompiledEvent;
  packet: PacketInfo;
  /** Clock value in cycles, relative to the trace's base (see Trace.base). */
  cycles: number;
  header: unknown;
  streamContext: unknown;
  context: unknown;
  payload: unknown;
}

export class StreamReader {
  private fd: number;
  readonly size: number;
  private readonly S = new DecodeState();
  private win = Buffer.alloc(0);
  /** File offset of win[0]. */
  private winStart = 0;
  private pktStart = 0;
  private pktBits = 0;
  private contentBits = 0;
  /** Bit offset of the packet start inside the window. */
  private pktInWin = 0;
  streamClass: CompiledStream | undefined;
  packet: PacketInfo | undefined;
  private nextPacket = 0;
  private lastRefill = -1;
  /** Current clock value, cycles relative to the trace base. */
  cycles = 0;
  private prevDiscarded: number | undefined;
  private prevSeq: number | undefined;
  private prevEndCycles: number | undefined;
  discardedEvents = 0;
  lostPackets = 0;
  /** Losses found since the caller last took them. */
  losses: Loss[] = [];
  done = false;
  /** Id of the stream instance (packet header `stream_instance_id`), when given. */
  instanceId: number | undefined;
  streamClassId = -1;
  /** Position in the reader's stream list. */
  index = 0;
  /** Order among streams when times are equal. */
  rank = 0;

  /** Clock values are kept as numbers relative to this (a multiple of 2^32), so they stay exact. */
  base = 0n;
  baseNum = 0;

  constructor(readonly trace: Trace, readonly file: string) {
    try {
      this.fd = openSync(file, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new CtfError(file, undefined, `cannot open stream (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    this.S.clock = (v, size) => this.updateClock(v, size);
    this.S.fail = (bitPos, what) => {
      throw new CtfError(this.file, this.winStart + Math.floor(bitPos / 8), what);
    };
    if (this.size === 0) this.done = true;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Rebuilds a full clock value from a field of `size` bits (CTF 1.8 wrap-around rule). */
  private updateClock(v: number | bigint, size: number): void {
    if (size >= 64) {
      this.cycles = typeof v === 'bigint' ? Number(v - this.base) : v - this.baseNum;
      return;
    }
    const value = Number(v);
    if (size <= 32) {
      const m = 2 ** size;
      const low = this.cycles - Math.floor(this.cycles / m) * m;
      let next = this.cycles - low + value;
      if (value < low) next += m;
      this.cycles = next;
      return;
    }
    const prev = this.base + BigInt(this.cycles);
    const mask = (1n << BigInt(size)) - 1n;
    let next = (prev & ~mask) | BigInt(v);
    if (BigInt(v) < (prev & mask)) next += mask + 1n;
    this.cycles = Number(next - this.base);
  }

  private toCycles(v: unknown): number | undefined {
    if (typeof v === 'number') return v - this.baseNum;
    if (typeof v === 'bigint') return Number(v - this.base);
    return undefined;
  }

  /** Loads `len` bytes of the file from `start` into the window. */
  private load(start: number, len: number): void {
    if (this.win.length < len) this.win = Buffer.allocUnsafe(Math.max(len, WINDOW));
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, this.win, got, len - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    this.winStart = start;
    this.S.setBuffer(this.win.subarray(0, got));
    this.pktInWin = (this.pktStart - start) * 8;
  }

  private setLimit(): void {
    const contentEnd = this.pktInWin + this.contentBits;
    const winBits = this.S.buf.length * 8;
    if (contentEnd <= winBits) {
      this.S.end = contentEnd;
      this.S.endIsContent = true;
    } else {
      this.S.end = winBits;
      this.S.endIsContent = false;
    }
  }

  /** Reads the next packet's header and context. Returns false at the end of the file. */
  private openPacket(): boolean {
    const at = this.nextPacket;
    if (at >= this.size) return false;
    const S = this.S;
    this.pktStart = at;
    this.load(at, Math.min(this.size - at, WINDOW));
    S.pos = 0;
    S.end = S.buf.length * 8;
    S.endIsContent = true;
    const fail = S.fail;
    S.fail = (bitPos, what) => fail(bitPos, `packet header or context: ${what} (truncated file?)`);
    let header: Record<string, unknown> | undefined;
    let context: Record<string, unknown> | undefined;
    try {
      if (this.trace.packetHeader) header = this.trace.packetHeader(S) as Record<string, unknown>;
      S.scopes[0] = header;
      this.streamClass = this.streamClassFor(header, at);
      if (this.streamClass.packetContext) context = this.streamClass.packetContext(S) as Record<string, unknown>;
      S.scopes[1] = context;
    } finally {
      S.fail = fail;
    }
    const packetSize = context?.packet_size;
    const contentSize = context?.content_size;
    this.pktBits = typeof packetSize === 'number' ? packetSize : (this.size - at) * 8;
    this.contentBits = typeof contentSize === 'number' ? contentSize : this.pktBits;
    if (this.pktBits % 8 !== 0 || this.pktBits === 0) throw new CtfError(this.file, at, `packet size ${this.pktBits} bits is not a positive whole number of bytes`);
    if (this.contentBits > this.pktBits) throw new CtfError(this.file, at, `packet content size (${this.contentBits} bits) exceeds its packet size (${this.pktBits} bits)`);
    if (at + this.pktBits / 8 > this.size) {
      throw new CtfError(this.file, at, `packet of ${this.pktBits / 8} bytes goes past the end of the file (${this.size - at} bytes left): truncated file`);
    }
    if (S.pos > this.contentBits) throw new CtfError(this.file, at, 'packet header and context are larger than the packet content');
    this.nextPacket = at + this.pktBits / 8;
    const info: PacketInfo = { offset: at, header, context };
    info.beginCycles = this.toCycles(context?.timestamp_begin);
    info.endCycles = this.toCycles(context?.timestamp_end);
    if (info.beginCycles !== undefined) this.cycles = info.beginCycles;
    else if (this.prevEndCycles !== undefined) this.cycles = this.prevEndCycles; // the clock ends a packet at its end time
    this.noteLosses(context, info);
    this.packet = info;
    this.setLimit();
    return true;
  }

  private noteLosses(context: Record<string, unknown> | undefined, info: PacketInfo): void {
    const d = context?.events_discarded;
    if (typeof d === 'number' || typeof d === 'bigint') {
      const n = Number(d);
      if (this.prevDiscarded === undefined) {
        if (n > 0) this.losses.push({ kind: 'discarded-events', count: undefined, stream: this, fromCycles: info.beginCycles, toCycles: info.endCycles });
      } else if (n > this.prevDiscarded) {
        const count = n - this.prevDiscarded;
        this.discardedEvents += count;
        this.losses.push({ kind: 'discarded-events', count, stream: this, fromCycles: this.prevEndCycles, toCycles: info.endCycles });
      }
      this.prevDiscarded = n;
    }
    const seq = context?.packet_seq_num;
    if (typeof seq === 'number') {
      info.seq = seq;
      if (this.prevSeq !== undefined && seq > this.prevSeq + 1) {
        const count = seq - this.prevSeq - 1;
        this.lostPackets += count;
        this.losses.push({ kind: 'lost-packets', count, stream: this, fromCycles: this.prevEndCycles, toCycles: info.beginCycles });
      }
      this.prevSeq = seq;
    }
    this.prevEndCycles = info.endCycles;
  }

  private streamClassFor(header: Record<string, unknown> | undefined, at: number): CompiledStream {
    const t = this.trace;
    if (header) {
      const magic = header.magic;
      if (magic !== undefined && magic !== CTF_MAGIC) {
        throw new CtfError(this.file, at, `bad packet magic 0x${Number(magic).toString(16)} (expected 0xc1fc1fc1): not a CTF stream or corrupt`);
      }
      const uuid = header.uuid;
      if (Array.isArray(uuid) && t.cls.uuid && formatUuid(uuid) !== t.cls.uuid.toLowerCase()) {
        throw new CtfError(this.file, at, `packet uuid ${formatUuid(uuid)} does not match the trace's ${t.cls.uuid}`);
      }
      if (typeof header.stream_instance_id === 'number') this.instanceId = header.stream_instance_id;
    }
    const sid = header?.stream_id;
    let sc: CompiledStream | undefined;
    if (typeof sid === 'number') sc = t.streamClasses.get(sid);
    else if (t.streamClasses.size === 1) sc = [...t.streamClasses.values()][0];
    if (!sc) throw new CtfError(this.file, at, `packet refers to unknown stream class ${String(sid)}`);
    if (this.streamClassId >= 0 && this.streamClassId !== sc.cls.id) {
      throw new CtfError(this.file, at, `stream class changes from ${this.streamClassId} to ${sc.cls.id} inside one file`);
    }
    this.streamClassId = sc.cls.id;
    return sc;
  }

  /** Moves the window so it starts near bit `pos` of the current window, bigger if the last try failed there. */
  private refill(pos: number): number {
    const eventByte = this.winStart + Math.floor(pos / 8);
    const fromPkt = eventByte - this.pktStart;
    const start = this.pktStart + fromPkt - (fromPkt % WINDOW_ALIGN);
    const grow = this.lastRefill === eventByte;
    const want = grow ? Math.min(this.S.buf.length * 2, MAX_WINDOW) : WINDOW;
    const pktEnd = this.pktStart + this.pktBits / 8;
    const len = Math.min(want, pktEnd - start);
    if (grow && len <= this.S.buf.length && this.S.buf.length >= MAX_WINDOW) {
      throw new CtfError(this.file, eventByte, 'event larger than 64 MiB');
    }
    this.lastRefill = eventByte;
    const newPos = pos + (this.winStart - start) * 8;
    this.load(start, len);
    this.setLimit();
    return newPos;
  }

  /** Bytes of the file read so far (through the current packet), for progress reports. */
  get bytesDone(): number {
    return this.done ? this.size : this.nextPacket;
  }

  /** The raw timestamp_begin of the first packet, then back to the start. */
  firstPacketBegin(): number | bigint | undefined {
    if (this.done || !this.openPacket()) return undefined;
    const v = this.packet?.context?.timestamp_begin;
    this.rewind();
    return typeof v === 'number' || typeof v === 'bigint' ? v : undefined;
  }

  private rewind(): void {
    this.nextPacket = 0;
    this.packet = undefined;
    this.prevDiscarded = this.prevSeq = this.prevEndCycles = undefined;
    this.discardedEvents = this.lostPackets = 0;
    this.losses = [];
    this.cycles = 0; // streamClassId and instanceId stay: the merge order needs them before reading
  }

  /** The next event of this stream, or undefined at its end. */
  next(): CtfEvent | undefined {
    const S = this.S;
    for (;;) {
      if (this.done) return undefined;
      if (!this.packet || S.pos >= this.pktInWin + this.contentBits) {
        if (!this.openPacket()) {
          this.done = true;
          this.close();
          return undefined;
        }
        continue;
      }
      const pos0 = S.pos;
      const cycles0 = this.cycles;
      try {
        const ev = this.decodeEvent();
        if (S.pos === pos0) throw new CtfError(this.file, this.winStart + pos0 / 8, 'event of zero bits: the stream cannot advance');
        return ev;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        this.cycles = cycles0;
        S.pos = this.refill(pos0);
      }
    }
  }

  private decodeEvent(): CtfEvent {
    const S = this.S;
    const sc = this.streamClass!;
    S.eventId = -1;
    const header = sc.header ? sc.header(S) : undefined;
    S.scopes[2] = header;
    let ev: CompiledEvent | undefined;
    if (S.eventId >= 0) ev = sc.byId[S.eventId] ?? sc.byIdMap.get(S.eventId);
    else ev = sc.only;
    if (!ev) {
      return S.fail(S.pos, S.eventId >= 0 ? `unknown event id ${S.eventId} in stream class ${sc.cls.id}` : 'event header has no id and the stream has several event classes');
    }
    const cycles = this.cycles;
    const streamContext = sc.eventContext ? sc.eventContext(S) : undefined;
    S.scopes[3] = streamContext;
    const context = ev.context ? ev.context(S) : undefined;
    S.scopes[4] = context;
    const payload = ev.payload ? ev.payload(S) : undefined;
    return { stream: this, event: ev, packet: this.packet!, cycles, header, streamContext, context, payload };
  }
}

function formatUuid(bytes: unknown[]): string {
  const h = bytes.map((b) => Number(b).toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

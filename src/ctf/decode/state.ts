/**
 * The mutable cursor a compiled decoder reads from. Bit positions are
 * relative to `buf`, a window onto one packet whose start is aligned (mod
 * 4 KiB) with the packet's, so CTF alignment can be computed on them.
 */
export class DecodeState {
  buf: Buffer = Buffer.alloc(0);
  dv: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  /** Current bit position in buf. */
  pos = 0;
  /** Bit limit for this window: the packet's content end or the window end. */
  end = 0;
  /** True when `end` is the packet's content end (not just the window's). */
  endIsContent = true;
  /** Set by event header fields named `id`. */
  eventId = -1;
  /** Decoded scopes, for absolute field references: see SCOPES. */
  scopes: unknown[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** Called with every clock-mapped integer (value, size in bits). */
  clock: (v: number | bigint, size: number) => void = () => {};
  /** Describes a problem in the packet being decoded; set by the stream reader. */
  fail: (bitPos: number, what: string) => never = (_p, what) => {
    throw new Error(what);
  };

  setBuffer(buf: Buffer): void {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  /** A read would pass `end`: either more of the packet must be loaded, or the data is bad. */
  short(bitPos: number, what: string): never {
    if (!this.endIsContent) throw NEED_MORE;
    return this.fail(bitPos, what);
  }
}

/** Thrown when a window holds only part of an event: the reader loads more and retries. */
export const NEED_MORE = Symbol('need more bytes');

/** The six dynamic scopes of CTF 1.8, in decoding order. */
export const SCOPES = [
  'trace.packet.header',
  'stream.packet.context',
  'stream.event.header',
  'stream.event.context',
  'event.context',
  'event.fields',
] as const;

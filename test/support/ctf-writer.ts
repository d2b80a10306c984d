// Bit-level writer for hand-made CTF 1.8 binary streams (test support only).
//
// Layout rules (CTF 1.8 §4.1.5): a field occupies consecutive bit positions
// counted from the start of the buffer. Little-endian fields fill each byte
// from its least significant bit and put their low-order bits first;
// big-endian fields fill each byte from its most significant bit and put
// their high-order bits first. Both agree with plain byte-wise encoding when
// a field is byte-aligned and a whole number of bytes long.

export type ByteOrder = 'le' | 'be';

export class BitWriter {
  private buf: Buffer = Buffer.alloc(256);
  private pos = 0; // current bit position
  private end = 0; // highest bit position ever reached

  get bitPos(): number {
    return this.pos;
  }

  /** Skip zero bits until the position is a multiple of `bits`. */
  align(bits: number): this {
    if (bits < 1 || (bits & (bits - 1)) !== 0) throw new Error(`bad alignment ${bits}`);
    const rem = this.pos % bits;
    if (rem !== 0) this.skip(bits - rem);
    return this;
  }

  /** Advance by `bits` zero bits. */
  skip(bits: number): this {
    this.seek(this.pos + bits);
    return this;
  }

  /** Move to an absolute bit position (forward moves leave zeros behind). */
  seek(bitPos: number): this {
    this.ensure(bitPos);
    this.pos = bitPos;
    this.end = Math.max(this.end, bitPos);
    return this;
  }

  /** Write an unsigned integer of 1..64 bits at the current position. */
  uint(size: number, value: number | bigint, order: ByteOrder = 'le'): this {
    const v = toBig(value);
    checkSize(size);
    if (v < 0n || v >= 1n << BigInt(size)) throw new RangeError(`${v} does not fit in u${size}`);
    this.putBits(size, v, order);
    return this;
  }

  /** Write a two's-complement signed integer of 1..64 bits. */
  int(size: number, value: number | bigint, order: ByteOrder = 'le'): this {
    const v = toBig(value);
    checkSize(size);
    const lim = 1n << BigInt(size - 1);
    if (v < -lim || v >= lim) throw new RangeError(`${v} does not fit in i${size}`);
    this.putBits(size, BigInt.asUintN(size, v), order);
    return this;
  }

  /** IEEE 754 binary32 (mant_dig 24, exp_dig 8). */
  float32(value: number, order: ByteOrder = 'le'): this {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, value);
    return this.uint(32, dv.getUint32(0), order);
  }

  /** IEEE 754 binary64 (mant_dig 53, exp_dig 11). */
  float64(value: number, order: ByteOrder = 'le'): this {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, value);
    return this.uint(64, dv.getBigUint64(0), order);
  }

  /** NUL-terminated UTF-8 string; CTF strings are byte-aligned. */
  string(s: string): this {
    return this.raw(Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]));
  }

  /** Raw bytes, byte-aligned first. */
  raw(data: Uint8Array): this {
    this.align(8);
    this.ensure(this.pos + data.length * 8);
    this.buf.set(data, this.pos >> 3);
    return this.seek(this.pos + data.length * 8);
  }

  /** Overwrite an unsigned integer at an earlier position (e.g. sizes known later). */
  patchUint(bitPos: number, size: number, value: number | bigint, order: ByteOrder = 'le'): this {
    const here = this.pos;
    this.pos = bitPos;
    this.uint(size, value, order);
    this.pos = here;
    return this;
  }

  /** The written data, zero-padded up to the next whole byte. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, Math.ceil(this.end / 8)));
  }

  private putBits(size: number, v: bigint, order: ByteOrder): void {
    this.ensure(this.pos + size);
    for (let i = 0; i < size; i++) {
      const p = this.pos + i;
      // LE emits value bits low→high, each at the lowest free bit of the
      // byte; BE emits them high→low, each at the highest free bit.
      const bit = order === 'le' ? (v >> BigInt(i)) & 1n : (v >> BigInt(size - 1 - i)) & 1n;
      const mask = order === 'le' ? 1 << (p & 7) : 0x80 >> (p & 7);
      const byte = p >> 3;
      this.buf[byte] = bit ? this.buf[byte]! | mask : this.buf[byte]! & ~mask;
    }
    this.seek(this.pos + size);
  }

  private ensure(bits: number): void {
    const need = Math.ceil(bits / 8);
    if (need <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown);
    this.buf = grown;
  }
}

function toBig(value: number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  // Numbers above 2^53 have already lost precision: make callers use bigint.
  if (!Number.isSafeInteger(value)) throw new RangeError(`unsafe integer ${value}; pass a bigint`);
  return BigInt(value);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 64) throw new RangeError(`bad integer size ${size}`);
}

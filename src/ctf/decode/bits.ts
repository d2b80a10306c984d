/**
 * Reads of integers that are not byte-aligned or not 8/16/32/64 bits wide,
 * following CTF 1.8 bit-field layout: little-endian fields fill each byte
 * from its least significant bit, big-endian ones from its most significant.
 * 64-bit values come back as numbers when exact, else as bigints.
 */

const TWO32 = 2 ** 32;

/** Unsigned little-endian field of 1..32 bits at bit position p. */
export function readBitsLE(buf: Uint8Array, p: number, size: number): number {
  const i = p >>> 3;
  const o = p & 7;
  const n = (o + size + 7) >>> 3;
  let lo = buf[i];
  if (n > 1) lo |= buf[i + 1] << 8;
  if (n > 2) lo |= buf[i + 2] << 16;
  if (n > 3) lo |= buf[i + 3] << 24;
  let v = (lo >>> 0) / 2 ** o;
  v = Math.floor(v);
  if (n > 4) v += buf[i + 4] * 2 ** (32 - o);
  return size === 32 ? v % TWO32 : v % 2 ** size;
}

/** Unsigned big-endian field of 1..32 bits at bit position p. */
export function readBitsBE(buf: Uint8Array, p: number, size: number): number {
  const i = p >>> 3;
  const o = p & 7;
  const n = (o + size + 7) >>> 3;
  let acc = 0;
  for (let k = 0; k < n; k++) acc = acc * 256 + buf[i + k];
  return Math.floor(acc / 2 ** (8 * n - o - size)) % 2 ** size;
}

/** Any field of 1..64 bits, unsigned, as a bigint. */
export function readBitsBig(buf: Uint8Array, p: number, size: number, le: boolean): bigint {
  const i = p >>> 3;
  const o = p & 7;
  const n = (o + size + 7) >>> 3;
  let acc = 0n;
  if (le) {
    for (let k = n - 1; k >= 0; k--) acc = (acc << 8n) | BigInt(buf[i + k]);
    acc >>= BigInt(o);
  } else {
    for (let k = 0; k < n; k++) acc = (acc << 8n) | BigInt(buf[i + k]);
    acc >>= BigInt(8 * n - o - size);
  }
  return BigInt.asUintN(size, acc);
}

export function signExtend(v: number, size: number): number {
  return v >= 2 ** (size - 1) ? v - 2 ** size : v;
}

/** A bigint as a number when that is exact. */
export function narrow(v: bigint): number | bigint {
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v;
}

export function readBitsAny(buf: Uint8Array, p: number, size: number, le: boolean, signed: boolean): number | bigint {
  if (size <= 32) {
    const u = le ? readBitsLE(buf, p, size) : readBitsBE(buf, p, size);
    return signed ? signExtend(u, size) : u;
  }
  const u = readBitsBig(buf, p, size, le);
  return narrow(signed ? BigInt.asIntN(size, u) : u);
}

export function readU64(dv: DataView, byte: number, le: boolean): number | bigint {
  const lo = dv.getUint32(le ? byte : byte + 4, le);
  const hi = dv.getUint32(le ? byte + 4 : byte, le);
  if (hi < 0x200000) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function readS64(dv: DataView, byte: number, le: boolean): number | bigint {
  const lo = dv.getUint32(le ? byte : byte + 4, le);
  const hi = dv.getInt32(le ? byte + 4 : byte, le);
  if (hi < 0x200000 && hi >= -0x200000) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const scratch = new DataView(new ArrayBuffer(8));

/** A float whose bits are not byte-aligned. */
export function readFloatBits(buf: Uint8Array, p: number, size: 32 | 64, le: boolean): number {
  const bits = readBitsBig(buf, p, size, le);
  if (size === 32) {
    scratch.setUint32(0, Number(bits));
    return scratch.getFloat32(0);
  }
  scratch.setBigUint64(0, bits);
  return scratch.getFloat64(0);
}

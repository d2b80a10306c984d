/**
 * Incremental RESP (Redis protocol) scanning: finds where each command and
 * each reply ends in a byte stream that arrives in arbitrary chunks, and
 * reads only what the agent records (command name, argument count, reply
 * kind, redirects). Keys and values are skipped, never kept. This runs on
 * every command an application sends: the scanner allocates nothing but the
 * few short strings it reports.
 */

const CR = 13;
const MAX_TEXT = 64;
const MAX_DEPTH = 32;

/** Scans one item at a time; the fields describe the last complete item. */
export class RespScanner {
  /** Offset just after the item. */
  end = 0;
  /** First byte of the item ('+', '-', ':', '$', '*', '>', ...), or 0 for an inline command. */
  type = 0;
  /** Elements of an array, push, set or map (a map counts its keys and values); words of an inline command. */
  count = 0;
  /** First two elements of an aggregate when they are short strings (command name; push kind and channel). */
  first: string | undefined;
  second: string | undefined;
  /** For errors: the error text's first word (MOVED, ASK, ERR...). */
  error: string | undefined;
  /** Text of the last short string skipped (set by skip). */
  private text: string | undefined;

  /** Scans the item at `off`; false if the buffer ends before it does. */
  next(b: Buffer, off: number): boolean {
    this.first = this.second = this.error = undefined;
    this.count = 0;
    if (off >= b.length) return false;
    const c = b[off];
    this.type = c;
    if (c === 0x2a || c === 0x3e || c === 0x7e || c === 0x25) {
      const le = lineEnd(b, off + 1);
      if (le < 0) return false;
      let n = intAt(b, off + 1, le);
      if (c === 0x25) n *= 2;
      let at = le + 2;
      for (let i = 0; i < n; i++) {
        at = this.skip(b, at, 1, i < 2);
        if (at < 0) return false;
        if (i === 0) this.first = this.text;
        else if (i === 1) this.second = this.text;
      }
      this.count = n < 0 ? 0 : n;
      this.end = at;
      return true;
    }
    if (c === 0x2d || c === 0x21) {
      const le = lineEnd(b, off + 1);
      if (le < 0) return false;
      let w = off + 1;
      while (w < le && w < off + 33 && b[w] !== 0x20) w++;
      this.error = b.toString('latin1', off + 1, w);
      this.end = le + 2;
      return true;
    }
    if (isTyped(c)) {
      this.end = this.skip(b, off, 0, false);
      return this.end >= 0;
    }
    // inline command ("PING\r\n"): a line of words
    const le = lineEnd(b, off);
    if (le < 0) return false;
    this.type = 0;
    let words = 1;
    let w = off;
    while (w < le && b[w] !== 0x20) w++;
    this.first = b.toString('latin1', off, w);
    for (let i = w; i < le; i++) if (b[i] === 0x20) words++;
    this.count = words;
    this.end = le + 2;
    return true;
  }

  /**
   * Scans a command that a client wrote as a string (ioredis and node-redis
   * do), without converting it to bytes. Only for strings whose characters
   * are all one byte (the caller checks), so that the bulk lengths, counted
   * in bytes, can be skipped in characters. False when the string ends
   * before the command does, or holds anything but an array of bulk
   * strings: the byte scanner then decides.
   */
  nextCommand(s: string, off: number): boolean {
    this.first = this.second = this.error = undefined;
    this.count = 0;
    if (off >= s.length || s.charCodeAt(off) !== 0x2a) return false;
    const n = intLine(s, off + 1);
    if (lineCr < 0) return false;
    let at = lineCr + 2;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(at) !== 0x24) return false;
      const len = intLine(s, at + 1);
      if (lineCr < 0) return false;
      const start = lineCr + 2;
      at = start + len + 2;
      if (len < 0 || at > s.length || s.charCodeAt(at - 2) !== CR) return false;
      if (i === 0 && len <= MAX_TEXT) this.first = s.slice(start, start + len);
    }
    this.type = 0x2a;
    this.count = n < 0 ? 0 : n;
    this.end = at;
    return true;
  }

  /**
   * The size in bytes of the bulk string (`$` or `=`) at `off` once its
   * header line has arrived, whatever of its body has; -1 for anything else.
   * A long value can then be counted as it passes instead of kept.
   */
  bulkSize(b: Buffer, off: number): number {
    if (off >= b.length || (b[off] !== 0x24 && b[off] !== 0x3d)) return -1;
    const le = lineEnd(b, off + 1);
    if (le < 0) return -1;
    const n = intAt(b, off + 1, le);
    return n < 0 ? -1 : le + 2 + n + 2 - off;
  }

  /** Offset after the item at `off`, or -1 if incomplete; keeps a short string's text when asked. */
  private skip(b: Buffer, off: number, depth: number, keep: boolean): number {
    this.text = undefined;
    if (off >= b.length || depth > MAX_DEPTH) return -1;
    const c = b[off];
    const le = lineEnd(b, off + 1);
    if (le < 0) return -1;
    const after = le + 2;
    switch (c) {
      case 0x24: // $ bulk string
      case 0x3d: { // = verbatim string
        const n = intAt(b, off + 1, le);
        if (n < 0) return after;
        if (after + n + 2 > b.length) return -1;
        if (keep && n <= MAX_TEXT) this.text = b.toString('latin1', after, after + n);
        return after + n + 2;
      }
      case 0x2a: // * array
      case 0x3e: // > push
      case 0x7e: // ~ set
      case 0x25: { // % map
        let n = intAt(b, off + 1, le);
        if (c === 0x25) n *= 2;
        let at = after;
        for (let i = 0; i < n && at >= 0; i++) at = this.skip(b, at, depth + 1, false);
        this.text = undefined;
        return at;
      }
      default: // one-line items: + - : , # _ ( !
        if (keep && le - off - 1 <= MAX_TEXT) this.text = b.toString('latin1', off + 1, le);
        return after;
    }
  }
}

function isTyped(c: number): boolean {
  return c === 0x2b || c === 0x3a || c === 0x24 || c === 0x3d || c === 0x2c || c === 0x23 || c === 0x5f || c === 0x28;
}

/** Offset of the CR ending the line that starts at `from` (a loop: lines are short, a native call costs more). */
function lineEnd(b: Buffer, from: number): number {
  const last = b.length - 1;
  for (let i = from; i < last; i++) if (b[i] === CR) return i;
  return -1;
}

/** Where intLine found its line's CR (-1: the string ends before it). */
let lineCr = -1;

/**
 * The decimal integer of a string's line, from `from` to its CR, whose offset is left in lineCr:
 * one pass over the line, where finding the CR and then reading the digits took two (reading a
 * character of a string a client built piece by piece is the costly part of the string scan).
 */
function intLine(s: string, from: number): number {
  let i = from;
  let neg = false;
  if (s.charCodeAt(i) === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === CR) {
      lineCr = i;
      return neg ? -n : n;
    }
    n = n * 10 + (c - 48);
  }
  lineCr = -1;
  return 0;
}

/** The decimal integer of bytes [from, to), read without making a string. */
function intAt(b: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (b[i] - 48);
  return neg ? -n : n;
}

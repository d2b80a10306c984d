/**
 * Incremental RESP (Redis protocol) scanning: finds where each command and
 * each reply ends in a byte stream that arrives in arbitrary chunks, and
 * reads only what the agent records (command name, argument count, reply
 * kind, redirects). Keys and values are skipped, never kept.
 */

export interface RespItem {
  /** Bytes the item takes on the wire. */
  bytes: number;
  /** First byte: '+', '-', ':', '$', '*', '>' (push), ... */
  type: string;
  /** For errors: the error text's first word (MOVED, ASK, ERR, ...). */
  error?: string;
  /** For arrays: element count, and the first two elements when they are short strings (command name; push kind and channel). */
  count?: number;
  first?: string;
  second?: string;
}

const CR = 13;

/** Parses one complete item at `off`; returns undefined if the buffer ends first. */
export function parseItem(b: Buffer, off: number): RespItem | undefined {
  const r = scan(b, off, 0);
  if (!r) return undefined;
  return { ...r.item, bytes: r.end - off };
}

interface Scan {
  end: number;
  item: Omit<RespItem, 'bytes'>;
  text?: string;
}

function lineEnd(b: Buffer, from: number): number {
  const i = b.indexOf(CR, from);
  return i >= 0 && i + 1 < b.length ? i : -1;
}

/** The decimal integer of bytes [from, to), read without making a string. */
function intAt(b: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (b[i] === 0x2d) { neg = true; i++; }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (b[i] - 48);
  return neg ? -n : n;
}

function scan(b: Buffer, off: number, depth: number): Scan | undefined {
  if (off >= b.length || depth > 32) return undefined;
  const c = b[off];
  const le = lineEnd(b, off + 1);
  if (le < 0) return undefined;
  const after = le + 2;
  switch (c) {
    case 0x2b: // +
    case 0x3a: // :
    case 0x2c: // ,
    case 0x23: // #
    case 0x5f: // _
      return { end: after, item: { type: String.fromCharCode(c) }, text: le - off - 1 <= 64 ? b.toString('latin1', off + 1, le) : undefined };
    case 0x2d: // -
    case 0x21: { // !
      const line = b.toString('latin1', off + 1, Math.min(le, off + 33));
      return { end: after, item: { type: String.fromCharCode(c), error: line.split(' ')[0] } };
    }
    case 0x24: // $
    case 0x3d: { // =
      const n = intAt(b, off + 1, le);
      if (n < 0) return { end: after, item: { type: '$' } };
      if (after + n + 2 > b.length) return undefined;
      return { end: after + n + 2, item: { type: '$' }, text: n <= 64 ? b.toString('latin1', after, after + n) : undefined };
    }
    case 0x2a: // *
    case 0x3e: // >
    case 0x7e: // ~
    case 0x25: { // %
      let n = intAt(b, off + 1, le);
      if (c === 0x25) n *= 2;
      let at = after;
      let first: string | undefined;
      let second: string | undefined;
      for (let i = 0; i < Math.max(n, 0); i++) {
        const s = scan(b, at, depth + 1);
        if (!s) return undefined;
        if (i === 0) first = s.text;
        else if (i === 1) second = s.text;
        at = s.end;
      }
      return { end: at, item: { type: String.fromCharCode(c), count: n, first, second } };
    }
    default: {
      // inline command ("PING\r\n"): a line of words
      const words = b.toString('latin1', off, le).split(' ');
      return { end: after, item: { type: 'inline', count: words.length, first: words[0] } };
    }
  }
}

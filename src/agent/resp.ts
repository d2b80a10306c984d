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

function scan(b: Buffer, off: number, depth: number): Scan | undefined {
  if (off >= b.length || depth > 32) return undefined;
  const type = String.fromCharCode(b[off]);
  const le = lineEnd(b, off + 1);
  if (le < 0) return undefined;
  const line = b.toString('latin1', off + 1, le);
  const after = le + 2;
  switch (type) {
    case '+':
    case ':':
    case ',':
    case '#':
    case '_':
      return { end: after, item: { type }, text: line };
    case '-':
    case '!':
      return { end: after, item: { type, error: line.split(' ')[0] }, text: line };
    case '$':
    case '=': {
      const n = Number(line);
      if (n < 0) return { end: after, item: { type } };
      if (after + n + 2 > b.length) return undefined;
      const text = n <= 64 ? b.toString('latin1', after, after + n) : undefined;
      return { end: after + n + 2, item: { type }, text };
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      let n = Number(line);
      if (type === '%') n *= 2;
      let at = after;
      let first: string | undefined;
      let second: string | undefined;
      for (let i = 0; i < Math.max(n, 0); i++) {
        const s = scan(b, at, depth + 1);
        if (!s) return undefined;
        if (i === 0) first = s.text;
        if (i === 1) second = s.text;
        at = s.end;
      }
      return { end: at, item: { type, count: n, first, second } };
    }
    default:
      // inline command ("PING\r\n"): a line of words
      return { end: after, item: { type: 'inline', count: line.split(' ').length, first: line.split(' ')[0] } };
  }
}

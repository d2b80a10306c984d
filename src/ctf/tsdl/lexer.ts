/** Tokenizer for TSDL (CTF 1.8 metadata text). */

export type TokenKind = 'ident' | 'int' | 'string' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Integer literals keep their exact value. */
  value?: bigint;
  line: number;
}

const PUNCT3 = [':=', '...', '->'];
const PUNCT1 = '{}[]()<>;,=:.*+-';

export class TsdlSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\0') { i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new TsdlSyntaxError(line, 'unterminated comment');
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j])) j++;
      out.push({ kind: 'ident', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      let value: bigint;
      if (c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
        j = i + 2;
        while (j < n && /[0-9a-fA-F]/.test(text[j])) j++;
        if (j === i + 2) throw new TsdlSyntaxError(line, 'bad hexadecimal literal');
        value = BigInt(text.slice(i, j));
      } else if (c === '0' && /[0-7]/.test(text[i + 1] ?? '')) {
        j = i + 1;
        while (j < n && /[0-7]/.test(text[j])) j++;
        value = BigInt('0o' + text.slice(i + 1, j));
      } else {
        while (j < n && /[0-9]/.test(text[j])) j++;
        value = BigInt(text.slice(i, j));
      }
      while (j < n && /[uUlL]/.test(text[j])) j++; // C suffixes
      if (j < n && /[A-Za-z0-9_]/.test(text[j])) throw new TsdlSyntaxError(line, `bad number "${text.slice(i, j + 1)}"`);
      out.push({ kind: 'int', text: text.slice(i, j), value, line });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const [s, j] = readQuoted(text, i, line);
      out.push({ kind: 'string', text: s, line });
      i = j;
      continue;
    }
    const three = PUNCT3.find((p) => text.startsWith(p, i));
    if (three) { out.push({ kind: 'punct', text: three, line }); i += three.length; continue; }
    if (PUNCT1.includes(c)) { out.push({ kind: 'punct', text: c, line }); i++; continue; }
    throw new TsdlSyntaxError(line, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', line });
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '?': '?' };

function readQuoted(text: string, start: number, line: number): [string, number] {
  const q = text[start];
  let s = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === q) return [s, i + 1];
    if (c === '\n') break;
    if (c === '\\') {
      const e = text[i + 1];
      if (e === undefined) break;
      s += ESCAPES[e] ?? e;
      i += 2;
      continue;
    }
    s += c;
    i++;
  }
  throw new TsdlSyntaxError(line, 'unterminated string literal');
}

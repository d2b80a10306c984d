// The string scan of commands (what clients write) must agree with the byte
// scan on every command it accepts, whatever the values hold (CR, LF, '*',
// '$', digits), and leave to the byte scan what it cannot be sure of.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RespScanner } from '../../src/agent/resp.js';

/** A deterministic pseudo-random sequence (the test must be repeatable). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
}

const ALPHABET = 'abcXYZ019*$:+-\r\n ';

function command(r: () => number, ascii: boolean): string {
  const argc = 1 + Math.floor(r() * 4);
  const args = Array.from({ length: argc }, (_, i) => {
    const len = i === 0 ? 1 + Math.floor(r() * 8) : Math.floor(r() * 12);
    let a = '';
    for (let k = 0; k < len; k++) a += i === 0 ? 'GETSETINCR'[Math.floor(r() * 10)] : ALPHABET[Math.floor(r() * ALPHABET.length)];
    if (!ascii && i > 0 && r() < 0.5) a += 'é☕';
    return a;
  });
  return `*${argc}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function byBytes(s: string): [string | undefined, number, number][] {
  const b = Buffer.from(s);
  const r = new RespScanner();
  const out: [string | undefined, number, number][] = [];
  let off = 0;
  while (r.next(b, off)) {
    out.push([r.first, r.count, r.end - off]);
    off = r.end;
  }
  return out;
}

test('on ASCII commands, the string scan finds what the byte scan finds', () => {
  const r = rng(7);
  for (let n = 0; n < 2000; n++) {
    const s = Array.from({ length: 1 + Math.floor(r() * 4) }, () => command(r, true)).join('');
    const sc = new RespScanner();
    const got: [string | undefined, number, number][] = [];
    let off = 0;
    while (sc.nextCommand(s, off)) {
      got.push([sc.first, sc.count, sc.end - off]);
      off = sc.end;
    }
    assert.equal(off, s.length, JSON.stringify(s));
    assert.deepEqual(got, byBytes(s), JSON.stringify(s));
  }
});

test('the string scan stops, rather than guess, at a cut command, an inline command, or a non-bulk element', () => {
  const r = rng(11);
  const sc = new RespScanner();
  for (let n = 0; n < 500; n++) {
    const s = command(r, true);
    for (let cut = 0; cut < s.length; cut++) assert.equal(sc.nextCommand(s.slice(0, cut), 0), false, JSON.stringify(s.slice(0, cut)));
  }
  assert.equal(sc.nextCommand('PING\r\n', 0), false);
  assert.equal(sc.nextCommand('*2\r\n$3\r\nGET\r\n:1\r\n', 0), false);
  // a bulk length that does not end at CR LF (characters and bytes differ): refused
  assert.equal(sc.nextCommand('*2\r\n$3\r\nSET\r\n$4\r\né☕\r\n', 0), false);
});

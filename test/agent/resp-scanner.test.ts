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

function command(r: () => number): string {
  const argc = 1 + Math.floor(r() * 4);
  const args = Array.from({ length: argc }, (_, i) => {
    const len = i === 0 ? 1 + Math.floor(r() * 8) : Math.floor(r() * 12);
    let a = '';
    for (let k = 0; k < len; k++) a += i === 0 ? 'GETSETINCR'[Math.floor(r() * 10)] : ALPHABET[Math.floor(r() * ALPHABET.length)];
    return a;
  });
  return `*${argc}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

type Found = [string | undefined, number, number][];

/** Every item `scan` finds from the start, as [first element, count, bytes]; and where it stopped. */
function scanAll(sc: RespScanner, scan: (off: number) => boolean): { found: Found; stop: number } {
  const found: Found = [];
  let off = 0;
  while (scan(off)) {
    found.push([sc.first, sc.count, sc.end - off]);
    off = sc.end;
  }
  return { found, stop: off };
}

test('on ASCII commands, the string scan finds what the byte scan finds', () => {
  const r = rng(7);
  for (let n = 0; n < 2000; n++) {
    const s = Array.from({ length: 1 + Math.floor(r() * 4) }, () => command(r)).join('');
    const sc = new RespScanner();
    const b = Buffer.from(s);
    const asString = scanAll(sc, (off) => sc.nextCommand(s, off));
    assert.equal(asString.stop, s.length, JSON.stringify(s));
    assert.deepEqual(asString.found, scanAll(sc, (off) => sc.next(b, off)).found, JSON.stringify(s));
  }
});

test('the string scan stops, rather than guess, at a cut command, an inline command, or a non-bulk element', () => {
  const r = rng(11);
  const sc = new RespScanner();
  for (let n = 0; n < 500; n++) {
    const s = command(r);
    for (let cut = 0; cut < s.length; cut++) assert.equal(sc.nextCommand(s.slice(0, cut), 0), false, JSON.stringify(s.slice(0, cut)));
  }
  assert.equal(sc.nextCommand('PING\r\n', 0), false);
  assert.equal(sc.nextCommand('*2\r\n$3\r\nGET\r\n:1\r\n', 0), false);
  // a length in bytes skipped as characters (é☕ is 5 bytes, 2 characters) lands off the CR LF: refused
  assert.equal(sc.nextCommand('*2\r\n$3\r\nSET\r\n$5\r\né☕\r\nXYZ', 0), false);
});

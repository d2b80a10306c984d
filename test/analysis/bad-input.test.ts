// `redtrace analyze` on what it cannot analyse: one line saying what is wrong,
// a non-zero exit, nothing half written left behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CtfStreamWriter } from '../../src/agent/ctf-writer.js';
import { EVENT_ID } from '../../src/agent/events.js';
import { redtrace } from '../support/cli.js';

const FIRST_EVENT = 84; // the agent's packet header and context
const GC_EVENT = 2 + 8 + 'minor'.length + 1 + 8; // id, timestamp, kind, duration

/** A Node.js agent trace of three `gc` events, the second stamped before the first. */
function backwardsTrace(dir: string): string {
  const w = new CtfStreamWriter(dir, { service: 'svc', procname: 'node', pid: 4242 });
  for (let i = 0; i < 3; i++) w.emit(EVENT_ID.gc, ['minor', 1000 + i]);
  w.close();
  const file = path.join(w.dir, 'stream_0');
  const b = fs.readFileSync(file);
  const ts = (n: number) => FIRST_EVENT + n * GC_EVENT + 2;
  b.writeBigUInt64LE(b.readBigUInt64LE(ts(0)) - 5000n, ts(1));
  fs.writeFileSync(file, b);
  return w.dir;
}

describe('redtrace analyze on bad input', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'redtrace-analyze-bad-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('an event stamped before the one read before it: one line naming the stream, exit 1, no history left', () => {
    const dir = backwardsTrace(path.join(tmp, 'backwards'));
    const r = redtrace(['analyze', dir]);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^redtrace: .*stream_0.*comes after one at .*corrupt timestamp/);
    const kept = fs.readdirSync(path.join(dir, '.redtrace'));
    assert.deepEqual(kept.filter((f) => f.endsWith('.ht') || f.endsWith('.building') || f.endsWith('.json')), []);
  });

  test('a folder with no trace, a missing folder, an unknown option', () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    for (const [args, status, pattern] of [
      [['analyze', empty], 1, /no CTF trace here/],
      [['analyze', path.join(tmp, 'missing')], 1, /no such file or directory/],
      [['analyze', empty, '--fast'], 2, /unknown option --fast/],
      [['analyze'], 2, /give at least one trace directory/],
    ] as const) {
      const r = redtrace([...args]);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.split('\n')[0], pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

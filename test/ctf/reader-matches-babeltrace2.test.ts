// `redtrace events` against babeltrace2 on every hand-made fixture: the same
// bytes on stdout and the same loss warnings on stderr; bad traces give one
// clear line and a non-zero exit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtures } from '../fixtures/index.js';
import { babeltrace2, firstDifference, redtrace, warnings, withTempDir } from '../support/cli.js';

describe('redtrace events prints what babeltrace2 prints', () => {
  for (const f of fixtures.filter((x) => !x.expectError && !x.bt2Wrong)) {
    test(f.name, () => {
      withTempDir(f.name, (dir) => {
        f.build(dir);
        const ref = babeltrace2([dir]);
        assert.equal(ref.status, 0, ref.stderr);
        const ours = redtrace(['events', dir]);
        assert.equal(ours.status, 0, ours.stderr);
        assert.ok(ours.stdout.equals(ref.stdout), firstDifference(ref.stdout, ours.stdout));
        assert.deepEqual(warnings(ours.stderr), warnings(ref.stderr));
      });
    });
  }
});

describe('bad traces: one line naming the file and offset, non-zero exit', () => {
  for (const f of fixtures.filter((x) => x.expectError)) {
    test(f.name, () => {
      withTempDir(f.name, (dir) => {
        f.build(dir);
        const r = redtrace(['events', dir]);
        assert.equal(r.status, 1);
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^redtrace: \/\S+: /);
        assert.match(lines[0], f.expectError!);
        if (!/metadata/.test(lines[0])) assert.match(lines[0], /at byte \d+/);
      });
    });
  }
});

describe('traces babeltrace2 2.0.4 gets wrong', () => {
  const json = (dir: string) => {
    const r = redtrace(['events', '--format', 'json', dir]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  };

  test('variant tagged by a field of an outer scope, by absolute and relative path', () => {
    withTempDir('vo', (dir) => {
      fixtures.find((x) => x.name === 'variant-outer-tag')!.build(dir);
      const [a, b] = json(dir);
      assert.deepEqual(a.payload.v1, { A: 77 });
      assert.deepEqual(a.payload.body.v, { X: 4660 });
      assert.deepEqual(Object.values(a.payload.v2), [{}]);
      assert.deepEqual(Object.values(b.payload.v1), ['outer B']);
      assert.deepEqual(Object.values(b.payload.body.v), [String(2n ** 60n + 1n)]);
      assert.deepEqual(Object.values(b.payload.v2), ['on']);
    });
  });

  test('variant in an event context', () => {
    withTempDir('vc', (dir) => {
      fixtures.find((x) => x.name === 'variant-in-event-context')!.build(dir);
      const [a, b] = json(dir);
      assert.deepEqual(Object.values(a.context.cv), ['mode on']);
      assert.deepEqual(Object.values(b.context.cv), [{}]);
    });
  });

  test('negative clock offset keeps its sign on every event', () => {
    withTempDir('neg', (dir) => {
      fixtures.find((x) => x.name === 'clock-negative-offset')!.build(dir);
      const r = redtrace(['events', dir]);
      const times = r.stdout.toString().trimEnd().split('\n').map((l) => l.slice(0, l.indexOf(']') + 1));
      assert.deepEqual(times, ['[-9.992999500]', '[-9.992999495]', '[00:00:10.007000500]']);
    });
  });
});

describe('--format json', () => {
  test('64-bit values are exact (strings beyond 2^53) and agree with babeltrace2', () => {
    withTempDir('json', (dir) => {
      fixtures.find((x) => x.name === 'int-64bit')!.build(dir);
      const text = babeltrace2([dir]).stdout.toString().trimEnd().split('\n');
      const objs = redtrace(['events', '--format=json', dir]).stdout.toString().trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.equal(objs.length, text.length);
      let beyond = 0;
      objs.forEach((o, i) => {
        for (const k of ['u64', 's64', 'u63', 's63', 'u54']) {
          const m = new RegExp(`\\b${k} = (-?\\d+)`).exec(text[i]);
          assert.ok(m, `${k} in ${text[i]}`);
          const v = o.payload[`_${k}`] ?? o.payload[k];
          assert.equal(String(v), m[1]);
          if (BigInt(m[1]) > 2n ** 53n || BigInt(m[1]) < -(2n ** 53n)) {
            assert.equal(typeof v, 'string');
            beyond++;
          } else assert.equal(typeof v, 'number');
        }
        assert.equal(typeof o.time_ns, 'string');
      });
      assert.ok(beyond > 0, 'the fixture has values beyond 2^53');
    });
  });
});

describe('command line', () => {
  test('bad arguments and missing traces give one line and a non-zero exit', () => {
    for (const args of [['events'], ['events', '--format', 'xml', '.'], ['events', '/nonexistent/trace'], ['nosuchcommand'], ['events', '--bogus', '.']]) {
      const r = redtrace(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, /^redtrace: /, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});

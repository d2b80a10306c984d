/**
 * An experiment's hosts and their clocks. Traces are grouped by host (CTF env
 * `hostname`); traces of one host share its clock and need no sync. With
 * several hosts, one pass over the events collects the messages between
 * them (see messages.ts); each pair of hosts that exchanged messages both
 * ways gets a transform by the convex-hull method, and every host is mapped
 * onto a reference host's clock along the chain of pairs with the smallest
 * summed error bound (composed when two hosts exchanged nothing directly).
 */
import { join } from 'node:path';
import { CtfReader, findTraces, type ClockTransform, type Trace, type TraceClass } from '../ctf/index.js';
import { readMetadata } from '../ctf/metadata.js';
import { compose, invert, synchroniseRobust, type Transform } from './clock-sync.js';
import { MessageCollector, type Flow } from './messages.js';

export interface HostClock {
  host: string;
  traces: number;
  status: 'reference' | 'synchronised' | 'not synchronised';
  /** Why a host is not synchronised. */
  reason?: string;
  /** Time on this host ↦ time on the reference clock (ns; the reader's time keys without transforms). */
  transform: Transform;
  /** Bound on the transform's error, ns, over the times the messages cover. */
  accuracyNs?: number;
  /** Those times, on the reference clock: where every edge of the chain had messages. */
  covered?: [number, number];
  /** Messages used on the chain to the reference, and those left out as inconsistent. */
  pairs: number;
  dropped: number;
  /** Hosts the transform goes through: this one first, the reference last. */
  via: string[];
}

export interface ClockPlan {
  reference?: string;
  hosts: HostClock[];
  /** Events read to find the messages (none with a single host). */
  events: number;
  /** The transform of a trace's clock, undefined when none. */
  transformOf(t: Trace): ClockTransform | undefined;
}

interface Edge {
  a: string;
  b: string;
  /** a's clock to b's. */
  f: Transform;
  accuracyNs: number;
  /** Times the messages cover, on a's clock. */
  fromX: number;
  toX: number;
  pairs: number;
  dropped: number;
}

const IDENTITY: Transform = { slope: 1, offset: 0 };

export function hostOf(t: Trace | TraceClass): string {
  const h = ('cls' in t ? t.cls : t).env.get('hostname');
  return typeof h === 'string' && h ? h : 'unknown';
}

/**
 * Reads the traces once when they come from several hosts (not at all for
 * one host) and plans each host's clock transform. `progress` as the reader's.
 */
export function planClocks(dirs: string[], progress?: (done: number, total: number, events: number) => void): ClockPlan {
  // host names from the metadata alone: with one host, nothing more is read
  const traces = new Map<string, number>();
  for (const { dir } of findTraces(dirs)) {
    const h = hostOf(readMetadata(join(dir, 'metadata')).trace);
    traces.set(h, (traces.get(h) ?? 0) + 1);
  }
  const names = [...traces.keys()].sort();
  if (names.length < 2) {
    const hosts = names.map((host): HostClock => ({ host, traces: traces.get(host)!, status: 'reference', transform: IDENTITY, pairs: 0, dropped: 0, via: [host] }));
    return { reference: names[0], hosts, events: 0, transformOf: () => undefined };
  }
  const reader = CtfReader.open(dirs);
  const collector = new MessageCollector();
  const hostOfStream = reader.streams.map((s) => hostOf(s.trace));
  let events = 0;
  try {
    for (let ev = reader.next(); ev; ev = reader.next()) {
      collector.feed(ev, reader.timeKey(ev), hostOfStream[ev.stream.index]);
      if ((++events & 0xffff) === 0 && progress) {
        const p = reader.progress();
        progress(p.done, p.total, events);
      }
    }
  } finally {
    reader.close();
  }
  const hosts = plan(names, traces, collector.match());
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  const transformOf = (t: Trace) => {
    const h = byHost.get(hostOf(t));
    return h && h.status === 'synchronised' ? h.transform : undefined;
  };
  return { reference: hosts.find((h) => h.status === 'reference')?.host, hosts, events, transformOf };
}

/** Transforms onto the reference from the messages between hosts (exported for tests). */
export function plan(names: string[], traces: Map<string, number>, flows: Flow[]): HostClock[] {
  const flowOf = new Map(flows.map((f) => [`${f.from}\n${f.to}`, f]));
  const edges: Edge[] = [];
  const failed = new Map<string, string>();
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i], names[j]];
      const ab = flowOf.get(`${a}\n${b}`);
      const ba = flowOf.get(`${b}\n${a}`);
      if (!ab && !ba) continue;
      // as (a clock, b clock) points: a→b messages lie above a's line on b's clock, b→a below
      const aToB = ab ? ab.sent.map((s, k): [number, number] => [s, ab.received[k]]) : [];
      const bToA = ba ? ba.sent.map((s, k): [number, number] => [ba.received[k], s]) : [];
      const r = synchroniseRobust(aToB, bToA);
      if (r) edges.push({ a, b, f: r.transform, accuracyNs: r.accuracyNs, fromX: r.fromX, toX: r.toX, pairs: r.aToB + r.bToA - r.dropped, dropped: r.dropped });
      else {
        const why = aToB.length < 2 || bToA.length < 2 ? 'too few messages each way' : 'the messages agree with no clock';
        for (const h of [a, b]) if (!failed.has(h)) failed.set(h, `${why} with ${h === a ? b : a}`);
      }
    }
  }
  // the reference: the host synchronised directly with the most others, then with the most messages
  const degree = (h: string) => edges.filter((e) => e.a === h || e.b === h);
  const rank = names.map((h) => ({ h, d: degree(h).length, n: degree(h).reduce((s, e) => s + e.pairs, 0) }));
  rank.sort((x, y) => y.d - x.d || y.n - x.n || (x.h < y.h ? -1 : 1));
  const reference = rank[0].h;
  // Dijkstra on summed error bounds; each host keeps its transform onto the reference
  const done = new Map<string, HostClock>();
  const best = new Map<string, HostClock>([[reference, { host: reference, traces: traces.get(reference)!, status: 'reference', transform: IDENTITY, accuracyNs: 0, covered: [-Infinity, Infinity], pairs: 0, dropped: 0, via: [reference] }]]);
  while (best.size > 0) {
    const u = [...best.values()].sort((x, y) => x.accuracyNs! - y.accuracyNs!)[0];
    best.delete(u.host);
    done.set(u.host, u);
    for (const e of degree(u.host)) {
      const v = e.a === u.host ? e.b : e.a;
      if (done.has(v)) continue;
      // v's clock to u's: the edge's transform (bound in b's ns) or its inverse (in a's)
      const toU = e.a === v ? e.f : invert(e.f);
      const accuracyNs = u.transform.slope * (e.a === v ? e.accuracyNs : e.accuracyNs / e.f.slope) + u.accuracyNs!;
      const prev = best.get(v);
      if (prev && prev.accuracyNs! <= accuracyNs) continue;
      const transform = compose(toU, u.transform);
      // the edge's times on v's clock, then on the reference's; the chain holds where all its edges do
      const [x0, x1] = e.a === v ? [e.fromX, e.toX] : [e.fromX, e.toX].map((x) => (x - toU.offset) / toU.slope);
      const [y0, y1] = [x0, x1].map((x) => transform.slope * x + transform.offset);
      const [lo, hi] = [Math.max(y0, u.covered![0]), Math.min(y1, u.covered![1])];
      best.set(v, {
        host: v, traces: traces.get(v)!, status: 'synchronised', transform, accuracyNs, covered: lo <= hi ? [lo, hi] : [y0, y1],
        pairs: u.pairs + e.pairs, dropped: u.dropped + e.dropped, via: [v, ...u.via],
      });
    }
  }
  const ref = done.get(reference)!;
  ref.covered = undefined;
  return names.map((h) => done.get(h) ?? {
    host: h, traces: traces.get(h)!, status: 'not synchronised' as const, transform: IDENTITY, pairs: 0, dropped: 0, via: [h],
    reason: failed.get(h) ?? (flows.some((f) => f.from === h || f.to === h) ? 'no chain of messages to the reference' : 'no messages with other hosts'),
  });
}

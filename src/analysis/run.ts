/**
 * One pass over an experiment (any number of traces, merged by time; the
 * Redis model of each trace in a worker thread when several hold Redis
 * events): the Redis model into a state history, the Node.js spans, Redis
 * command segments; then the links between them, into request trees.
 */
import { CtfReader, type CtfEvent } from '../ctf/index.js';
import { openOrBuild } from '../state/index.js';
import { planClocks, type ClockPlan, type HostClock } from '../experiment/hosts.js';
import { RedisModel, REDIS_MODEL_VERSION, type BusMessage, type RedisEvent, type Segment } from './redis/model.js';
import { NodeModel } from './node/spans.js';
import { outOfOrder } from './order.js';
import { num, redisEvent } from './event-record.js';
import { linkRequests, type Accepts, type TreeNode } from './integration/request-tree.js';
import { addPhases, type PhaseStats } from './redis/phase-stats.js';
import { NullStates, RedisWorkers, splitTraces, type WorkerReport } from './parallel.js';
import type { MergedRedis } from './parallel-merge.js';
import { fingerprint, historyCurrent, historyPath, loadResult, saveResult } from './stored.js';

export const ANALYSIS_VERSION = REDIS_MODEL_VERSION;
/** Bumped when the clock alignment changes the times the analysis writes. */
const SYNC_VERSION = 1;
/** Bumped when the saved result's shape changes. */
const RESULT_VERSION = 2;

export type { PhaseStats };

/** Cluster bus messages seen leaving one traced node and reaching another (send → processing started). */
export interface BusStats {
  messages: number;
  byType: Record<string, { count: number; bytes: number; meanNs: number; maxNs: number }>;
  byLink: { from: string; to: string; count: number; bytes: number }[];
}

/** A host's clock as the analysis applied it. */
export interface HostClockReport extends Omit<HostClock, 'transform' | 'covered'> {
  /** A time t of this host (ns in the analysis's time base, as recorded) is slope·t + offsetNs on the reference clock. */
  slope: number;
  offsetNs: number;
  /** The times the messages cover (the analysis's time base): `accuracyNs` holds between them. */
  coveredNs?: [number, number];
  /** This host's clock minus the reference's at its first message (ns), and how much faster it runs (ppm). */
  clockOffsetNs: number;
  driftPpm: number;
  /** Bound on the drift's error that the accuracy at both ends of the covered times implies. */
  driftBoundPpm?: number;
}

export interface Clocks {
  reference?: string;
  /** ns from the clocks' origin (usually the Unix epoch) of time 0 of the analysis's times, on the reference clock. */
  originNs: string;
  hosts: HostClockReport[];
}

export interface AnalysisResult {
  events: number;
  traces: number;
  discardedEvents: number;
  lostPackets: number;
  hosts: string[];
  clocks: Clocks;
  redisNodes: { name: string; vpid: number; ports: number[] }[];
  services: { name: string; pids: number[] }[];
  requests: number;
  commands: Record<string, PhaseStats>;
  bus: BusStats;
  links: { httpLinked: number; httpUnmatched: number; redisLinked: number; redisUnmatched: number };
  slowest: TreeNode[];
  roots: TreeNode[];
  historyFile: string;
  rebuilt: boolean;
  /** When worker threads ran the Redis models: one per trace, each with its own history file. */
  workers?: WorkerReport[];
}

export interface AnalyzeOptions {
  /**
   * Run the Redis model of each trace holding Redis events in a worker
   * thread (true) or everything in one pass (false). By default, workers
   * when two or more traces hold Redis events and there is more than one core.
   */
  parallel?: boolean;
}

function busStats(messages: BusMessage[]): BusStats {
  const byType: BusStats['byType'] = {};
  const links = new Map<string, { from: string; to: string; count: number; bytes: number }>();
  for (const m of messages) {
    const t = (byType[m.type] ??= { count: 0, bytes: 0, meanNs: 0, maxNs: 0 });
    const latency = m.process - m.send;
    t.meanNs += (latency - t.meanNs) / ++t.count;
    t.bytes += m.bytes;
    t.maxNs = Math.max(t.maxNs, latency);
    const k = `${m.from}>${m.to}`;
    const l = links.get(k) ?? links.set(k, { from: m.from, to: m.to, count: 0, bytes: 0 }).get(k)!;
    l.count++;
    l.bytes += m.bytes;
  }
  return { messages: messages.length, byType, byLink: [...links.values()].sort((a, b) => b.bytes - a.bytes) };
}

export function analyze(dirs: string[], progress?: (done: number, total: number, events: number) => void, opts: AnalyzeOptions = {}): AnalysisResult {
  const file = historyPath(dirs);
  const version = fingerprint(dirs, `${ANALYSIS_VERSION}/sync${SYNC_VERSION}/result${RESULT_VERSION}`);
  const resultFile = file.replace(/\.ht$/, '.result.json');
  const split = splitTraces(dirs, opts.parallel);
  const saved = loadResult<AnalysisResult>(resultFile, version);
  // a result of the same mode (one pass or workers) whose histories are current
  if (saved && !saved.workers === !split && (saved.workers?.map((w) => w.historyFile) ?? [file]).every((f) => historyCurrent(f, version))) {
    return { ...saved, historyFile: saved.workers ? saved.historyFile : file, workers: saved.workers?.map((w) => ({ ...w, rebuilt: false })) };
  }
  // several hosts: a first pass finds the messages between them and each host's clock transform
  const plan = planClocks(dirs, progress && ((d, t, n) => progress(d, 2 * t, n)));
  const multiHost = plan.hosts.length > 1;
  const reader = CtfReader.open(dirs, { clockTransform: plan.transformOf, read: split?.mainReads });
  const bytesBefore = plan.events > 0 ? reader.progress().total : 0;
  const nm = new NodeModel();
  const segments = new Map<string, Segment[]>();
  const commands: Record<string, PhaseStats> = {};
  const accepts: Accepts = new Map();
  const serviceByPid = new Map<number, string>();
  let redis: RedisModel | undefined;
  let merged: MergedRedis | undefined;
  let events = 0;
  // streams of a worker's trace, read here for their Node.js events only
  const shared = reader.streams.map((s) => split !== undefined && !split.counted(s.trace));
  let sharedEvents = 0;
  let last = 0;
  let first = 0;
  // segments are kept for linking only on connections a traced Node.js process opened:
  // a benchmark's millions of commands need statistics, not memory
  // (by port: the time and stream rank of its first command, which workers check their segments against)
  const nodePorts = new Map<number, [number, number]>();
  const clientPort = new Map<string, number>();
  const keep = (s: Segment) => {
    const k = `${s.node}/${s.clientId}`;
    (segments.get(k) ?? segments.set(k, []).get(k)!).push(s);
  };
  const onSegment = (s: Segment) => {
    if (nodePorts.has(clientPort.get(`${s.node}/${s.clientId}`) ?? -1)) keep(s);
    addPhases(commands, s);
  };
  // what every event of a stream shares, looked up once per stream; the provider, once per event class
  const streams = new Map<object, { host: string; vpid: unknown; service: unknown }>();
  const kinds = new Map<object, number>();
  const REDIS = 1;
  const NODEJS = 2;
  const re: RedisEvent = { name: '', t: 0, mono: 0, vpid: 0, vtid: 0, p: {}, host: undefined }; // reused: the model keeps no event
  const feed = (ev: CtfEvent) => {
    const t = reader.timeKey(ev);
    if (t < last) outOfOrder(ev, t, last);
    if (events++ === 0) first = t;
    last = t;
    const cls = ev.event.cls;
    let kind = kinds.get(cls);
    if (kind === undefined) kinds.set(cls, (kind = cls.name.startsWith('redis:') ? REDIS : cls.name.startsWith('nodejs:') ? NODEJS : 0));
    if (shared[ev.stream.index] && (sharedEvents++, kind !== NODEJS)) return;
    if (kind === 0) return;
    let st = streams.get(ev.stream);
    if (!st) {
      const env = ev.stream.trace.cls.env;
      streams.set(ev.stream, (st = { host: String(env.get('hostname') ?? 'unknown'), vpid: env.get('vpid'), service: env.get('service') }));
    }
    const name = cls.name;
    const ctx = ev.streamContext as Record<string, unknown> | undefined;
    const vpid = num(ctx?.vpid ?? st.vpid);
    const p = ev.payload as Record<string, unknown>;
    if (kind === REDIS) {
      redis!.handle(redisEvent(re, ev, t, vpid, multiHost ? st.host : undefined));
      if (name === 'redis:accept_connection') {
        const port = num(p.peer_port);
        const node = multiHost ? `redis-${vpid}@${st.host}` : `redis-${vpid}`;
        accepts.set(port, [...(accepts.get(port) ?? []), { node, clientId: num(p.client_id) }]);
        clientPort.set(`${node}/${num(p.client_id)}`, port);
      }
    } else {
      if (name === 'nodejs:process_start') serviceByPid.set(vpid, String(p.service));
      else if (name === 'nodejs:redis_command_send' && !nodePorts.has(num(p.local_port))) nodePorts.set(num(p.local_port), [t, ev.stream.rank]);
      const service = String(st.service ?? serviceByPid.get(vpid) ?? ctx?.procname ?? 'node');
      nm.handle({ name, t, pid: vpid, host: st.host, service, p });
    }
    if ((events & 0xffff) === 0 && progress) {
      const pr = reader.progress();
      progress(bytesBefore + pr.done, bytesBefore + pr.total, plan.events + events);
    }
  };
  let rebuilt = false;
  let workers: RedisWorkers | undefined;
  let more = { events: 0, discarded: 0, lost: 0 };
  if (split) {
    const w = (workers = new RedisWorkers(dirs, split, file, version, reader.traces, plan.transformOf, multiHost));
    const tick = progress && (() => {
      const [pr, wp] = [reader.progress(), w.progress()];
      progress(bytesBefore + pr.done + wp.done, bytesBefore + pr.total + wp.total, plan.events + events - sharedEvents + wp.events);
    });
    const out = w.run(reader, () => {
      for (let ev = reader.next(); ev; ev = reader.next()) feed(ev);
      return { events, first, last };
    }, nodePorts, keep, (port, node, clientId) => accepts.set(port, [...(accepts.get(port) ?? []), { node, clientId }]), tick);
    ({ redis: merged, rebuilt, first, last } = out);
    for (const [cmd, st] of out.commands) commands[cmd] = st;
    more = { events: out.events - sharedEvents, discarded: out.discarded, lost: out.lost };
  } else {
    const built = openOrBuild(file, { start: 0, analysisVersion: version }, (ss) => {
      redis = new RedisModel(ss, onSegment);
      for (let ev = reader.next(); ev; ev = reader.next()) feed(ev);
      return last;
    });
    built.reader.close();
    rebuilt = built.rebuilt;
  }
  if (!split && !rebuilt) {
    // the history is current: the other results still need one reading of the events
    redis = new RedisModel(new NullStates() as never, onSegment);
    for (let ev = reader.next(); ev; ev = reader.next()) feed(ev);
  }
  reader.close();
  const side = merged ?? redis;
  const links = linkRequests(nm, segments, accepts, side);
  const total = (n: TreeNode) => n.end - n.start;
  const services = new Map<string, number[]>();
  for (const [svc, list] of nm.services) services.set(svc, list.map((x) => x.pid));
  const result: AnalysisResult = {
    events: events + more.events,
    traces: reader.traces.length,
    discardedEvents: reader.discardedEvents + more.discarded,
    lostPackets: reader.lostPackets + more.lost,
    hosts: plan.hosts.map((h) => h.host),
    clocks: clockReport(plan, reader, first),
    redisNodes: [...(side?.nodes ?? new Map())].map(([name, n]) => ({ name, vpid: n.vpid, ports: [...n.ports].sort((a, b) => a - b) })),
    services: [...services].map(([name, pids]) => ({ name, pids })),
    requests: links.roots.length,
    commands,
    bus: busStats(side?.busMessages() ?? []),
    links: { httpLinked: links.httpLinked, httpUnmatched: links.httpUnmatched, redisLinked: links.redisLinked, redisUnmatched: links.redisUnmatched },
    slowest: [...links.roots].sort((a, b) => total(b) - total(a)).slice(0, 10),
    roots: links.roots,
    historyFile: workers ? workers.files[0] : file,
    rebuilt,
    workers: workers?.reports(),
  };
  saveResult(resultFile, version, result);
  return result;
}

/** The plan's transforms in the analysis's time base (the reader's origin moved back by its lift). */
function clockReport(plan: ClockPlan, reader: CtfReader, startNs: number): Clocks {
  const hosts = plan.hosts.map(({ transform: { slope, offset }, covered, ...h }): HostClockReport => {
    const offsetNs = offset + reader.lift * (1 - slope);
    const coveredNs = covered?.map((x) => x + reader.lift) as [number, number] | undefined;
    const at = coveredNs?.[0] ?? startNs;
    const local = (at - offsetNs) / slope;
    const driftBoundPpm = coveredNs && coveredNs[1] > coveredNs[0] ? ((2 * h.accuracyNs!) / (coveredNs[1] - coveredNs[0])) * 1e6 : undefined;
    return { ...h, slope, offsetNs, coveredNs, clockOffsetNs: local - at, driftPpm: (1 / slope - 1) * 1e6, driftBoundPpm };
  });
  return { reference: plan.reference, originNs: String(reader.origin), hosts };
}

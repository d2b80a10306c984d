/**
 * A worker thread of the parallel analysis (see parallel.ts): one trace's
 * Redis model into that trace's state history. Results go back once the
 * events are read and the main thread has told which client ports are
 * traced Node.js processes'; a history being built is then closed at the
 * end the main thread gives (the last event of all traces, as one pass would).
 */
import { threadId, workerData } from 'node:worker_threads';
import { CtfReader } from '../ctf/index.js';
import { outOfOrder } from './order.js';
import { num, redisEvent } from './event-record.js';
import { openOrBuild } from '../state/index.js';
import { RedisModel, type RedisEvent, type Segment } from './redis/model.js';
import { addPhases, type PhaseStats } from './redis/phase-stats.js';
import { END, MAIN_READ, NUMBERS, NullStates, type WorkerError, type WorkerJob, type WorkerMessage } from './parallel.js';
import { outcomeCode, SEG_F, SEG_I, type NodeOut, type WorkerResult } from './parallel-merge.js';

const job = workerData as WorkerJob;
const signals = new Int32Array(job.signals);
const numbers = new Float64Array(job.numbers);
const nodePorts = new Float64Array(job.ports);
const slot = NUMBERS * job.slot;

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  job.port.postMessage(m, transfer);
  Atomics.add(signals, 0, 1);
  Atomics.notify(signals, 0);
}

/** Stops when the main thread gave up (an end of NaN, given early). */
function checkStopped(): void {
  if (Atomics.load(signals, END + job.slot) !== 0 && Number.isNaN(numbers[slot + 3])) throw new Error('analysis stopped');
}

/** A typed array that grows as values are pushed. */
class Column<A extends Float64Array | Int32Array> {
  n = 0;
  constructor(public a: A) {}
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new (this.a.constructor as new (n: number) => A)(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  take(): A {
    return this.a.slice(0, this.n) as A;
  }
}

/** Segments as rows of columns (see parallel-merge.ts), filtered in place. */
class Segments {
  readonly f = new Column(new Float64Array(SEG_F << 10));
  readonly i = new Column(new Int32Array(SEG_I << 10));
  get length(): number {
    return this.i.n / SEG_I;
  }
  push(s: Segment, cmd: number, node: number, t: number, rank: number): void {
    const { f, i } = this;
    f.push(s.readStart); f.push(s.readEnd); f.push(s.execStart); f.push(s.execEnd);
    f.push(s.writeStart ?? NaN); f.push(s.writeEnd ?? NaN); f.push(t);
    i.push(s.fd); i.push(s.clientId); i.push(cmd); i.push(node); i.push(outcomeCode(s.outcome)); i.push(rank);
  }
  /** Keeps the rows `keep(node, clientId, t, rank)` accepts, in order. */
  filter(keep: (node: number, clientId: number, t: number, rank: number) => boolean): void {
    const F = this.f.a;
    const I = this.i.a;
    let w = 0;
    for (let k = 0; k < this.length; k++) {
      if (!keep(I[k * SEG_I + 3], I[k * SEG_I + 1], F[k * SEG_F + 6], I[k * SEG_I + 5])) continue;
      F.copyWithin(w * SEG_F, k * SEG_F, (k + 1) * SEG_F);
      I.copyWithin(w * SEG_I, k * SEG_I, (k + 1) * SEG_I);
      w++;
    }
    this.f.n = w * SEG_F;
    this.i.n = w * SEG_I;
  }
}

function run(): void {
  const transforms = new Map(job.transforms);
  const mine = new Set(job.traces);
  const reader = CtfReader.open(job.dirs, { clockTransform: (t) => transforms.get(t.dir), read: (t) => mine.has(t.dir) });
  try {
    let model!: RedisModel;
    const segs = new Segments();
    const accF = new Column(new Float64Array(64));
    const accI = new Column(new Int32Array(256));
    const cmds = new Map<string, number>();
    const stats: Record<string, PhaseStats> = {};
    const firstMet: { cmd: string; t: number; rank: number }[] = [];
    const nodes = new Map<string, number>();
    const order: { t: number; rank: number }[] = [];
    /** Per node index: client id → its client port. */
    const clientPort: Map<number, number>[] = [];
    let events = 0;
    let first = NaN;
    let last = 0;
    let lastRedis = -Infinity;
    let t = 0;
    let rank = 0;
    /** The main thread has read its part: the Node.js client ports are known. */
    let portsKnown = false;
    const nodeIndex = (name: string): number => {
      let i = nodes.get(name);
      if (i === undefined) {
        nodes.set(name, (i = nodes.size));
        order.push({ t, rank });
        clientPort.push(new Map());
      }
      return i;
    };
    // as one pass: kept when a traced Node.js process had sent a command from the connection's client port by then
    const wanted = (node: number, clientId: number, at: number, atRank: number): boolean => {
      const port = clientPort[node].get(clientId);
      if (port === undefined) return false;
      const since = nodePorts[2 * port];
      return since < at || (since === at && nodePorts[2 * port + 1] <= atRank);
    };
    const learnPorts = () => {
      portsKnown = true;
      segs.filter(wanted);
    };
    const onSegment = (s: Segment) => {
      if (!(s.cmd in stats)) firstMet.push({ cmd: s.cmd, t, rank });
      addPhases(stats, s);
      const node = nodeIndex(s.node);
      if (!portsKnown && Atomics.load(signals, MAIN_READ) !== 0) learnPorts();
      if (portsKnown && !wanted(node, s.clientId, t, rank)) return;
      let c = cmds.get(s.cmd);
      if (c === undefined) cmds.set(s.cmd, (c = cmds.size));
      segs.push(s, c, node, t, rank);
    };
    const progress = () => {
      const p = reader.progress();
      numbers[slot] = p.done;
      numbers[slot + 1] = p.total;
      numbers[slot + 2] = events;
    };
    // as analyze's single pass hands events to the model: per stream and per event class looked up once, one event record reused
    const streams = new Map<object, { host: string; vpid: unknown }>();
    const isRedis = new Map<object, boolean>();
    const re: RedisEvent = { name: '', t: 0, mono: 0, vpid: 0, vtid: 0, p: {}, host: undefined };
    const readAll = () => {
      for (let ev = reader.next(); ev; ev = reader.next()) {
        t = reader.timeKey(ev);
        if (t < last) outOfOrder(ev, t, last);
        if (events++ === 0) first = t;
        last = t;
        if ((events & 0x3fff) === 0) {
          progress();
          checkStopped();
        }
        const cls = ev.event.cls;
        let redis = isRedis.get(cls);
        if (redis === undefined) isRedis.set(cls, (redis = cls.name.startsWith('redis:')));
        if (!redis) continue;
        let st = streams.get(ev.stream);
        if (!st) {
          const env = ev.stream.trace.cls.env;
          streams.set(ev.stream, (st = { host: String(env.get('hostname') ?? 'unknown'), vpid: env.get('vpid') }));
        }
        rank = ev.stream.rank;
        const name = cls.name;
        const ctx = ev.streamContext as Record<string, unknown> | undefined;
        const vpid = num(ctx?.vpid ?? st.vpid);
        const p = ev.payload as Record<string, unknown>;
        if (model.handles(name)) lastRedis = t;
        const known = model.nodes.size;
        model.handle(redisEvent(re, ev, t, vpid, job.hostNames ? st.host : undefined));
        if (model.nodes.size > known) nodeIndex([...model.nodes.keys()].at(-1)!);
        if (name === 'redis:accept_connection') {
          const node = nodeIndex(job.hostNames ? `redis-${vpid}@${st.host}` : `redis-${vpid}`);
          const port = num(p.peer_port);
          clientPort[node].set(num(p.client_id), port);
          accF.push(t);
          accI.push(rank); accI.push(port); accI.push(node); accI.push(num(p.client_id));
        }
      }
      progress();
      if (!portsKnown) {
        while (Atomics.load(signals, MAIN_READ) === 0) Atomics.wait(signals, MAIN_READ, 0);
        checkStopped();
        learnPorts();
      }
    };
    const result = (rebuilt: boolean): [WorkerResult, ArrayBuffer[]] => {
      const nodeOut = [...nodes.keys()].map((name, i): NodeOut => {
        const n = model.nodes.get(name)!;
        return { name, vpid: n.vpid, ports: [...n.ports], t: order[i].t, rank: order[i].rank, sends: n.sends, recvs: n.recvs };
      });
      const r: WorkerResult = {
        kind: 'result', threadId, events, first, last, lastRedis, discarded: reader.discardedEvents, lost: reader.lostPackets, rebuilt,
        cmds: [...cmds.keys()], nodes: nodeOut, stats: firstMet.map((x) => ({ ...x, st: stats[x.cmd] })),
        segF: segs.f.take(), segI: segs.i.take(), accF: accF.take(), accI: accI.take(),
      };
      return [r, [r.segF.buffer, r.segI.buffer, r.accF.buffer, r.accI.buffer] as ArrayBuffer[]];
    };
    const { reader: history, rebuilt } = openOrBuild(job.file, { start: 0, analysisVersion: job.version }, (ss) => {
      model = new RedisModel(ss, onSegment);
      readAll();
      post(...result(true));
      // the end: the last event of every trace, known once all are read
      while (Atomics.load(signals, END + job.slot) === 0) Atomics.wait(signals, END + job.slot, 0);
      checkStopped();
      // the other traces' Redis events end each second for this model too
      model.advance(numbers[slot + 4]);
      return numbers[slot + 3];
    });
    history.close();
    if (!rebuilt) {
      // the history is current: the other results still need one reading of the events
      model = new RedisModel(new NullStates() as never, onSegment);
      readAll();
      post(...result(false));
    }
    post({ kind: 'closed' });
  } finally {
    reader.close();
  }
}

try {
  run();
} catch (e) {
  const err = e as Error & Partial<Pick<WorkerError, 'file' | 'offset' | 'what' | 'problem'>>;
  post({ kind: 'error', name: err.name, message: err.message, stack: err.stack, file: err.file, offset: err.offset, what: err.what, problem: err.problem });
}

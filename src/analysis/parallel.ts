/**
 * The Redis model of several traces at once: each trace that holds Redis
 * events gets a worker thread (parallel-worker.ts) running its own
 * RedisModel into its own state history file, while the main thread reads
 * the rest (the Node.js events). A Redis node's model needs that node's
 * events only, and a node lives in one trace (one per process, host or
 * session).
 *
 * Times are those of one reader of all the traces: a worker's reader opens
 * every trace for the time base (origin, lift, order of ties) and reads only
 * its own. Results come back in the order one pass would have produced them
 * (parallel-merge.ts). A worker keeps a segment for linking as one pass
 * would: when a traced Node.js process had sent a command from its client
 * port by then. The main thread knows those ports once it has read its part;
 * until then a worker holds its segments (as columns), afterwards it decides
 * each at once, so a benchmark's millions of commands cost sums, not memory.
 *
 * `analyze` is synchronous: the main thread waits on shared memory
 * (Atomics.wait) and takes the workers' messages with receiveMessageOnPort.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CtfError, findTraces, type ClockTransform, type CtfReader, type Trace } from '../ctf/index.js';
import { readMetadata } from '../ctf/metadata.js';
import { StateFileError, type StateFileProblem } from '../state/index.js';
import type { Segment } from './redis/model.js';
import type { PhaseStats } from './redis/phase-stats.js';
import { MergedRedis, mergeAccepts, mergeSegments, mergeStats, type WorkerResult } from './parallel-merge.js';

/** A worker that shows no progress for this long while it should is taken for dead (its exit cannot be seen while the main thread waits). */
const STALL_MS = 120_000;

export interface WorkerError {
  kind: 'error';
  name: string;
  message: string;
  stack?: string;
  file?: string;
  offset?: number;
  what?: string;
  problem?: StateFileProblem;
}

export type WorkerMessage = WorkerResult | WorkerError | { kind: 'closed' };

export interface WorkerJob {
  /** The dirs given to analyze (every trace sets the time base) and the trace this worker reads (its folders: several for a rotated session). */
  dirs: string[];
  traces: string[];
  /** Clock transform by trace folder. */
  transforms: [string, ClockTransform][];
  /** Several hosts: nodes are named after their host too. */
  hostNames: boolean;
  file: string;
  version: number;
  slot: number;
  signals: SharedArrayBuffer;
  numbers: SharedArrayBuffer;
  ports: SharedArrayBuffer;
  port: MessagePort;
}

/**
 * Shared memory. signals[0] counts messages posted (all workers); signals[MAIN_READ] is set once the
 * main thread has read its part and filled `ports`; signals[END + slot] once a worker's end is given.
 * numbers[NUMBERS·slot + k]: bytes done, bytes total, events, then from the main thread the end and
 * the last Redis event of all traces. ports[2·port], ports[2·port + 1]: time and stream rank of the
 * first command a traced Node.js process sent from that client port (NaN: none).
 */
export const MAIN_READ = 1;
export const END = 2;
export const NUMBERS = 5;

/** Which traces get a worker, and which the main thread still reads. */
export interface Split {
  /** Each trace holding Redis events, as its folders: the chunks of a rotated session (one UUID) are one trace, as babeltrace2 merges them. */
  redis: string[][];
  /** The main thread reads a trace with no Redis events, or one that holds Node.js events too (their Redis events it skips). */
  mainReads: (t: Trace) => boolean;
  /** The worker traces' events are counted by their workers. */
  counted: (t: Trace) => boolean;
}

/**
 * The traces to analyse in workers, from their metadata's event classes (no
 * event read): undefined for a single pass. `parallel` forces the choice;
 * by default, workers when two or more traces hold Redis events and the
 * machine has more than one core.
 */
export function splitTraces(dirs: string[], parallel?: boolean): Split | undefined {
  if (parallel === false) return undefined;
  const redis = new Map<string, string[]>();
  const withNode = new Set<string>();
  for (const { dir } of findTraces(dirs)) {
    const cls = readMetadata(join(dir, 'metadata')).trace;
    const names = [...cls.streams.values()].flatMap((s) => [...s.events.values()].map((e) => e.name));
    if (!names.some((n) => n.startsWith('redis:'))) continue;
    const id = cls.uuid ? `uuid ${cls.uuid}` : dir;
    redis.set(id, [...(redis.get(id) ?? []), dir]);
    if (names.some((n) => n.startsWith('nodejs:'))) withNode.add(dir);
  }
  if (redis.size === 0 || (parallel === undefined && (redis.size < 2 || availableParallelism() < 2))) return undefined;
  const set = new Set([...redis.values()].flat());
  return { redis: [...redis.values()], mainReads: (t) => !set.has(t.dir) || withNode.has(t.dir), counted: (t) => !set.has(t.dir) };
}

/** A trace's history file: beside the experiment's, named after it and the trace (its folders). */
export function traceHistoryPath(file: string, traces: string[]): string {
  const h = createHash('sha256');
  for (const d of traces) h.update(`${resolve(d)}\n`);
  const id = h.digest('hex').slice(0, 8);
  return join(dirname(file), `${basename(file, '.ht')}.${id}.ht`);
}

/** Stands in for the state system when the history on disk is current. */
export class NullStates {
  private q = new Map<string, number>();
  quark(path: string[]): number {
    const k = path.join('/');
    if (!this.q.has(k)) this.q.set(k, this.q.size);
    return this.q.get(k)!;
  }
  modify(): void {}
}

interface Running {
  job: Omit<WorkerJob, 'port' | 'signals' | 'numbers' | 'ports'>;
  worker: Worker;
  port: MessagePort;
  result?: WorkerResult;
  closed: boolean;
  /** Progress as last seen, and when it last changed. */
  seen: number;
  since: number;
}

export interface WorkersOutcome {
  redis: MergedRedis;
  /** Some history was built (not all were current). */
  rebuilt: boolean;
  /** Sums per command name, in the order one pass would have met them. */
  commands: [string, PhaseStats][];
  /** Events of the workers' traces; their losses, less those the main thread's reader counted. */
  events: number;
  discarded: number;
  lost: number;
  /** First and last event of all traces, the main thread's included. */
  first: number;
  last: number;
}

export interface WorkerReport {
  /** The trace's folders (several for a rotated session). */
  traces: string[];
  historyFile: string;
  threadId: number;
  events: number;
  rebuilt: boolean;
}

/** The worker threads of one analysis. */
export class RedisWorkers {
  private signals: Int32Array;
  private numbers: Float64Array;
  private ports: Float64Array;
  private running: Running[] = [];
  private posted = 0;

  /** `traces`: every trace of the experiment (a reader's), `transformOf` their clock transforms; `hostNames` with several hosts. */
  constructor(dirs: string[], private readonly split: Split, file: string, version: number, traces: Trace[], transformOf: (t: Trace) => ClockTransform | undefined, hostNames: boolean) {
    const n = split.redis.length;
    const signals = new SharedArrayBuffer(4 * (END + n));
    const numbers = new SharedArrayBuffer(8 * NUMBERS * n);
    const ports = new SharedArrayBuffer(8 * 2 * 65536);
    this.signals = new Int32Array(signals);
    this.numbers = new Float64Array(numbers);
    this.ports = new Float64Array(ports).fill(NaN);
    const transforms = traces.flatMap((t): [string, ClockTransform][] => {
      const x = transformOf(t);
      return x ? [[t.dir, x]] : [];
    });
    split.redis.forEach((group, slot) => {
      const { port1, port2 } = new MessageChannel();
      const job = { dirs, traces: group, transforms, hostNames, file: traceHistoryPath(file, group), version, slot };
      const worker = new Worker(new URL('./parallel-worker.js', import.meta.url), { workerData: { ...job, signals, numbers, ports, port: port2 }, transferList: [port2] });
      // failures come as messages; the events of a finished worker must not throw later on the main loop
      worker.on('error', () => {});
      worker.unref();
      this.running.push({ job, worker, port: port1, closed: false, seen: -1, since: Date.now() });
    });
  }

  get files(): string[] {
    return this.running.map((r) => r.job.file);
  }

  /** Bytes read and events so far, over all workers. */
  progress(): { done: number; total: number; events: number } {
    let done = 0;
    let total = 0;
    let events = 0;
    for (let i = 0; i < this.running.length; i++) {
      done += this.numbers[NUMBERS * i];
      total += this.numbers[NUMBERS * i + 1];
      events += this.numbers[NUMBERS * i + 2];
    }
    return { done, total, events };
  }

  /**
   * Reads the main thread's part (`readMain`) while the workers read theirs;
   * tells them the client ports of traced Node.js processes (`nodePorts`:
   * time and stream rank of each port's first command); hands their
   * accepted connections and kept segments out in one pass's order, and
   * closes their histories at the last event of all traces.
   */
  run(
    reader: CtfReader,
    readMain: () => { events: number; first: number; last: number },
    nodePorts: ReadonlyMap<number, readonly [number, number]>,
    onSegment: (s: Segment) => void,
    onAccept: (port: number, node: string, clientId: number) => void,
    tick?: () => void,
  ): WorkersOutcome {
    try {
      const own = readMain();
      for (const [port, [t, rank]] of nodePorts) {
        this.ports[2 * port] = t;
        this.ports[2 * port + 1] = rank;
      }
      this.signal(MAIN_READ);
      const results = this.results(tick);
      mergeAccepts(results, onAccept);
      mergeSegments(results, onSegment);
      const read = results.filter((r) => r.events > 0);
      const first = Math.min(own.events > 0 ? own.first : Infinity, ...read.map((r) => r.first));
      const last = Math.max(own.events > 0 ? own.last : 0, ...read.map((r) => r.last));
      this.close(last, Math.max(...results.map((r) => r.lastRedis)), tick);
      const sum = (k: 'events' | 'discarded' | 'lost') => results.reduce((n, r) => n + r[k], 0);
      // the main thread's reader counted the losses of the workers' traces it read for their Node.js events
      const shared = reader.streams.filter((s) => !this.split.counted(s.trace));
      return {
        redis: new MergedRedis(results), rebuilt: results.some((r) => r.rebuilt), commands: mergeStats(results), events: sum('events'),
        discarded: sum('discarded') - shared.reduce((n, s) => n + s.discardedEvents, 0),
        lost: sum('lost') - shared.reduce((n, s) => n + s.lostPackets, 0),
        first: Number.isFinite(first) ? first : 0, last,
      };
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Waits for every worker's result. */
  private results(tick?: () => void): WorkerResult[] {
    this.waitFor((r) => r.result !== undefined, tick);
    return this.running.map((r) => r.result!);
  }

  /**
   * Gives the histories being built their end (the last event of all traces)
   * and the last Redis event of all (time the models saw pass), and waits until they are written.
   */
  private close(end: number, lastRedis: number, tick?: () => void): void {
    this.giveEnd(end, lastRedis);
    this.waitFor((r) => r.closed, tick);
  }

  /** Stops the workers after a failure: each leaves its unfinished history out (and builds it next time). */
  private abort(): void {
    this.giveEnd(NaN);
    // they see it at their next check: give them a moment to remove their files
    const until = Date.now() + 2000;
    for (;;) {
      let pending = false;
      for (const r of this.running) {
        for (let m = receiveMessageOnPort(r.port); m; m = receiveMessageOnPort(r.port)) if ((m.message as WorkerMessage).kind !== 'result') r.closed = true;
        if (!r.closed) pending = true;
      }
      if (!pending || Date.now() > until) break;
      Atomics.wait(this.signals, 0, this.posted, 50);
      this.posted = Atomics.load(this.signals, 0);
    }
    for (const r of this.running) void r.worker.terminate();
  }

  reports(): WorkerReport[] {
    return this.running.map((r) => ({ traces: r.job.traces, historyFile: r.job.file, threadId: r.result!.threadId, events: r.result!.events, rebuilt: r.result!.rebuilt }));
  }

  /** NaN: stop. */
  private giveEnd(end: number, lastRedis = NaN): void {
    if (Number.isNaN(end)) this.signal(MAIN_READ); // a worker waiting for the ports wakes up to stop
    this.running.forEach((_, i) => {
      this.numbers[NUMBERS * i + 3] = end;
      this.numbers[NUMBERS * i + 4] = lastRedis;
      this.signal(END + i);
    });
  }

  private signal(i: number): void {
    Atomics.store(this.signals, i, 1);
    Atomics.notify(this.signals, i);
  }

  private waitFor(done: (r: Running) => boolean, tick?: () => void): void {
    for (;;) {
      let pending = false;
      for (const r of this.running) {
        for (let m = receiveMessageOnPort(r.port); m; m = receiveMessageOnPort(r.port)) this.take(r, m.message as WorkerMessage);
        if (!done(r)) pending = true;
      }
      if (!pending) return;
      this.checkAlive();
      Atomics.wait(this.signals, 0, this.posted, 200);
      this.posted = Atomics.load(this.signals, 0);
      tick?.();
    }
  }

  private take(r: Running, m: WorkerMessage): void {
    if (m.kind === 'error') {
      r.closed = true;
      throw rebuildError(m);
    }
    if (m.kind === 'result') r.result = m;
    else r.closed = true;
  }

  private checkAlive(): void {
    const now = Date.now();
    this.running.forEach((r, i) => {
      const seen = this.numbers[NUMBERS * i] + this.numbers[NUMBERS * i + 2];
      // a worker waiting for the end has nothing to report
      if (seen !== r.seen || (r.result && Atomics.load(this.signals, END + i) === 0)) {
        r.seen = seen;
        r.since = now;
      } else if (now - r.since > STALL_MS) {
        throw new Error(`the worker analysing ${r.job.traces.join(', ')} stopped responding`);
      }
    });
  }
}

/** The error a worker met, as the CLI knows it (one line for trace and history problems). */
function rebuildError(m: WorkerError): Error {
  if (m.name === 'CtfError') return new CtfError(m.file!, m.offset, m.what!);
  if (m.name === 'StateFileError') return new StateFileError(m.file!, m.problem!, m.message.slice(m.file!.length + 2));
  const e = new Error(m.message);
  e.stack = m.stack;
  return e;
}

/**
 * What a worker of the parallel analysis (parallel.ts) sends back, and how
 * the main thread puts it together in the order one pass over all traces
 * would have produced it: every item carries the time and the global stream
 * rank of the event that made it, and no two workers share a stream.
 * Segments and accepted connections travel as columns (typed arrays, moved
 * rather than copied): a structured clone of hundreds of thousands of
 * objects costs far more than rebuilding the few the main thread keeps.
 */
import { BusIndex, matchBus, type BusMessage, type RawRecv, type RawSend } from './redis/bus.js';
import type { Segment } from './redis/model.js';
import { mergePhases, type PhaseStats } from './redis/phase-stats.js';

/** Per segment, float64 columns: readStart, readEnd, execStart, execEnd, writeStart, writeEnd (NaN: none), t. */
export const SEG_F = 7;
/** Per segment, int32 columns: fd, clientId, cmd index, node index, outcome, rank. */
export const SEG_I = 6;
const OUTCOMES = [undefined, 'rejected', 'queued', 'unreplied'] as const;
export const outcomeCode = (o: Segment['outcome']): number => (o === undefined ? 0 : OUTCOMES.indexOf(o));

export interface NodeOut {
  name: string;
  vpid: number;
  ports: number[];
  /** Time and stream rank of the node's first event. */
  t: number;
  rank: number;
  sends: RawSend[];
  recvs: RawRecv[];
}

export interface WorkerResult {
  kind: 'result';
  threadId: number;
  events: number;
  first: number;
  last: number;
  /** The last event the Redis model took (-Infinity: none). */
  lastRedis: number;
  discarded: number;
  lost: number;
  rebuilt: boolean;
  cmds: string[];
  nodes: NodeOut[];
  /** Per command name, its sums and the time and rank it was first met. */
  stats: { cmd: string; st: PhaseStats; t: number; rank: number }[];
  /** The segments kept for linking, in the order they were handed out. */
  segF: Float64Array;
  segI: Int32Array;
  /** Accepted connections: t; [rank, client port, node index, client id]. */
  accF: Float64Array;
  accI: Int32Array;
}

/** Compares items of different workers: by time, then by the stream's rank. */
const before = (ta: number, ra: number, tb: number, rb: number) => ta < tb || (ta === tb && ra < rb);

/** Every worker's kept segments, one at a time, in the order one pass would have handed them out. */
export function mergeSegments(results: WorkerResult[], onSegment: (s: Segment) => void): void {
  const next = results.map(() => 0);
  const count = results.map((r) => r.segF.length / SEG_F);
  for (;;) {
    let w = -1;
    for (let i = 0; i < results.length; i++) {
      if (next[i] >= count[i]) continue;
      if (w < 0) { w = i; continue; }
      const a = results[i];
      const b = results[w];
      if (before(a.segF[next[i] * SEG_F + 6], a.segI[next[i] * SEG_I + 5], b.segF[next[w] * SEG_F + 6], b.segI[next[w] * SEG_I + 5])) w = i;
    }
    if (w < 0) return;
    onSegment(segmentAt(results[w], next[w]++));
  }
}

function segmentAt(r: WorkerResult, k: number): Segment {
  const f = k * SEG_F;
  const i = k * SEG_I;
  const F = r.segF;
  const I = r.segI;
  const s: Segment = { node: r.nodes[I[i + 3]].name, fd: I[i], clientId: I[i + 1], cmd: r.cmds[I[i + 2]], readStart: F[f], readEnd: F[f + 1], execStart: F[f + 2], execEnd: F[f + 3] };
  const outcome = OUTCOMES[I[i + 4]];
  if (outcome) s.outcome = outcome;
  if (!Number.isNaN(F[f + 4])) s.writeStart = F[f + 4];
  if (!Number.isNaN(F[f + 5])) s.writeEnd = F[f + 5];
  return s;
}

/** Every worker's accepted connections, in the order one pass would have met them. */
export function mergeAccepts(results: WorkerResult[], onAccept: (port: number, node: string, clientId: number) => void): void {
  const all = results.flatMap((r, w) => Array.from({ length: r.accF.length }, (_, k) => ({ w, k, t: r.accF[k], rank: r.accI[4 * k] })));
  all.sort((a, b) => a.t - b.t || a.rank - b.rank || a.k - b.k);
  for (const { w, k } of all) {
    const r = results[w];
    onAccept(r.accI[4 * k + 1], r.nodes[r.accI[4 * k + 2]].name, r.accI[4 * k + 3]);
  }
}

/** Every worker's sums per command, added up, the names in the order one pass would have met them. */
export function mergeStats(results: WorkerResult[]): [string, PhaseStats][] {
  const all = results.flatMap((r) => r.stats).sort((a, b) => a.t - b.t || a.rank - b.rank);
  const out = new Map<string, PhaseStats>();
  for (const { cmd, st } of all) {
    const have = out.get(cmd);
    if (have) mergePhases(have, st);
    else out.set(cmd, { ...st });
  }
  return [...out];
}

/**
 * The Redis side of the workers' results, as the linking and the summary
 * use a RedisModel: nodes in the order they first showed, and the cluster
 * bus messages between them, matched over all traces.
 */
export class MergedRedis {
  readonly nodes = new Map<string, { name: string; vpid: number; ports: Set<number> }>();
  private raw: NodeOut[];
  private bus?: { messages: BusMessage[]; index: BusIndex };

  constructor(results: WorkerResult[]) {
    this.raw = results.flatMap((r) => r.nodes).sort((a, b) => a.t - b.t || a.rank - b.rank);
    for (const n of this.raw) this.nodes.set(n.name, { name: n.name, vpid: n.vpid, ports: new Set(n.ports) });
  }

  busMessages(): BusMessage[] {
    return this.indexed().messages;
  }

  busSentDuring(node: string, start: number, end: number, types?: readonly string[]): BusMessage[] {
    return this.indexed().index.sentDuring(node, start, end, types);
  }

  private indexed(): { messages: BusMessage[]; index: BusIndex } {
    if (!this.bus) {
      const messages = matchBus(this.raw.map((n) => ({ name: n.name, sends: n.sends, recvs: n.recvs })));
      this.bus = { messages, index: new BusIndex(messages) };
    }
    return this.bus;
  }
}

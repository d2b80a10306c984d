/**
 * The Redis model (the paper's Fig. 3), per Redis node (one redis-server
 * process, named by its pid), written into a state history:
 *
 *   Redis/
 *     <node>/                       node = "redis-<vpid>"
 *       Connections/<fd>/
 *         Type                      client | cluster_link | replica | unix | tls
 *         State                     registered | reading | executing | writing
 *         Peer                      "ip:port"
 *       Requests/<fd>/State         READ CLIENT | <command> | queued | WRITE TO CLIENT
 *       Threads/<tid>/Operation     read | command | write | free client | ssl read
 *       Event-loop/Phase            processing events | before sleep | sleeping
 *       Event-loop/Iterations       count of event-loop wake-ups
 *       Bus/<peer>/In bytes         bytes received from a cluster peer, cumulative
 *       Bus/<peer>/Out bytes        bytes sent to a cluster peer, cumulative
 *
 * Every request's phases (read, wait, execution, reply queued, write) are
 * handed out as segments, for latency statistics. Handlers: one per event name.
 * The light profile (request/reply_written events carry their own phase
 * times) feeds the segments only: its times lie in the past of the event, and
 * a state history is written in time order.
 */
import type { StateSystemBuilder } from '../../state/index.js';

export const REDIS_MODEL_VERSION = 1;

export interface Segment {
  node: string;
  fd: number;
  clientId: number;
  cmd: string;
  /** Times in ns (the analysis's time base). */
  readStart: number;
  readEnd: number;
  execStart: number;
  execEnd: number;
  writeStart?: number;
  writeEnd?: number;
}

export interface RedisEvent {
  name: string;
  t: number;
  /** The event's raw clock value in ns (CLOCK_MONOTONIC): light events' phase times are on this clock. */
  mono: number;
  vpid: number;
  vtid: number;
  p: Record<string, unknown>;
}

interface Pending {
  readStart?: number;
  readEnd?: number;
  waiting: Segment[];
}

export class RedisModel {
  /** Redis nodes seen, with what is known of them. */
  readonly nodes = new Map<string, { vpid: number; ports: Set<number> }>();
  private pending = new Map<string, Pending>();
  private iterations = new Map<string, number>();
  private busTotals = new Map<number, number>();
  /** Nodes recorded with the full profile (their light events repeat what the others show). */
  private full = new Set<string>();
  private readonly handlers: Record<string, (e: RedisEvent, node: string) => void>;

  constructor(private readonly ss: StateSystemBuilder, private readonly onSegment?: (s: Segment) => void) {
    const conn = (node: string, fd: unknown, leaf: string) => ss.quark(['Redis', node, 'Connections', String(fd), leaf]);
    const req = (node: string, fd: unknown) => ss.quark(['Redis', node, 'Requests', String(fd), 'State']);
    const thread = (node: string, tid: number) => ss.quark(['Redis', node, 'Threads', String(tid), 'Operation']);
    const loop = (node: string, leaf: string) => ss.quark(['Redis', node, 'Event-loop', leaf]);
    const key = (node: string, fd: unknown) => `${node}/${fd}`;
    const pend = (node: string, fd: unknown): Pending => {
      let p = this.pending.get(key(node, fd));
      if (!p) this.pending.set(key(node, fd), (p = { waiting: [] }));
      return p;
    };
    const bus = (e: RedisEvent, node: string, dir: 'In bytes' | 'Out bytes') => {
      const q = ss.quark(['Redis', node, 'Bus', String(e.p.peer_node || 'unknown'), dir]);
      const total = (this.busTotals.get(q) ?? 0) + Number(e.p.bytes ?? e.p.total_len ?? 0);
      this.busTotals.set(q, total);
      ss.modify(q, e.t, total);
    };
    this.handlers = {
      'redis:accept_connection': (e, node) => {
        this.nodes.get(node)?.ports.add(Number(e.p.local_port));
        ss.modify(conn(node, e.p.fd, 'Type'), e.t, kindName(e.p.kind));
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'registered');
        ss.modify(conn(node, e.p.fd, 'Peer'), e.t, `${e.p.peer_ip}:${e.p.peer_port}`);
      },
      'redis:start_read_client_query': (e, node) => {
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'reading');
        ss.modify(req(node, e.p.fd), e.t, 'READ CLIENT');
        ss.modify(thread(node, e.vtid), e.t, 'read');
        pend(node, e.p.fd).readStart = e.t;
      },
      'redis:end_read_client_query': (e, node) => {
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'registered');
        ss.modify(thread(node, e.vtid), e.t, null);
        const p = pend(node, e.p.fd);
        if (Number(e.p.bytes_read) > 0) p.readEnd = e.t;
        else ss.modify(req(node, e.p.fd), e.t, null);
      },
      'redis:call_command_start': (e, node) => {
        this.full.add(node);
        if (Number(e.p.fd) < 0) return; // Lua and internal calls have no connection
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'executing');
        ss.modify(req(node, e.p.fd), e.t, String(e.p.cmd));
        ss.modify(thread(node, e.vtid), e.t, 'command');
        const p = pend(node, e.p.fd);
        p.waiting.push({ node, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd: String(e.p.cmd), readStart: p.readStart ?? e.t, readEnd: p.readEnd ?? e.t, execStart: e.t, execEnd: e.t });
      },
      'redis:call_command_end': (e, node) => {
        if (Number(e.p.fd) < 0) return;
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'registered');
        ss.modify(req(node, e.p.fd), e.t, 'queued');
        ss.modify(thread(node, e.vtid), e.t, null);
        const last = pend(node, e.p.fd).waiting.at(-1);
        if (last) last.execEnd = e.t;
      },
      'redis:write_to_client_start': (e, node) => {
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'writing');
        ss.modify(req(node, e.p.fd), e.t, 'WRITE TO CLIENT');
        ss.modify(thread(node, e.vtid), e.t, 'write');
        for (const s of pend(node, e.p.fd).waiting) s.writeStart ??= e.t;
      },
      'redis:write_to_client_end': (e, node) => {
        ss.modify(conn(node, e.p.fd, 'State'), e.t, 'registered');
        ss.modify(req(node, e.p.fd), e.t, null);
        ss.modify(thread(node, e.vtid), e.t, null);
        const p = pend(node, e.p.fd);
        for (const s of p.waiting) this.finish({ ...s, writeEnd: e.t });
        p.waiting = [];
      },
      'redis:free_client': (e, node) => {
        ss.modify(thread(node, e.vtid), e.t, 'free client');
        for (const leaf of ['Type', 'State', 'Peer']) ss.modify(conn(node, e.p.fd, leaf), e.t, null);
        ss.modify(req(node, e.p.fd), e.t, null);
        const p = this.pending.get(key(node, e.p.fd));
        if (p) for (const s of p.waiting) this.finish(s); // a reply never written
        this.pending.delete(key(node, e.p.fd));
      },
      'redis:ssl_read': (e, node) => ss.modify(thread(node, e.vtid), e.t, 'ssl read'),
      'redis:before_sleep_start': (e, node) => ss.modify(loop(node, 'Phase'), e.t, 'before sleep'),
      'redis:before_sleep_end': (e, node) => ss.modify(loop(node, 'Phase'), e.t, 'sleeping'),
      'redis:after_sleep': (e, node) => {
        ss.modify(loop(node, 'Phase'), e.t, 'processing events');
        const n = (this.iterations.get(node) ?? 0) + 1;
        this.iterations.set(node, n);
        ss.modify(loop(node, 'Iterations'), e.t, n);
      },
      'redis:cluster_send': (e, node) => bus(e, node, 'Out bytes'),
      'redis:cluster_read': (e, node) => bus(e, node, 'In bytes'),
      // light profile: the phases travel in the events
      'redis:request': (e, node) => {
        if (this.full.has(node)) return; // the full profile's events tell the same, in more detail
        const s: Segment = { node, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd: String(e.p.cmd), readStart: ns(e, e.p.read_start_ns), readEnd: ns(e, e.p.read_end_ns), execStart: ns(e, e.p.exec_start_ns), execEnd: ns(e, e.p.exec_end_ns) };
        pend(node, e.p.fd).waiting.push(s);
      },
      'redis:reply_written': (e, node) => {
        if (this.full.has(node)) return;
        const p = pend(node, e.p.fd);
        for (const s of p.waiting) this.finish({ ...s, writeStart: ns(e, e.p.write_start_ns), writeEnd: ns(e, e.p.write_end_ns) });
        p.waiting = [];
      },
    };
  }

  /** Feeds one event (any provider: others are ignored). */
  handle(e: RedisEvent): void {
    const h = this.handlers[e.name];
    if (!h) return;
    const node = `redis-${e.vpid}`;
    if (!this.nodes.has(node)) this.nodes.set(node, { vpid: e.vpid, ports: new Set() });
    h(e, node);
  }

  private finish(s: Segment): void {
    this.onSegment?.(s);
  }
}

/** A CLOCK_MONOTONIC time carried in a light event, on the analysis's time base. */
function ns(e: RedisEvent, mono: unknown): number {
  return e.t - (e.mono - Number(mono));
}

const KINDS = ['client', 'cluster_link', 'replica', 'unix', 'tls'];

function kindName(k: unknown): string {
  return KINDS[Number(k)] ?? String(k);
}

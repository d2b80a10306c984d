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
 *         Memory                    reply bytes queued, not yet written (output buffer)
 *         Objects                   commands whose reply is not written yet
 *         Data structure            what its last command worked on (string, list, hash...)
 *       Requests/<fd>/
 *         State                     READ CLIENT | <command> | queued | WRITE TO CLIENT
 *         Type                      read | write | other
 *         Data structure            string | list | hash | set | sorted set | stream | ... | server
 *       Threads/<tid>/
 *         Operation                 read | command | write | free client | ssl read
 *         Connection                fd of the connection it works for
 *       Event-loop/Phase            processing events | before sleep | sleeping
 *       Event-loop/Iterations       count of event-loop wake-ups
 *       Bus/<peer>/                 peer = cluster node id, or "ip:port" of a replica
 *         In bytes, Out bytes       cumulative
 *         Volume/In, Volume/Out     bytes/s over the last whole second (set at each second's end)
 *         Type                      broadcast | node→node | primary→replica (the latest message's)
 *         Types/<msg_type>/         In count, In bytes, Out count, Out bytes (cluster bus messages)
 *
 * Every command's phases (read, wait, execution, reply queued, write) are
 * handed out as segments, and every cluster bus message (sent on one node,
 * read and processed on the other) is kept, for latency statistics.
 * Handlers: one per event name. Per-node, per-fd and per-peer records cache
 * their quarks, so the hot path builds no strings.
 * The light profile (request/reply_written events carry their own phase
 * times) feeds the segments only: its times lie in the past of the event, and
 * a state history is written in time order.
 */
import type { StateSystemBuilder } from '../../state/index.js';
import { commandInfo } from './commands.js';
import { BusIndex, matchBus, MSG_TYPES, type BusMessage, type RawRecv, type RawSend } from './bus.js';

export { BusIndex, MSG_TYPES, type BusMessage } from './bus.js';

export const REDIS_MODEL_VERSION = 4;

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
  /**
   * Set when the command did not run: Redis answered it before running it
   * (a MOVED/ASK redirect, an unknown command, wrong arguments...) or queued
   * it inside MULTI. Its "execution" is then the processing that decided so.
   * Only the full profile tells a rejected command from one that ran.
   * `unreplied`: the connection gets no replies (a replica's link to its
   * primary, CLIENT REPLY OFF): the segment has no write phases.
   */
  outcome?: 'rejected' | 'queued' | 'unreplied';
}

export interface RedisEvent {
  name: string;
  t: number;
  /** The event's raw clock value in ns (CLOCK_MONOTONIC): light events' phase times are on this clock. */
  mono: number;
  vpid: number;
  vtid: number;
  p: Record<string, unknown>;
  /** With several hosts, the node's host: pids repeat across hosts (containers), so it names the node too. */
  host?: string;
}

/** Messages a node sends to every node it knows (or every node of its shard). */
const BROADCAST = new Set([3, 4, 5, 10]);

const WINDOW = 1e9;

interface Dir {
  total: number;
  window: number;
  rate: number;
  active: boolean;
  totalQ: number;
  rateQ: number;
}

interface TypeRec {
  inCount: number; inBytes: number; outCount: number; outBytes: number;
  q: number[];
}

interface PeerRec {
  path: string[];
  in: Dir;
  out: Dir;
  typeQ: number;
  types: (TypeRec | undefined)[];
}

interface FdRec {
  type: number; state: number; peer: number; req: number;
  kind: string | null;
  /** A replica's connection: its traffic is the primary→replica link. */
  link?: PeerRec;
  readStart?: number;
  readEnd?: number;
  /** The command being processed (from its first call, or its `request` when it did not run). */
  cur?: Segment;
  depth: number;
  multi: boolean;
  waiting: Segment[];
  /** The command being run added a reply to the write queue. */
  replied: boolean;
  rtype: number; rds: number; ds: number; memory: number; objects: number;
  /** Values last written to those attributes, to write only changes. */
  last: { rtype?: string; ds?: string; memory: number; objects: number };
  /** Reply bytes queued and not yet written (the connection's output buffer). */
  pending: number;
}

interface ThreadRec {
  op: number;
  conn: number;
  /** The connection (fd) it was last written handling, -1 for none. */
  fd: number;
}

interface NodeRec {
  name: string;
  vpid: number;
  ports: Set<number>;
  /** Recorded with the full profile (its light events repeat what the others show). */
  full: boolean;
  fds: Map<number, FdRec>;
  threads: Map<number, ThreadRec>;
  phase: number;
  iterQ: number;
  iterations: number;
  peers: Map<string, PeerRec>;
  /** A cluster_read waiting for the cluster_process_packet that follows it. */
  reading?: { t: number; bytes: number };
  sends: RawSend[];
  recvs: RawRecv[];
}

export class RedisModel {
  /** Redis nodes seen, by name, with what is known of them. */
  readonly nodes = new Map<string, NodeRec>();
  private byVpid = new Map<number, NodeRec>();
  private windowEnd = -Infinity;
  private activeDirs: Dir[] = [];
  private bus?: { messages: BusMessage[]; index: BusIndex };
  private readonly handlers: Record<string, (e: RedisEvent, n: NodeRec) => void>;

  constructor(private readonly ss: StateSystemBuilder, private readonly onSegment?: (s: Segment) => void) {
    /** What a thread does, and for which connection (written only when it changes). */
    const work = (n: NodeRec, e: RedisEvent, op: string | null, fd: unknown): void => {
      let th = n.threads.get(e.vtid);
      if (th === undefined) {
        const base = ['Redis', n.name, 'Threads', String(e.vtid)];
        n.threads.set(e.vtid, (th = { op: ss.quark([...base, 'Operation']), conn: ss.quark([...base, 'Connection']), fd: -1 }));
      }
      ss.modify(th.op, e.t, op);
      const c = op === null ? -1 : Number(fd);
      if (c !== th.fd) {
        th.fd = c;
        ss.modify(th.conn, e.t, c < 0 ? null : c);
      }
    };
    const memory = (f: FdRec, t: number): void => {
      if (f.pending !== f.last.memory) ss.modify(f.memory, t, (f.last.memory = f.pending));
      if (f.waiting.length !== f.last.objects) ss.modify(f.objects, t, (f.last.objects = f.waiting.length));
    };
    this.handlers = {
      'redis:accept_connection': (e, n) => {
        n.ports.add(Number(e.p.local_port));
        const f = this.fd(n, e.p.fd);
        const kind = KINDS[Number(e.p.kind)] ?? String(e.p.kind);
        const peer = `${e.p.peer_ip}:${e.p.peer_port}`;
        f.kind = kind;
        ss.modify(f.type, e.t, kind);
        ss.modify(f.state, e.t, 'registered');
        ss.modify(f.peer, e.t, peer);
        if (kind === 'replica') {
          f.link = this.peer(n, peer);
          ss.modify(f.link.typeQ, e.t, 'primary→replica');
        }
      },
      'redis:start_read_client_query': (e, n) => {
        n.full = true;
        const f = this.fd(n, e.p.fd);
        ss.modify(f.state, e.t, 'reading');
        ss.modify(f.req, e.t, 'READ CLIENT');
        work(n, e, 'read', e.p.fd);
        f.readStart = e.t;
      },
      'redis:end_read_client_query': (e, n) => {
        const f = this.fd(n, e.p.fd);
        ss.modify(f.state, e.t, 'registered');
        work(n, e, null, -1);
        const bytes = Number(e.p.bytes_read);
        if (bytes > 0) {
          f.readEnd = e.t;
          if (f.link) this.count(f.link.in, bytes, e.t);
        } else ss.modify(f.req, e.t, null);
      },
      'redis:call_command_start': (e, n) => {
        if (Number(e.p.fd) < 0) return; // Lua and internal calls have no connection
        const f = this.fd(n, e.p.fd);
        // commands run inside EXEC nest in its call: the request is EXEC's
        if (f.depth++ > 0) return;
        const cmd = String(e.p.cmd);
        ss.modify(f.state, e.t, 'executing');
        ss.modify(f.req, e.t, cmd);
        work(n, e, 'command', e.p.fd);
        if (cmd === 'multi') f.multi = true;
        else if (cmd === 'exec' || cmd === 'discard') f.multi = false;
        f.cur = { node: n.name, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd, readStart: f.readStart ?? e.t, readEnd: f.readEnd ?? e.t, execStart: e.t, execEnd: e.t };
        f.replied = false;
        const info = commandInfo(cmd);
        if (info.type !== f.last.rtype) ss.modify(f.rtype, e.t, (f.last.rtype = info.type));
        if (info.structure !== f.last.ds) {
          ss.modify(f.rds, e.t, (f.last.ds = info.structure));
          ss.modify(f.ds, e.t, info.structure);
        }
      },
      'redis:insert_client_write_queue': (e, n) => {
        if (Number(e.p.fd) < 0) return;
        const f = this.fd(n, e.p.fd);
        f.replied = true;
        f.pending += Number(e.p.bytes);
      },
      'redis:call_command_end': (e, n) => {
        if (Number(e.p.fd) < 0) return;
        const f = this.fd(n, e.p.fd);
        if (f.depth === 0 || --f.depth > 0) return;
        ss.modify(f.state, e.t, 'registered');
        ss.modify(f.req, e.t, 'queued');
        work(n, e, null, -1);
        if (f.cur) f.cur.execEnd = e.t;
      },
      'redis:end_process_command': (e, n) => {
        const f = this.fd(n, e.p.fd);
        f.depth = 0;
        // without `request` events, a command that did not run is known only from here
        const s = f.cur ?? { node: n.name, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd: '(rejected)', readStart: f.readStart ?? e.t, readEnd: f.readEnd ?? e.t, execStart: e.t, execEnd: e.t, outcome: 'rejected' };
        f.cur = undefined;
        if (f.kind === null && !f.replied && s.outcome === undefined) {
          // a connection this node opened (to its primary) is sent commands and no replies
          s.outcome = 'unreplied';
          this.onSegment?.(s);
        } else if (f.kind !== 'replica') f.waiting.push(s); // a replica's REPLCONF gets no reply
        memory(f, e.t);
      },
      'redis:write_to_client_start': (e, n) => {
        const f = this.fd(n, e.p.fd);
        ss.modify(f.state, e.t, 'writing');
        ss.modify(f.req, e.t, 'WRITE TO CLIENT');
        work(n, e, 'write', e.p.fd);
        for (const s of f.waiting) s.writeStart ??= e.t;
      },
      'redis:write_to_client_end': (e, n) => {
        const f = this.fd(n, e.p.fd);
        ss.modify(f.state, e.t, 'registered');
        ss.modify(f.req, e.t, null);
        work(n, e, null, -1);
        if (f.link) this.count(f.link.out, Number(e.p.bytes_written), e.t);
        for (const s of f.waiting) {
          s.writeEnd = e.t;
          this.onSegment?.(s);
        }
        f.waiting = [];
        f.pending = Math.max(0, f.pending - Number(e.p.bytes_written));
        memory(f, e.t);
      },
      'redis:free_client': (e, n) => {
        work(n, e, 'free client', e.p.fd);
        const f = n.fds.get(Number(e.p.fd));
        if (!f) return;
        ss.modify(f.type, e.t, null);
        ss.modify(f.state, e.t, null);
        ss.modify(f.peer, e.t, null);
        ss.modify(f.req, e.t, null);
        for (const q of [f.rtype, f.rds, f.ds, f.memory, f.objects]) ss.modify(q, e.t, null);
        f.last = { memory: -1, objects: -1 };
        f.pending = 0;
        for (const s of f.waiting) this.onSegment?.(s); // a reply never written
        // the fd is reused by the next connection: its quarks stay, its state goes
        f.kind = null;
        f.link = undefined;
        f.readStart = f.readEnd = f.cur = undefined;
        f.depth = 0;
        f.multi = false;
        f.waiting = [];
      },
      'redis:ssl_read': (e, n) => work(n, e, 'ssl read', e.p.fd),
      'redis:before_sleep_start': (e, n) => ss.modify(n.phase, e.t, 'before sleep'),
      'redis:before_sleep_end': (e, n) => ss.modify(n.phase, e.t, 'sleeping'),
      'redis:after_sleep': (e, n) => {
        ss.modify(n.phase, e.t, 'processing events');
        ss.modify(n.iterQ, e.t, ++n.iterations);
      },
      'redis:cluster_send': (e, n) => {
        const id = String(e.p.peer_node || 'unknown');
        const type = Number(e.p.msg_type);
        const bytes = Number(e.p.bytes);
        const peer = this.peer(n, id);
        this.count(peer.out, bytes, e.t);
        const tr = this.type(peer, type);
        ss.modify(tr.q[2], e.t, ++tr.outCount);
        ss.modify(tr.q[3], e.t, (tr.outBytes += bytes));
        ss.modify(peer.typeQ, e.t, BROADCAST.has(type) ? 'broadcast' : 'node→node');
        n.sends.push({ t: e.t, peer: id, type, bytes });
        this.bus = undefined;
      },
      'redis:cluster_read': (e, n) => {
        const bytes = Number(e.p.bytes);
        this.count(this.peer(n, String(e.p.peer_node || 'unknown')).in, bytes, e.t);
        n.reading = { t: e.t, bytes };
      },
      // fires right after cluster_read, in the same thread: the message's type is known here
      'redis:cluster_process_packet': (e, n) => {
        const id = String(e.p.sender || 'unknown');
        const type = Number(e.p.msg_type);
        const bytes = Number(e.p.total_len);
        const peer = this.peer(n, id);
        const tr = this.type(peer, type);
        ss.modify(tr.q[0], e.t, ++tr.inCount);
        ss.modify(tr.q[1], e.t, (tr.inBytes += bytes));
        ss.modify(peer.typeQ, e.t, BROADCAST.has(type) ? 'broadcast' : 'node→node');
        n.recvs.push({ read: n.reading?.t ?? e.t, process: e.t, sender: id, type, bytes });
        n.reading = undefined;
        this.bus = undefined;
      },
      'redis:request': (e, n) => {
        const f = this.fd(n, e.p.fd);
        const cmd = String(e.p.cmd);
        if (n.full) {
          // the full profile's events tell the same in more detail, except for a command that did not run
          if (!f.cur) {
            f.cur = { node: n.name, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd, readStart: f.readStart ?? e.t, readEnd: f.readEnd ?? e.t, execStart: ns(e, e.p.exec_start_ns), execEnd: ns(e, e.p.exec_end_ns), outcome: f.multi && cmd !== 'exec' && cmd !== 'discard' ? 'queued' : 'rejected' };
            ss.modify(f.req, e.t, 'queued');
          }
          return;
        }
        // light profile: the phases travel in the event
        const s: Segment = { node: n.name, fd: Number(e.p.fd), clientId: Number(e.p.client_id), cmd, readStart: ns(e, e.p.read_start_ns), readEnd: ns(e, e.p.read_end_ns), execStart: ns(e, e.p.exec_start_ns), execEnd: ns(e, e.p.exec_end_ns) };
        if (f.multi && cmd !== 'exec' && cmd !== 'discard') s.outcome = 'queued';
        if (f.kind === null && f.waiting.length && f.waiting[f.waiting.length - 1].readEnd < s.readStart) this.flushUnreplied(f);
        if (cmd === 'multi') f.multi = true;
        else if (cmd === 'exec' || cmd === 'discard') f.multi = false;
        if (f.kind !== 'replica') f.waiting.push(s);
      },
      'redis:reply_written': (e, n) => {
        if (n.full) return;
        const f = this.fd(n, e.p.fd);
        if (f.link) this.count(f.link.out, Number(e.p.bytes), e.t);
        for (const s of f.waiting) {
          s.writeStart = ns(e, e.p.write_start_ns);
          s.writeEnd = ns(e, e.p.write_end_ns);
          this.onSegment?.(s);
        }
        f.waiting = [];
      },
    };
  }

  /** Feeds one event (any provider: others are ignored). */
  handle(e: RedisEvent): void {
    const h = this.handlers[e.name];
    if (!h) return;
    let n = e.host === undefined ? this.byVpid.get(e.vpid) : this.nodes.get(`redis-${e.vpid}@${e.host}`);
    if (!n) {
      const name = e.host === undefined ? `redis-${e.vpid}` : `redis-${e.vpid}@${e.host}`;
      n = {
        name, vpid: e.vpid, ports: new Set(), full: false, fds: new Map(), threads: new Map(), peers: new Map(), sends: [], recvs: [], iterations: 0,
        phase: this.ss.quark(['Redis', name, 'Event-loop', 'Phase']), iterQ: this.ss.quark(['Redis', name, 'Event-loop', 'Iterations']),
      };
      if (e.host === undefined) this.byVpid.set(e.vpid, n);
      this.nodes.set(name, n);
    }
    if (e.t >= this.windowEnd) this.rollWindows(e.t);
    h(e, n);
  }

  /**
   * Every cluster bus message seen leaving one traced node and arriving at
   * another, in send order. Computed once the events are in (node ids are
   * learnt from the whole trace).
   */
  busMessages(): BusMessage[] {
    return this.busIndexed().messages;
  }

  /** Bus messages sent by `node` between `start` and `end` (inclusive), of the given types (all when omitted). */
  busSentDuring(node: string, start: number, end: number, types?: readonly string[]): BusMessage[] {
    return this.busIndexed().index.sentDuring(node, start, end, types);
  }

  /** Whether `handle` takes events of this name (the others do not even move time on). */
  handles(name: string): boolean {
    return name in this.handlers;
  }

  /**
   * Time went on to `t` with no event for this model: other nodes' events,
   * modelled elsewhere (a model per trace), ran until then. The per-second
   * volumes roll as they would had those events come through here.
   */
  advance(t: number): void {
    if (t >= this.windowEnd) this.rollWindows(t);
  }

  private busIndexed(): { messages: BusMessage[]; index: BusIndex } {
    if (!this.bus) {
      const messages = matchBus([...this.nodes.values()].map((n) => ({ name: n.name, sends: n.sends, recvs: n.recvs })));
      this.bus = { messages, index: new BusIndex(messages) };
    }
    return this.bus;
  }

  /**
   * Light profile (no write-queue events): commands on a connection this
   * node did not accept during the trace (its link to its primary) still
   * waiting with no write begun when the next command is read got no reply:
   * Redis writes pending replies before it reads a connection again.
   */
  private flushUnreplied(f: FdRec): void {
    if (f.waiting.length === 0 || f.waiting.some((s) => s.writeStart !== undefined)) return;
    for (const s of f.waiting) {
      s.outcome = 'unreplied';
      this.onSegment?.(s);
    }
    f.waiting = [];
  }

  private fd(n: NodeRec, fdValue: unknown): FdRec {
    const fd = Number(fdValue);
    let f = n.fds.get(fd);
    if (!f) {
      const base = ['Redis', n.name, 'Connections', String(fd)];
      f = {
        type: this.ss.quark([...base, 'Type']), state: this.ss.quark([...base, 'State']), peer: this.ss.quark([...base, 'Peer']),
        req: this.ss.quark(['Redis', n.name, 'Requests', String(fd), 'State']),
        kind: null, depth: 0, multi: false, waiting: [], replied: false,
        rtype: this.ss.quark(['Redis', n.name, 'Requests', String(fd), 'Type']), rds: this.ss.quark(['Redis', n.name, 'Requests', String(fd), 'Data structure']),
        ds: this.ss.quark([...base, 'Data structure']), memory: this.ss.quark([...base, 'Memory']), objects: this.ss.quark([...base, 'Objects']),
        last: { memory: -1, objects: -1 }, pending: 0,
      };
      n.fds.set(fd, f);
    }
    return f;
  }

  private peer(n: NodeRec, id: string): PeerRec {
    let p = n.peers.get(id);
    if (!p) {
      const path = ['Redis', n.name, 'Bus', id];
      const dir = (d: 'In' | 'Out'): Dir => ({ total: 0, window: 0, rate: 0, active: false, totalQ: this.ss.quark([...path, `${d} bytes`]), rateQ: this.ss.quark([...path, 'Volume', d]) });
      p = { path, in: dir('In'), out: dir('Out'), typeQ: this.ss.quark([...path, 'Type']), types: [] };
      n.peers.set(id, p);
    }
    return p;
  }

  private type(p: PeerRec, type: number): TypeRec {
    let r = p.types[type];
    if (!r) {
      const path = [...p.path, 'Types', MSG_TYPES[type] ?? String(type)];
      r = { inCount: 0, inBytes: 0, outCount: 0, outBytes: 0, q: ['In count', 'In bytes', 'Out count', 'Out bytes'].map((l) => this.ss.quark([...path, l])) };
      p.types[type] = r;
    }
    return r;
  }

  private count(d: Dir, bytes: number, t: number): void {
    if (!(bytes > 0)) return;
    d.total += bytes;
    this.ss.modify(d.totalQ, t, d.total);
    d.window += bytes;
    if (!d.active) {
      d.active = true;
      this.activeDirs.push(d);
    }
  }

  /**
   * A second ended (the first event at or past its end is being handled, so
   * nothing later has been written yet): every link that carried bytes gets
   * that second's volume as its rate, and 0 after a silent second.
   */
  private rollWindows(t: number): void {
    const b = this.windowEnd;
    if (this.activeDirs.length > 0) {
      for (const d of this.activeDirs) {
        this.ss.modify(d.rateQ, b, d.window * (1e9 / WINDOW));
        d.rate = d.window;
        d.window = 0;
      }
      if (t >= b + WINDOW) for (const d of this.activeDirs) if (d.rate > 0) this.ss.modify(d.rateQ, b + WINDOW, (d.rate = 0));
      this.activeDirs = this.activeDirs.filter((d) => (d.active = d.rate > 0));
    }
    this.windowEnd = (Math.floor(t / WINDOW) + 1) * WINDOW;
  }
}

/** A CLOCK_MONOTONIC time carried in a light event, on the analysis's time base. */
function ns(e: RedisEvent, mono: unknown): number {
  return e.t - (e.mono - Number(mono));
}

const KINDS = ['client', 'cluster_link', 'replica', 'unix', 'tls'];

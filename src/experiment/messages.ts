/**
 * Messages between hosts, matched from the events of both ends, for clock
 * synchronisation (no kernel trace needed):
 *
 * - HTTP: a request and the server's receive of it (the client's local port
 *   is the server's remote port, requests in order on a kept-alive
 *   connection), and the response back to the client. The agent records a
 *   client request before it is written: it was sent after that (and after
 *   the previous response on the connection). Node.js publishes a response's
 *   finish once it is handed to the kernel, so the client may have it
 *   already: that time bounds nothing. The response was sent after the
 *   server received the request, and after the calls the request made that
 *   ended before its response was recorded.
 * - Redis: a command Node.js sent and the read that completed it in Redis
 *   (the connection Redis accepted from that client port, n-th command on
 *   it), and Redis's write of the reply back to the reply Node.js received.
 *
 * Times are the reader's time keys (each host's own clock). Events are fed in
 * one pass; `match` pairs the two ends afterwards.
 */
import type { CtfEvent, Trace } from '../ctf/index.js';

/** Messages from one host to another: send times on `from`'s clock, receive times on `to`'s. */
export interface Flow {
  from: string;
  to: string;
  sent: number[];
  received: number[];
}

/**
 * One HTTP connection seen from one end, requests in order, two times each.
 * Client: a time before the request was sent, and its response's arrival.
 * Server: the request's arrival, and a time before its response was sent.
 */
interface HttpConn {
  host: string;
  times: number[];
}

/** A Redis connection seen from Node.js: send and reply times by seq. */
interface NodeRedisConn {
  host: string;
  local: number;
  remote: number;
  first: number;
  sent: number[];
  replied: number[];
  names: string[];
}

/** A Redis connection seen from Redis: receive and reply times of its n-th command. */
interface RedisClient {
  host: string;
  local: number;
  peer: number;
  accepted: number;
  received: number[];
  replied: number[];
  names: string[];
  lastRead: number;
  name: string;
}

interface RedisNode {
  clients: Map<number, RedisClient>;
  depth: number;
  /** Light profile: commands come from `redis:request` (no `end_process_command` in the trace). */
  light: boolean;
  /** ns per cycle, to place the CLOCK_MONOTONIC stamps light events carry. */
  nsPerCycle: number;
}

interface NodeProcess {
  host: string;
  /** HTTP client requests by id, awaiting their response (which gives the connection): a time before they were sent. */
  calls: Map<number, number>;
  /** HTTP server requests by id, until their response: where their times are (the second is raised as their calls end). */
  serving: Map<number, { conn: HttpConn; at: number }>;
  /** The server request that made each HTTP or Redis call still open, by call id (ids are unique in a process). */
  callers: Map<number, number>;
  /** Redis connections by local port (a new one replaces it when seq starts again). */
  redis: Map<number, NodeRedisConn>;
  /** Commands sent before their socket had a local port, by command id. */
  unplaced: Map<number, { seq: number; t: number; remote: number; name: string }>;
}

const num = (v: unknown) => Number(v ?? 0);

export class MessageCollector {
  private clientHttp = new Map<string, HttpConn[]>();
  private serverHttp = new Map<string, HttpConn[]>();
  private nodeRedis: NodeRedisConn[] = [];
  private redisClients: RedisClient[] = [];
  /** Per trace, per process id (no string built per event). */
  private procs = new Map<Trace, Map<number, NodeProcess>>();
  private nodes = new Map<Trace, Map<number, RedisNode>>();
  private readonly handlers: Record<string, (ev: CtfEvent, t: number, host: string, p: Record<string, unknown>) => void>;

  constructor() {
    this.handlers = {
      // recorded when the request gets its socket, before it is written
      'nodejs:http_client_request': (ev, t, host, p) => {
        const pr = this.proc(ev, host);
        pr.calls.set(num(p.request_id), t);
        if (num(p.parent_id)) pr.callers.set(num(p.request_id), num(p.parent_id));
      },
      'nodejs:http_client_response': (ev, t, host, p) => {
        const pr = this.proc(ev, host);
        const before = pr.calls.get(num(p.request_id));
        pr.calls.delete(num(p.request_id));
        this.callEnded(pr, num(p.request_id), t);
        if (before === undefined || !num(p.local_port)) return;
        this.conn(this.clientHttp, host, num(p.local_port), num(p.remote_port)).times.push(before, t);
      },
      'nodejs:http_server_receive': (ev, t, host, p) => {
        const conn = this.conn(this.serverHttp, host, num(p.remote_port), num(p.local_port));
        conn.times.push(t, t);
        this.proc(ev, host).serving.set(num(p.request_id), { conn, at: conn.times.length - 1 });
      },
      'nodejs:http_server_response': (ev, _t, host, p) => { this.proc(ev, host).serving.delete(num(p.request_id)); },
      'nodejs:redis_command_send': (ev, t, host, p) => {
        const pr = this.proc(ev, host);
        const [seq, local, name] = [num(p.seq), num(p.local_port), String(p.cmd)];
        if (!local) pr.unplaced.set(num(p.command_id), { seq, t, remote: num(p.remote_port), name });
        else this.sent(pr, local, num(p.remote_port), seq, t, name);
        if (num(p.parent_id)) pr.callers.set(num(p.command_id), num(p.parent_id));
      },
      'nodejs:redis_command_reply': (ev, t, host, p) => {
        const pr = this.proc(ev, host);
        const local = num(p.local_port);
        const early = pr.unplaced.get(num(p.command_id));
        if (early) {
          pr.unplaced.delete(num(p.command_id));
          if (local) this.sent(pr, local, early.remote, early.seq, early.t, early.name);
        }
        const c = pr.redis.get(local);
        if (c) c.replied[num(p.seq)] = t;
        this.callEnded(pr, num(p.command_id), t);
      },
      'redis:accept_connection': (ev, t, host, p) => {
        const kind = num(p.kind);
        if (kind !== 0 && kind !== 4) return; // TCP clients (plain or TLS); replicas repeat their client's accept
        const c: RedisClient = { host, local: num(p.local_port), peer: num(p.peer_port), accepted: t, received: [], replied: [], names: [], lastRead: NaN, name: '' };
        this.node(ev).clients.set(num(p.client_id), c);
        this.redisClients.push(c);
      },
      'redis:end_read_client_query': (ev, t, _host, p) => {
        const c = this.node(ev).clients.get(num(p.client_id));
        if (c && num(p.bytes_read) > 0) c.lastRead = t;
      },
      'redis:call_command_start': (ev, _t, _host, p) => {
        const n = this.node(ev);
        // commands run by EXEC or a script nest inside it: only the outer one was sent
        if (n.depth++ === 0 && num(p.fd) >= 0) {
          const c = n.clients.get(num(p.client_id));
          if (c) c.name = String(p.cmd);
        }
      },
      'redis:call_command_end': (ev) => {
        const n = this.node(ev);
        n.depth = Math.max(0, n.depth - 1);
      },
      // one per command parsed from the connection: run, queued by MULTI, rejected or blocked
      'redis:end_process_command': (ev, t, _host, p) => {
        const n = this.node(ev);
        n.depth = 0;
        const c = n.clients.get(num(p.client_id));
        if (!c) return;
        c.received.push(Number.isNaN(c.lastRead) ? t : c.lastRead);
        c.names.push(c.name);
        c.name = '';
      },
      'redis:write_to_client_start': (ev, t, _host, p) => {
        const c = this.node(ev).clients.get(num(p.client_id));
        if (c) for (let i = c.replied.length; i < c.received.length; i++) c.replied.push(t);
      },
      'redis:request': (ev, t, _host, p) => {
        const n = this.node(ev);
        if (!n.light) return;
        const c = n.clients.get(num(p.client_id));
        if (!c) return;
        const readEnd = num(p.read_end_ns);
        c.received.push(readEnd > 0 ? this.mono(ev, t, readEnd, n) : t);
        c.names.push(p.cmd === '(unknown)' ? '' : String(p.cmd)); // a rejected command: its name is not known
      },
      'redis:reply_written': (ev, t, _host, p) => {
        const n = this.node(ev);
        if (!n.light) return;
        const c = n.clients.get(num(p.client_id));
        const start = num(p.write_start_ns);
        if (!c || start <= 0) return;
        const at = this.mono(ev, t, start, n);
        for (let i = c.replied.length; i < c.received.length; i++) c.replied.push(at);
      },
    };
  }

  /** Feeds one event at time key `t` of host `host`; events of no interest cost a lookup. */
  feed(ev: CtfEvent, t: number, host: string): void {
    const h = this.handlers[ev.event.cls.name];
    if (h) h(ev, t, host, ev.payload as Record<string, unknown>);
  }

  /** The messages between each ordered pair of distinct hosts. */
  match(): Flow[] {
    const flows = new Map<string, Flow>();
    const flow = (from: string, to: string) => {
      const k = `${from}\n${to}`;
      let f = flows.get(k);
      if (!f) flows.set(k, (f = { from, to, sent: [], received: [] }));
      return f;
    };
    // HTTP: the connection seen by the client and by the server, requests in the same order
    for (const [key, clients] of this.clientHttp) {
      const servers = this.serverHttp.get(key) ?? [];
      for (const [c, s] of pairUp(clients, servers)) {
        // a request one end saw and the other did not would shift every later one: skip the connection
        if (c.times.length !== s.times.length) continue;
        const out = flow(c.host, s.host);
        const back = flow(s.host, c.host);
        for (let i = 0; i < c.times.length; i += 2) {
          const [before, answered, received, replied] = [c.times[i], c.times[i + 1], s.times[i], s.times[i + 1]];
          // sent after it was recorded, and after the previous response on the connection
          out.sent.push(i > 0 ? Math.max(c.times[i - 1], before) : before);
          out.received.push(received);
          // answered after it was received, and after the calls it made ended
          back.sent.push(replied);
          back.received.push(answered);
        }
      }
    }
    // Redis: the connection Redis accepted from the client's port, n-th command on it
    const byPorts = new Map<string, { node: NodeRedisConn[]; redis: RedisClient[] }>();
    const group = (k: string) => byPorts.get(k) ?? byPorts.set(k, { node: [], redis: [] }).get(k)!;
    for (const c of this.nodeRedis) group(`${c.local}>${c.remote}`).node.push(c);
    for (const c of this.redisClients) group(`${c.peer}>${c.local}`).redis.push(c);
    for (const { node, redis } of byPorts.values()) {
      for (const [nc, rc] of pairUp(node, redis, (c) => c.first, (c) => c.accepted)) {
        if (nc.host === rc.host) continue;
        if (!namesAgree(nc, rc)) continue; // misaligned: a command one end missed
        const out = flow(nc.host, rc.host);
        const back = flow(rc.host, nc.host);
        for (let seq = 0; seq < nc.sent.length; seq++) {
          const [s, r] = [nc.sent[seq], rc.received[seq]];
          if (s !== undefined && r !== undefined) { out.sent.push(s); out.received.push(r); }
          const [w, a] = [rc.replied[seq], nc.replied[seq]];
          if (w !== undefined && a !== undefined) { back.sent.push(w); back.received.push(a); }
        }
      }
    }
    return [...flows.values()].filter((f) => f.sent.length > 0);
  }

  private proc(ev: CtfEvent, host: string): NodeProcess {
    const t = ev.stream.trace;
    const pid = num((ev.streamContext as Record<string, unknown> | undefined)?.vpid ?? t.cls.env.get('vpid'));
    const byPid = this.procs.get(t) ?? this.procs.set(t, new Map()).get(t)!;
    let pr = byPid.get(pid);
    if (!pr) byPid.set(pid, (pr = { host, calls: new Map(), serving: new Map(), callers: new Map(), redis: new Map(), unplaced: new Map() }));
    return pr;
  }

  private node(ev: CtfEvent): RedisNode {
    const t = ev.stream.trace;
    const pid = num((ev.streamContext as Record<string, unknown> | undefined)?.vpid);
    const byPid = this.nodes.get(t) ?? this.nodes.set(t, new Map()).get(t)!;
    let n = byPid.get(pid);
    if (!n) byPid.set(pid, (n = { clients: new Map(), depth: 0, light: !declares(t, 'redis:end_process_command'), nsPerCycle: 1e9 / Number(t.clock?.freq ?? 1000000000n) }));
    return n;
  }

  /** Time key of a CLOCK_MONOTONIC stamp carried by a light event, from the event's own time. */
  private mono(ev: CtfEvent, t: number, stamp: number, n: RedisNode): number {
    const now = Number(ev.stream.base) + ev.cycles;
    return t - (now - stamp) * n.nsPerCycle;
  }

  private conn(m: Map<string, HttpConn[]>, host: string, clientPort: number, serverPort: number): HttpConn {
    const k = `${clientPort}>${serverPort}`;
    const list = m.get(k) ?? m.set(k, []).get(k)!;
    let c = list.find((x) => x.host === host);
    if (!c) list.push((c = { host, times: [] }));
    return c;
  }

  /**
   * A call a server request made ended at `t`, before the request's response was recorded: the
   * response was sent after it. (The agent records a response once it is written, and a call's
   * end before the application's code sees it, so a call that ends after the write is recorded
   * after the response, when the request is no longer served here.)
   */
  private callEnded(pr: NodeProcess, call: number, t: number): void {
    const parent = pr.callers.get(call);
    if (parent === undefined) return;
    pr.callers.delete(call);
    const s = pr.serving.get(parent);
    if (s && t > s.conn.times[s.at]) s.conn.times[s.at] = t;
  }

  private sent(pr: NodeProcess, local: number, remote: number, seq: number, t: number, name: string): void {
    let c = pr.redis.get(local);
    if (!c || (seq === 0 && c.sent.length > 0)) {
      c = { host: pr.host, local, remote, first: t, sent: [], replied: [], names: [] };
      pr.redis.set(local, c);
      this.nodeRedis.push(c);
    }
    c.sent[seq] = t;
    c.names[seq] = name;
  }
}

/**
 * Ends of the same connections on two different hosts: for one port pair,
 * the client side on host H goes with the server side on another host, and
 * nothing when the server side is on H itself (a local connection) or on
 * several other hosts (ambiguous). Several connections over time on the same
 * ports go together in order.
 */
function pairUp<A extends { host: string }, B extends { host: string }>(as: A[], bs: B[], at?: (a: A) => number, bt?: (b: B) => number): [A, B][] {
  const out: [A, B][] = [];
  const hostsA = new Set(as.map((a) => a.host));
  for (const h of hostsA) {
    const mine = as.filter((a) => a.host === h);
    const others = bs.filter((b) => b.host !== h);
    if (bs.some((b) => b.host === h) || others.length === 0 || new Set(others.map((b) => b.host)).size > 1) continue;
    if (mine.length !== others.length) continue;
    if (at && bt) { mine.sort((x, y) => at(x) - at(y)); others.sort((x, y) => bt(x) - bt(y)); }
    mine.forEach((a, i) => out.push([a, others[i]]));
  }
  return out;
}

/** Command names agree wherever Redis knows them (a rejected or queued command has no name there). */
function namesAgree(nc: NodeRedisConn, rc: RedisClient): boolean {
  for (let i = 0; i < nc.names.length; i++) {
    const r = rc.names[i];
    const n = nc.names[i];
    if (r && n && r.split('|')[0] !== n.toLowerCase()) return false;
  }
  return true;
}

function declares(t: Trace, name: string): boolean {
  for (const sc of t.cls.streams.values()) for (const ec of sc.events.values()) if (ec.name === name) return true;
  return false;
}

/**
 * Links the pieces into one picture per end-to-end request: an HTTP call to
 * the server request it reached (same TCP connection, in order on kept-alive
 * connections), a Redis command sent by Node.js to its life inside Redis
 * (the connection Redis accepted from that client port, n-th command on it),
 * then the command's phases inside Redis and, for a PUBLISH, the cluster bus
 * hops that carried it to the other nodes. A command redirected by a cluster
 * node (MOVED, ASK) is shown with the attempt that was redirected and the
 * retry the client sent to the node named in the redirect.
 */
import type { ClientSpan, NodeModel, ServerSpan } from '../node/spans.js';
import type { BusMessage, Segment } from '../redis/model.js';

export interface TreeNode {
  kind: 'server' | 'http' | 'redis' | 'phase' | 'bus';
  label: string;
  where: string;
  start: number;
  end: number;
  children: TreeNode[];
}

export interface Links {
  roots: TreeNode[];
  httpLinked: number;
  httpUnmatched: number;
  redisLinked: number;
  redisUnmatched: number;
  /** Redirected commands whose retry was found. */
  redirectsLinked: number;
}

/** Redis connections by client port: which node, which client id. */
export type Accepts = Map<number, { node: string; clientId: number }[]>;

/** What the Redis side knows beyond segments (the RedisModel): nodes' ports, cluster bus messages. */
export interface RedisSide {
  nodes: ReadonlyMap<string, { ports: Set<number> }>;
  busSentDuring(node: string, start: number, end: number, types?: readonly string[]): BusMessage[];
}

const PUBLISH_TYPES = ['publish', 'publishshard'];
/** A client retries a redirected command at once; one sent later is another command. */
const RETRY_WITHIN = 1e9;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** A segment is the command Node.js sent: same name, or one Redis could not even name and refused. */
function sameCommand(s: Segment, c: ClientSpan): boolean {
  const bar = s.cmd.indexOf('|');
  const name = bar < 0 ? s.cmd : s.cmd.slice(0, bar);
  if (name.toUpperCase() === c.what) return true;
  return c.ok === false && (s.cmd === '(unknown)' || s.cmd === '(rejected)');
}

export function linkRequests(nm: NodeModel, segments: Map<string, Segment[]>, accepts: Accepts, redis?: RedisSide): Links {
  const calleeOf = new Map<string, ServerSpan>();
  let httpLinked = 0;
  let httpUnmatched = 0;
  // HTTP: a client's local port is the server's remote port; calls on one connection come in order
  const byConn = new Map<string, { calls: ClientSpan[]; served: ServerSpan[] }>();
  const conn = (k: string) => byConn.get(k) ?? (byConn.set(k, { calls: [], served: [] }), byConn.get(k)!);
  for (const c of nm.clients.values()) if (c.kind === 'http' && c.localPort) conn(`${c.localPort}>${c.remotePort}`).calls.push(c);
  for (const s of nm.servers.values()) conn(`${s.remotePort}>${s.localPort}`).served.push(s);
  for (const { calls, served } of byConn.values()) {
    if (calls.length === 0) continue;
    calls.sort((a, b) => a.start - b.start);
    served.sort((a, b) => a.start - b.start);
    calls.forEach((c, i) => {
      if (served[i]) { calleeOf.set(c.key, served[i]); httpLinked++; } else httpUnmatched++;
    });
  }
  // Redis: commands on a connection are run in the order they were sent
  const redisOf = new Map<string, Segment>();
  let redisLinked = 0;
  let redisUnmatched = 0;
  const sent = new Map<string, ClientSpan[]>();
  for (const c of nm.clients.values()) if (c.kind === 'redis') push(sent, `${c.localPort}>${c.remotePort}`, c);
  for (const cmds of sent.values()) {
    const { localPort, remotePort } = cmds[0];
    const candidates = accepts.get(localPort) ?? [];
    // several nodes on one host: the one listening on the port the client connected to
    let client = candidates.at(-1);
    for (const a of candidates) if (redis?.nodes.get(a.node)?.ports.has(remotePort)) client = a;
    const segs = client ? segments.get(`${client.node}/${client.clientId}`) ?? [] : [];
    cmds.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    // in order; a command with no segment (Redis rejected it with no trace of it) is skipped
    let i = 0;
    for (const c of cmds) {
      const s = segs[i];
      if (s && sameCommand(s, c)) {
        redisOf.set(c.key, s);
        redisLinked++;
        i++;
      } else redisUnmatched++;
    }
  }
  // Redirects: the retry is the same command (name and size) the same process sends next on another connection
  const retryOf = new Map<string, ClientSpan>();
  const askingOf = new Map<string, ClientSpan>();
  const claimed = new Set<string>();
  const byProcess = new Map<string, ClientSpan[]>();
  const bySeq = new Map<string, ClientSpan>();
  for (const cmds of sent.values()) for (const c of cmds) {
    push(byProcess, `${c.host}/${c.pid}`, c);
    bySeq.set(`${c.localPort}>${c.remotePort}#${c.seq}`, c);
  }
  for (const l of byProcess.values()) l.sort((a, b) => a.start - b.start);
  const redirected = [...nm.clients.values()].filter((c) => c.kind === 'redis' && c.redirect && c.end !== undefined).sort((a, b) => a.start - b.start);
  for (const c of redirected) {
    const retry = byProcess.get(`${c.host}/${c.pid}`)!.find((r) => r.start >= c.end! && r.start - c.end! <= RETRY_WITHIN && r.what === c.what && r.bytes === c.bytes
      && (r.localPort !== c.localPort || r.remotePort !== c.remotePort) && !claimed.has(r.key));
    if (!retry) continue;
    retryOf.set(c.key, retry);
    claimed.add(retry.key);
    const asking = bySeq.get(`${retry.localPort}>${retry.remotePort}#${(retry.seq ?? 0) - 1}`);
    if (c.redirect === 'ASK' && asking?.what === 'ASKING' && !claimed.has(asking.key)) {
      askingOf.set(retry.key, asking);
      claimed.add(asking.key);
    }
  }
  const children = new Map<string, ClientSpan[]>();
  for (const c of nm.clients.values()) if (c.parent && !claimed.has(c.key)) push(children, c.parent, c);
  const serverTree = (s: ServerSpan): TreeNode => ({
    kind: 'server', label: `${s.method} ${s.path}`, where: `${s.service}@${s.host}`, start: s.start, end: s.end ?? s.start,
    children: (children.get(s.key) ?? []).sort((a, b) => a.start - b.start).map((c) => callTree(c)),
  });
  const attemptTree = (c: ClientSpan, label = c.what): TreeNode => {
    const n: TreeNode = { kind: c.kind, label, where: `${c.service}@${c.host}`, start: c.start, end: c.end ?? c.start, children: [] };
    const callee = calleeOf.get(c.key);
    if (callee) n.children.push(serverTree(callee));
    const seg = redisOf.get(c.key);
    if (seg) n.children.push(...phases(seg, redis));
    return n;
  };
  const callTree = (c: ClientSpan): TreeNode => {
    if (!retryOf.has(c.key)) return attemptTree(c);
    // the command as the application saw it: each attempt, until the one that was not redirected
    const attempts: TreeNode[] = [];
    for (let a: ClientSpan | undefined = c; a; a = retryOf.get(a.key)) {
      const asking = askingOf.get(a.key);
      if (asking) attempts.push(attemptTree(asking));
      attempts.push(attemptTree(a, a.redirect ? `${a.what} → ${a.redirect}` : `${a.what} (retry)`));
    }
    return { kind: 'redis', label: c.what, where: `${c.service}@${c.host}`, start: c.start, end: Math.max(...attempts.map((x) => x.end)), children: attempts };
  };
  const callees = new Set([...calleeOf.values()].map((s) => s.key));
  const roots = [...nm.servers.values()].filter((s) => !callees.has(s.key)).sort((a, b) => a.start - b.start).map(serverTree);
  return { roots, httpLinked, httpUnmatched, redisLinked, redisUnmatched, redirectsLinked: retryOf.size };
}

/**
 * A command's life inside Redis: read, wait (queued behind others), execute,
 * reply queued, write; under a PUBLISH's execution, the bus hops that carry it
 * to the other nodes (queued on this node → processed on the peer).
 */
export function phases(s: Segment, redis?: RedisSide): TreeNode[] {
  const out: TreeNode[] = [];
  const add = (label: string, a: number, b: number | undefined): TreeNode | undefined => {
    if (b === undefined || b < a) return undefined;
    const n: TreeNode = { kind: 'phase', label, where: s.node, start: a, end: b, children: [] };
    out.push(n);
    return n;
  };
  add('read', s.readStart, s.readEnd);
  add('wait', s.readEnd, s.execStart);
  const exec = add(s.outcome ? `${s.outcome} ${s.cmd}` : `execute ${s.cmd}`, s.execStart, s.execEnd);
  if (exec && redis && (s.cmd === 'publish' || s.cmd === 'spublish')) {
    for (const m of redis.busSentDuring(s.node, s.execStart, s.execEnd, PUBLISH_TYPES)) {
      exec.children.push({ kind: 'bus', label: `bus ${m.type} to ${m.to}`, where: `${m.from} → ${m.to}`, start: m.send, end: m.process, children: [] });
    }
  }
  if (s.writeStart !== undefined) {
    add('reply queued', s.execEnd, s.writeStart);
    add('write', s.writeStart, s.writeEnd);
  }
  return out;
}

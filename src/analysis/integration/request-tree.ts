/**
 * Links the pieces into one picture per end-to-end request: an HTTP call to
 * the server request it reached (same TCP connection, in order on kept-alive
 * connections), a Redis command sent by Node.js to its life inside Redis
 * (the connection Redis accepted from that client port, n-th command on it),
 * then the command's phases inside Redis.
 */
import type { ClientSpan, NodeModel, ServerSpan } from '../node/spans.js';
import type { Segment } from '../redis/model.js';

export interface TreeNode {
  kind: 'server' | 'http' | 'redis' | 'phase';
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
}

/** Redis connections by client port: which node, which client id. */
export type Accepts = Map<number, { node: string; clientId: number }[]>;

export function linkRequests(nm: NodeModel, segments: Map<string, Segment[]>, accepts: Accepts): Links {
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
  const sent = new Map<number, ClientSpan[]>();
  for (const c of nm.clients.values()) if (c.kind === 'redis') sent.set(c.localPort, [...(sent.get(c.localPort) ?? []), c]);
  for (const [port, cmds] of sent) {
    const client = accepts.get(port)?.at(-1);
    const segs = client ? segments.get(`${client.node}/${client.clientId}`) ?? [] : [];
    cmds.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    // in order; a command Redis rejected before running it (unknown, wrong arguments) has no segment
    let i = 0;
    for (const c of cmds) {
      const s = segs[i];
      if (s && s.cmd.toLowerCase() === c.what.toLowerCase()) {
        redisOf.set(c.key, s);
        redisLinked++;
        i++;
      } else redisUnmatched++;
    }
  }
  const children = new Map<string, ClientSpan[]>();
  for (const c of nm.clients.values()) if (c.parent) children.set(c.parent, [...(children.get(c.parent) ?? []), c]);
  const serverTree = (s: ServerSpan): TreeNode => ({
    kind: 'server', label: `${s.method} ${s.path}`, where: `${s.service}@${s.host}`, start: s.start, end: s.end ?? s.start,
    children: (children.get(s.key) ?? []).sort((a, b) => a.start - b.start).map((c) => callTree(c)),
  });
  const callTree = (c: ClientSpan): TreeNode => {
    const n: TreeNode = { kind: c.kind, label: c.what, where: `${c.service}@${c.host}`, start: c.start, end: c.end ?? c.start, children: [] };
    const callee = calleeOf.get(c.key);
    if (callee) n.children.push(serverTree(callee));
    const seg = redisOf.get(c.key);
    if (seg) n.children.push(...phases(seg));
    return n;
  };
  const callees = new Set([...calleeOf.values()].map((s) => s.key));
  const roots = [...nm.servers.values()].filter((s) => !callees.has(s.key)).sort((a, b) => a.start - b.start).map(serverTree);
  return { roots, httpLinked, httpUnmatched, redisLinked, redisUnmatched };
}

/** A command's life inside Redis: read, wait (queued behind others), execute, reply queued, write. */
export function phases(s: Segment): TreeNode[] {
  const out: TreeNode[] = [];
  const add = (label: string, a: number, b: number | undefined) => {
    if (b !== undefined && b >= a) out.push({ kind: 'phase', label, where: s.node, start: a, end: b, children: [] });
  };
  add('read', s.readStart, s.readEnd);
  add('wait', s.readEnd, s.execStart);
  add(`execute ${s.cmd}`, s.execStart, s.execEnd);
  if (s.writeStart !== undefined) {
    add('reply queued', s.execEnd, s.writeStart);
    add('write', s.writeStart, s.writeEnd);
  }
  return out;
}

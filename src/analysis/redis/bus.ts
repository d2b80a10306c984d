/**
 * Cluster bus messages as segments: a message queued on one node
 * (`cluster_send`, naming the peer by its node id) is the one a peer reads
 * and processes (`cluster_read` + `cluster_process_packet`, naming the sender
 * by its node id). Events never say which id is a node's own, so it is
 * learnt from the trace: a node never names itself, and its id is the one
 * the others name most. Messages of one type from one node to another then
 * arrive in order (one TCP link), matched first-in first-out with the same
 * size. A message sent before the peer's id is known (`MEET` to a handshake
 * name, a reply on a link not identified yet) is matched by its sender, type
 * and size alone. Times must be on one clock (one host, or hosts synchronised).
 */

export interface RawSend { t: number; peer: string; type: number; bytes: number }
export interface RawRecv { read: number; process: number; sender: string; type: number; bytes: number }

export interface BusMessage {
  from: string;
  to: string;
  /** Message type (`ping`, `pong`, `publish`...). */
  type: string;
  bytes: number;
  /** Queued on the sender (`cluster_send`). */
  send: number;
  /** Read whole by the receiver (`cluster_read`). */
  read: number;
  /** Processing started on the receiver (`cluster_process_packet`). */
  process: number;
}

/** The cluster bus message types, by their value in the `cluster_msg_type` enum. */
export const MSG_TYPES = ['ping', 'pong', 'meet', 'fail', 'publish', 'failover_auth_request', 'failover_auth_ack', 'update', 'mfstart', 'module', 'publishshard'];

/** A read that no send within this many ns before it explains is unmatched (its send was lost or not traced). */
const STALE = 10e9;
/** The same for a send that named no known node: only a recent one can be its message. */
const STALE_UNNAMED = 1e9;
/** How many unmatched sends of the same link and type a read may skip (messages sent on the link's two connections may cross). */
const LOOKAHEAD = 16;

interface NodeBus { name: string; sends: RawSend[]; recvs: RawRecv[] }

/** Each traced node's own cluster node id. */
export function nodeIds(nodes: NodeBus[]): Map<string, string> {
  const named = nodes.map((n) => {
    const m = new Map<string, number>();
    for (const s of n.sends) m.set(s.peer, (m.get(s.peer) ?? 0) + 1);
    for (const r of n.recvs) m.set(r.sender, (m.get(r.sender) ?? 0) + 1);
    return m;
  });
  const total = new Map<string, number>();
  for (const m of named) for (const [id, c] of m) total.set(id, (total.get(id) ?? 0) + c);
  total.delete('unknown');
  const candidates: { id: string; node: string; count: number }[] = [];
  nodes.forEach((n, i) => {
    for (const [id, count] of total) if (!named[i].has(id)) candidates.push({ id, node: n.name, count });
  });
  candidates.sort((a, b) => b.count - a.count);
  const byId = new Map<string, string>();
  const done = new Set<string>();
  for (const c of candidates) {
    if (byId.has(c.id) || done.has(c.node)) continue;
    byId.set(c.id, c.node);
    done.add(c.node);
  }
  return byId;
}

interface Queue { items: RawSend[]; used: Uint8Array; head: number }

/** The first unused send of the queue that can be this read's message, marked used. */
function take(q: Queue | undefined, r: RawRecv, stale: number): RawSend | undefined {
  if (!q) return undefined;
  while (q.head < q.items.length && (q.used[q.head] || q.items[q.head].t < r.read - stale)) q.head++;
  for (let i = q.head, k = 0; i < q.items.length && k < LOOKAHEAD && q.items[i].t <= r.read; i++) {
    if (q.used[i]) continue;
    k++;
    if (q.items[i].bytes !== r.bytes) continue;
    q.used[i] = 1;
    return q.items[i];
  }
  return undefined;
}

export function matchBus(nodes: NodeBus[]): BusMessage[] {
  const byId = nodeIds(nodes);
  // by link and type; sends that named no known node, by sender and type
  const queues = new Map<string, Queue>();
  const add = (k: string, s: RawSend) => {
    const q = queues.get(k);
    if (q) q.items.push(s);
    else queues.set(k, { items: [s], used: new Uint8Array(0), head: 0 });
  };
  for (const n of nodes) {
    for (const s of n.sends) {
      const to = byId.get(s.peer);
      add(to ? `${n.name}>${to}>${s.type}` : `${n.name}>?>${s.type}`, s);
    }
  }
  for (const q of queues.values()) q.used = new Uint8Array(q.items.length);
  const out: BusMessage[] = [];
  const recvs = nodes.flatMap((n) => n.recvs.map((r) => ({ to: n.name, r }))).sort((a, b) => a.r.read - b.r.read);
  for (const { to, r } of recvs) {
    const from = byId.get(r.sender);
    if (!from) continue;
    const s = take(queues.get(`${from}>${to}>${r.type}`), r, STALE) ?? take(queues.get(`${from}>?>${r.type}`), r, STALE_UNNAMED);
    if (s) out.push({ from, to, type: MSG_TYPES[r.type] ?? String(r.type), bytes: r.bytes, send: s.t, read: r.read, process: r.process });
  }
  return out.sort((a, b) => a.send - b.send);
}

/** Bus messages by sender, for "what did this node send during that command". */
export class BusIndex {
  private bySender = new Map<string, BusMessage[]>();

  constructor(messages: BusMessage[]) {
    for (const m of messages) {
      let l = this.bySender.get(m.from);
      if (!l) this.bySender.set(m.from, (l = []));
      l.push(m); // messages come sorted by send time
    }
  }

  /** Messages `node` sent between `start` and `end` (inclusive), of the given types (all when omitted). */
  sentDuring(node: string, start: number, end: number, types?: readonly string[]): BusMessage[] {
    const l = this.bySender.get(node);
    if (!l) return [];
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid].send < start) lo = mid + 1;
      else hi = mid;
    }
    const out: BusMessage[] = [];
    for (let i = lo; i < l.length && l[i].send <= end; i++) if (!types || types.includes(l[i].type)) out.push(l[i]);
    return out;
  }
}

/**
 * Redis calls, whatever the client library: the agent watches every client
 * socket Node opens (diagnostics channel `net.client.socket`) and, on those
 * that talk to Redis (a configured port, or a first write that is a RESP
 * command), reads the commands written and the replies received, and pairs
 * them in order. Keys and values are never recorded.
 */
import { subscribe } from 'node:diagnostics_channel';
import { Socket } from 'node:net';
import { currentRequest, newId } from './context.js';
import { connFields } from './http.js';
import { parseItem } from './resp.js';
import { disable, emit, guarded } from './sink.js';

/** Give up on a connection whose unparsed bytes grow past this (a huge value): memory stays bounded. */
const MAX_PENDING = 4 << 20;
const SUBSCRIBE_CMDS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
const PUSH_KINDS = new Set(['message', 'pmessage', 'smessage']);

interface Pending {
  id: number;
  seq: number;
  /** Replies still expected (subscribe commands get one per channel). */
  replies: number;
  subscribe: boolean;
  bytes: number;
}

class RedisConnection {
  private out: Buffer | undefined;
  private in: Buffer | undefined;
  private queue: Pending[] = [];
  private seq = 0;
  private subscribed = false;
  private dead = false;

  constructor(private readonly socket: Socket) {}

  written(chunk: Buffer): void {
    if (this.dead) return;
    const b = this.out ? Buffer.concat([this.out, chunk]) : chunk;
    let off = 0;
    let pos = 0;
    const conn = connFields(this.socket);
    const parent = currentRequest();
    for (;;) {
      const item = parseItem(b, off);
      if (!item) break;
      const cmd = (item.first ?? '').toLowerCase();
      const argc = item.count ?? 0;
      const id = newId();
      const seq = this.seq++;
      if (SUBSCRIBE_CMDS.has(cmd)) this.subscribed = true;
      const sub = SUBSCRIBE_CMDS.has(cmd);
      this.queue.push({ id, seq, replies: sub ? Math.max(1, argc - 1) : 1, bytes: 0, subscribe: sub });
      emit('redis_command_send', [id, parent, cmd, argc, item.bytes, pos++, seq, ...conn]);
      off += item.bytes;
    }
    this.out = this.rest(b, off);
  }

  received(chunk: Buffer): void {
    if (this.dead) return;
    const b = this.in ? Buffer.concat([this.in, chunk]) : chunk;
    let off = 0;
    for (;;) {
      const item = parseItem(b, off);
      if (!item) break;
      off += item.bytes;
      const kind = (item.first ?? '').toLowerCase();
      // RESP3 confirms (un)subscriptions with pushes: those answer the pending SUBSCRIBE
      const confirms = item.type === '>' && SUBSCRIBE_CMDS.has(kind) && this.queue[0]?.subscribe === true;
      if (!confirms && (item.type === '>' || (this.subscribed && item.type === '*' && PUSH_KINDS.has(kind)))) {
        emit('redis_push', [kind, item.second ?? '', item.bytes, this.socket.localPort ?? 0, connFields(this.socket)[4]]);
        continue;
      }
      const head = this.queue[0];
      if (!head) continue; // a reply we did not see asked for (the agent started late)
      head.bytes += item.bytes;
      if (--head.replies > 0) continue;
      this.queue.shift();
      const redirect = item.error === 'MOVED' || item.error === 'ASK' ? item.error : '';
      emit('redis_command_reply', [head.id, item.type === '-' ? 0 : 1, redirect, head.bytes, head.seq, this.socket.localPort ?? 0, connFields(this.socket)[4]]);
    }
    this.in = this.rest(b, off);
  }

  private rest(b: Buffer, off: number): Buffer | undefined {
    if (off >= b.length) return undefined;
    if (b.length - off > MAX_PENDING) {
      this.dead = true;
      return undefined;
    }
    return Buffer.from(b.subarray(off)); // a copy: the caller may reuse its buffer
  }
}

function looksLikeResp(chunk: Buffer): boolean {
  return chunk.length > 4 && chunk[0] === 0x2a /* * */ && /^\*\d+\r\n\$\d+\r\n/.test(chunk.toString('latin1', 0, 24));
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

export function startRedis(ports: Set<number>): void {
  subscribe('net.client.socket', guarded((m: unknown) => {
    const socket = (m as { socket: Socket }).socket;
    let conn: RedisConnection | undefined;
    let decided = false;
    // hot paths: every write and every data event of the socket; nothing to do once it is known not to be Redis
    const observeWrite = (chunk: unknown, encoding: unknown): void => {
      if (decided && !conn) return;
      try {
        const b = toBuffer(chunk, encoding);
        if (!b || b.length === 0) return;
        if (!decided) {
          decided = true;
          if (ports.has(socket.remotePort ?? -1) || looksLikeResp(b)) conn = new RedisConnection(socket);
        }
        conn?.written(b);
      } catch (e) {
        disable(e);
      }
    };
    const observeData = (chunk: unknown): void => {
      if (!conn) return;
      try {
        const b = toBuffer(chunk, undefined);
        if (b) conn.received(b);
      } catch (e) {
        disable(e);
      }
    };
    // instance-level wrappers: no channel exists for socket payloads. Socket.connect()
    // puts the prototype's write back, so it is wrapped again on 'connect', first.
    const write = Socket.prototype.write;
    const wrapped = function (this: Socket, ...args: unknown[]): boolean {
      observeWrite(args[0], typeof args[1] === 'string' ? args[1] : undefined);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as Socket['write'];
    socket.write = wrapped;
    socket.prependOnceListener('connect', () => {
      socket.write = wrapped;
    });
    const emitFn = socket.emit;
    socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'data') observeData(args[0]);
      return (emitFn as (...a: unknown[]) => boolean).call(this, event, ...args);
    } as Socket['emit'];
  }));
}

/**
 * Redis calls, whatever the client library: the agent watches every client
 * socket Node opens (diagnostics channel `net.client.socket`) and, on those
 * that talk to Redis (a configured port, or a first write that is a RESP
 * command), reads the commands written and the replies received, and pairs
 * them in order. Keys and values are never recorded.
 */
import { Buffer } from 'node:buffer'; // (the global Buffer is a getter: a call per use)
import { subscribe } from 'node:diagnostics_channel';
import { Socket } from 'node:net';
import { EV } from './events.js';
import { currentRequest, newId } from './context.js';
import { connOf } from './http.js';
import { RespScanner } from './resp.js';
import { callerOf, takeClientConnecting } from './redis-callers.js';
import { disable, emit, guarded } from './sink.js';

/** Give up on a connection whose unparsed bytes grow past this (a huge value inside an array): memory stays bounded. */
const MAX_PENDING = 4 << 20;
const SUBSCRIBE_CMDS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
/** Whether a command (lower case) is one of SUBSCRIBE_CMDS. The name is a new string per command: a set
 * lookup would hash it each time, where most commands fail the suffix test without one. */
const isSubscribe = (cmd: string): boolean => cmd.endsWith('subscribe') && SUBSCRIBE_CMDS.has(cmd);
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
  /** Bytes still to come of a long bulk reply, counted as they pass instead of kept; and its whole size. */
  private skip = 0;
  private skipSize = 0;
  private readonly resp = new RespScanner();

  /** `client`: the node-redis client that opened the socket, whose commands are matched with their callers. */
  constructor(private readonly socket: Socket, private readonly client: unknown) {}

  /** What the application wrote: a string (as Redis clients write commands) or bytes. */
  written(chunk: string | Buffer): void {
    if (this.dead) return;
    const r = this.resp;
    const parent = currentRequest();
    let pos = 0;
    if (typeof chunk === 'string') {
      // the common case, scanned as it is: whole commands in an ASCII string (one byte per character)
      let off = 0;
      if (this.out === undefined && Buffer.byteLength(chunk) === chunk.length) {
        while (r.nextCommand(chunk, off)) {
          this.sent(parent, r.end - off, pos++);
          off = r.end;
        }
        if (off === chunk.length) return;
      }
      chunk = Buffer.from(off === 0 ? chunk : chunk.slice(off));
    }
    const b = this.out ? Buffer.concat([this.out, chunk]) : chunk;
    let off = 0;
    while (r.next(b, off)) {
      this.sent(parent, r.end - off, pos++);
      off = r.end;
    }
    this.out = this.rest(b, off);
  }

  /** Records the command the scanner just found. */
  private sent(parent: number, bytes: number, pos: number): void {
    const r = this.resp;
    const cmd = r.first === undefined ? '' : r.first.toLowerCase();
    if (this.client !== undefined) parent = callerOf(this.client, cmd) ?? parent;
    const argc = r.count;
    const id = newId();
    const seq = this.seq++;
    const sub = isSubscribe(cmd);
    if (sub) this.subscribed = true;
    this.queue.push({ id, seq, replies: sub ? Math.max(1, argc - 1) : 1, bytes: 0, subscribe: sub });
    emit(EV.redis_command_send, [id, parent, cmd, argc, bytes, pos, seq, connOf(this.socket)]);
  }

  received(chunk: Buffer): void {
    if (this.dead) return;
    if (this.skip > 0) {
      if (chunk.length < this.skip) {
        this.skip -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.skip);
      this.skip = 0;
      this.replied(true, '', this.skipSize);
    }
    const b = this.in ? Buffer.concat([this.in, chunk]) : chunk;
    const r = this.resp;
    let off = 0;
    while (r.next(b, off)) {
      const bytes = r.end - off;
      off = r.end;
      // a push (>), or an array (*) on a subscribed connection: maybe a message, not a reply
      if (r.type === 0x3e || (r.type === 0x2a && this.subscribed)) {
        const kind = r.first === undefined ? '' : r.first.toLowerCase();
        // RESP3 confirms (un)subscriptions with pushes: those answer the pending SUBSCRIBE
        const confirms = r.type === 0x3e && isSubscribe(kind) && this.queue[0]?.subscribe === true;
        if (!confirms && (r.type === 0x3e || PUSH_KINDS.has(kind))) {
          const c = connOf(this.socket);
          emit(EV.redis_push, [kind, r.second ?? '', bytes, c.localPort, c.fd]);
          continue;
        }
      }
      this.replied(r.type !== 0x2d, r.error === 'MOVED' || r.error === 'ASK' ? r.error : '', bytes);
    }
    // a long value: the rest of it is counted, not kept (keys and values are never recorded anyway)
    const size = r.bulkSize(b, off);
    if (size > b.length - off) {
      this.skip = size - (b.length - off);
      this.skipSize = size;
      this.in = undefined;
      return;
    }
    this.in = this.rest(b, off);
  }

  /** A reply (or one of several, for SUBSCRIBE) to the oldest command still waiting. */
  private replied(ok: boolean, redirect: string, bytes: number): void {
    const head = this.queue[0];
    if (!head) return; // a reply we did not see asked for (the agent started late)
    head.bytes += bytes;
    if (--head.replies > 0) return;
    this.queue.shift();
    const c = connOf(this.socket);
    emit(EV.redis_command_reply, [head.id, ok ? 1 : 0, redirect, head.bytes, head.seq, c.localPort, c.fd]);
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

function looksLikeResp(chunk: string | Buffer): boolean {
  const head = typeof chunk === 'string' ? chunk.slice(0, 24) : chunk.toString('latin1', 0, 24);
  return /^\*\d+\r\n\$\d+\r\n/.test(head);
}

/** A written chunk as the scanner takes it: a string (in UTF-8) or bytes. */
function payload(chunk: unknown, encoding: unknown): string | Buffer | undefined {
  if (typeof chunk === 'string') {
    if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return chunk;
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

export function startRedis(ports: Set<number>): void {
  subscribe('net.client.socket', guarded((m: unknown) => {
    const socket = (m as { socket: Socket }).socket;
    const client = takeClientConnecting();
    let conn: RedisConnection | undefined;
    let decided = false;
    // hot paths: every write and every data event of the socket, until it is known not to be Redis
    const observeWrite = (chunk: unknown, encoding: unknown): void => {
      try {
        const b = payload(chunk, encoding);
        if (b === undefined || b.length === 0) return;
        if (!decided) {
          decided = true;
          if (ports.has(socket.remotePort ?? -1) || looksLikeResp(b)) conn = new RedisConnection(socket, client);
          else unwrap();
        }
        conn?.written(b);
      } catch (e) {
        disable(e);
      }
    };
    const observeData = (chunk: unknown): void => {
      try {
        // (a string when the client set an encoding on the socket)
        const b = Buffer.isBuffer(chunk) ? chunk : payload(chunk, undefined);
        if (b !== undefined) conn!.received(typeof b === 'string' ? Buffer.from(b) : b);
      } catch (e) {
        disable(e);
      }
    };
    // instance-level wrappers: no channel exists for socket payloads. Socket.connect()
    // puts the prototype's write back, so it is wrapped again on 'connect', first.
    const write = Socket.prototype.write as (...a: unknown[]) => boolean;
    const wrappedWrite = function (this: Socket, chunk: unknown, encoding: unknown): boolean {
      if (!decided || conn) observeWrite(chunk, typeof encoding === 'string' ? encoding : undefined);
      // eslint-disable-next-line prefer-rest-params
      return write.apply(this, arguments as unknown as unknown[]);
    } as Socket['write'];
    const emitFn = socket.emit as (...a: unknown[]) => boolean;
    const wrappedEmit = function (this: Socket, event: string | symbol): boolean {
      // eslint-disable-next-line prefer-rest-params
      if (conn && event === 'data') observeData(arguments[1]);
      // eslint-disable-next-line prefer-rest-params
      return emitFn.apply(this, arguments as unknown as unknown[]);
    } as Socket['emit'];
    // not Redis (HTTP and the like): give the socket its own methods back, so it costs nothing more.
    // Assigned, not deleted: deleting properties would turn the socket into a slow dictionary object.
    const unwrap = (): void => {
      if (socket.write === wrappedWrite) socket.write = write as Socket['write'];
      if (socket.emit === wrappedEmit) socket.emit = emitFn as Socket['emit'];
    };
    socket.write = wrappedWrite;
    socket.emit = wrappedEmit;
    socket.prependOnceListener('connect', () => {
      if (!decided || conn) socket.write = wrappedWrite;
    });
  }));
}

/**
 * Who called a Redis command, when the client library writes it later.
 * node-redis writes the commands called in one turn of the event loop
 * together, from a setImmediate: at that point the code running is not the
 * request that called them. node-redis publishes each command when it is
 * called (tracing channel `node-redis:command`, with its client's id; a
 * transaction as a whole, `node-redis:batch`), and each connect
 * (`node-redis:connect`, during which its socket is opened): the
 * agent keeps, per client, the commands called and their callers' request, in
 * order, and gives each command written on that client's socket its caller.
 * Clients that write a command when it is called (ioredis) need none of this.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { currentRequest } from './context.js';
import { guarded } from './sink.js';

interface Called {
  cmd: string;
  parent: number;
}

/** The commands a client has called and not yet written, oldest first. */
class CalledQueue {
  private items: Called[] = [];
  private head = 0;

  push(c: Called): void {
    if (this.items.length - this.head < MAX_CALLED) this.items.push(c);
  }

  /** The caller of the first of the next few commands named `cmd` (skipping those before it, never written). */
  take(cmd: string): number | undefined {
    const end = Math.min(this.items.length, this.head + LOOKAHEAD);
    for (let i = this.head; i < end; i++) {
      const c = this.items[i];
      if (c.cmd !== cmd && c.cmd !== ANY) continue;
      this.head = i + 1;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head); // a long batch: drop what was taken, now and then
        this.head = 0;
      }
      return c.parent;
    }
    return undefined;
  }
}

/** Commands called and not yet written, per node-redis client id. */
const calledBy = new Map<unknown, CalledQueue>();
/** The client whose connect() is running now (its socket is opened synchronously inside it). */
let connecting: unknown;
/** Bounds: a client whose commands are never written (its connection lost) keeps no more than this. */
const MAX_CALLED = 10_000;
/** A command called but never written (refused, aborted) is skipped after this many later ones. */
const LOOKAHEAD = 8;
/** Stands for any command (those of a transaction, which is published without their names). */
const ANY = '*';

function called(client: unknown): CalledQueue {
  let q = calledBy.get(client);
  if (!q) calledBy.set(client, (q = new CalledQueue()));
  return q;
}

export function startRedisCallers(): void {
  tracingChannel('node-redis:command').start.subscribe(guarded((m: unknown) => {
    const { command, clientId } = m as { command?: unknown; clientId?: unknown };
    if (typeof command !== 'string' || clientId === undefined) return;
    called(clientId).push({ cmd: command.toLowerCase(), parent: currentRequest() });
  }));
  // a transaction is published whole: MULTI, its commands and EXEC all have its caller
  tracingChannel('node-redis:batch').start.subscribe(guarded((m: unknown) => {
    const { batchMode, batchSize, clientId } = m as { batchMode?: unknown; batchSize?: unknown; clientId?: unknown };
    if (batchMode !== 'MULTI' || typeof batchSize !== 'number' || clientId === undefined) return;
    const q = called(clientId);
    const parent = currentRequest();
    for (let i = 0; i < batchSize + 2; i++) q.push({ cmd: ANY, parent });
  }));
  const connect = tracingChannel('node-redis:connect');
  connect.start.subscribe(guarded((m: unknown) => {
    connecting = (m as { clientId?: unknown }).clientId;
  }));
  connect.end.subscribe(() => {
    connecting = undefined;
  });
  channel('node-redis:connection:closed').subscribe(guarded((m: unknown) => {
    calledBy.delete((m as { clientId?: unknown }).clientId);
  }));
}

/** The node-redis client opening a socket now, if any: a connect opens one socket, so the answer is given once. */
export function takeClientConnecting(): unknown {
  const c = connecting;
  connecting = undefined;
  return c;
}

/** The request that called command `cmd` (lower case), now written on a socket of `client`; undefined if unknown. */
export function callerOf(client: unknown, cmd: string): number | undefined {
  // undefined also for a command the library sends by itself (the handshake): the writer's context then
  return calledBy.get(client)?.take(cmd);
}

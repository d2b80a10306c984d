/**
 * The request context in V8's continuation slot (native/context). V8 carries
 * the slot through promises by itself, at no cost per promise; what V8 does
 * not see, the agent carries: the callbacks of timers, immediates,
 * process.nextTick and queueMicrotask, and the events of a request's HTTP
 * objects (server request and response, client request and response) and
 * of sockets opened in a request. Elsewhere (fs or dns callbacks, for
 * instance) a call has no parent rather than a wrong one: the slot holds a request only
 * while a call the agent wraps or a promise reaction V8 runs is on the stack,
 * and for the synchronous run of a request handler.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import type { RequestContext } from './context.js';
import { builtinExports } from './here.cjs';

interface Slot {
  get(): unknown;
  set(value: unknown): void;
}

const CTX = Symbol('redtrace.context');
type Bound = { [CTX]?: number };
type Fn = (...args: unknown[]) => unknown;
type Methods = Record<string, Fn>;

export function slotContext(addonPath: string): RequestContext {
  const m = { exports: {} as Slot };
  process.dlopen(m, addonPath);
  const { get, set } = m.exports;
  if (typeof get !== 'function' || typeof set !== 'function') throw new Error(`${addonPath} is not the context addon`);

  function runIn(ctx: unknown, fn: Fn, self: unknown, args: ArrayLike<unknown>): unknown {
    const prev = get();
    set(ctx);
    try {
      return Reflect.apply(fn, self, args);
    } finally {
      set(prev);
    }
  }

  /** Replaces proto[name] by a wrapper that sees each call first. */
  function wrap(proto: object, name: string, make: (orig: Fn) => Fn): void {
    const p = proto as Methods;
    const orig = p[name];
    p[name] = Object.defineProperties(make(orig), Object.getOwnPropertyDescriptors(orig));
  }

  /** Binds an object to the current request, if any and if not bound yet. */
  const own = (req: Bound): void => {
    if (req && req[CTX] === undefined) {
      const v = get();
      if (typeof v === 'number') req[CTX] = v;
    }
  };
  // events of a request's HTTP objects run in its context, and so do those of a socket
  // opened in a request (a client that connects on its first command, then sends it)
  wrap(net.Socket.prototype, 'connect', (connect) => function (this: Bound) {
    own(this);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(connect, this, arguments);
  });
  for (const proto of [http.IncomingMessage.prototype, http.OutgoingMessage.prototype, net.Socket.prototype]) {
    wrap(proto, 'emit', (emit) => function (this: Bound) {
      const ctx = this[CTX];
      // eslint-disable-next-line prefer-rest-params
      return ctx === undefined ? Reflect.apply(emit, this, arguments) : runIn(ctx, emit, this, arguments);
    });
  }
  // an outgoing request belongs to the code that creates it; its socket (and so the
  // 'http.client.request.start' channel) may come later, from a socket another request frees
  wrap(http.Agent.prototype, 'addRequest', (addRequest) => function (this: unknown, req: unknown) {
    own(req as Bound);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(addRequest, this, arguments);
  });
  wrap(http.ClientRequest.prototype, 'onSocket', (onSocket) => function (this: Bound) {
    own(this);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(onSocket, this, arguments);
  });

  // a scheduled callback runs in the context of the code that scheduled it
  const schedule = (orig: Fn) => function (this: unknown, cb: unknown) {
    const ctx = get();
    // eslint-disable-next-line prefer-rest-params
    if (ctx === undefined || typeof cb !== 'function') return Reflect.apply(orig, this, arguments);
    // eslint-disable-next-line prefer-rest-params
    const args = Array.prototype.slice.call(arguments);
    args[0] = function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      return runIn(ctx, cb as Fn, this, arguments);
    };
    return Reflect.apply(orig, this, args);
  };
  const timers = builtinExports('node:timers');
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const same = timers[name] === (globalThis as unknown as Methods)[name];
    wrap(globalThis, name, schedule);
    if (same) timers[name] = (globalThis as unknown as Methods)[name];
  }
  wrap(globalThis, 'queueMicrotask', schedule);
  const nextTick = process.nextTick;
  wrap(process, 'nextTick', schedule);
  syncBuiltinESMExports();

  const clear = (): void => set(undefined);
  const current = (): number => {
    const v = get();
    return typeof v === 'number' ? v : 0;
  };
  return {
    kind: 'slot',
    current,
    enterServerRequest(id, request, response) {
      (request as Bound)[CTX] = id;
      (response as Bound)[CTX] = id;
      // the handler runs next, synchronously, in the slot; the first tick after it clears the
      // slot before any other socket's callback (wrapping the server's emit instead would
      // miss a server whose emit another tool wrapped before the agent loaded)
      set(id);
      nextTick(clear);
    },
    clientParent: (request) => (request as Bound)[CTX] ?? current(),
    bindClientResponse(request, response) {
      const v = (request as Bound)[CTX];
      if (v !== undefined) (response as Bound)[CTX] = v;
    },
  };
}

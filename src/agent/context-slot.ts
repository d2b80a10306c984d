/**
 * The request context in V8's continuation slot (native/context). V8 carries
 * the slot through promises by itself, at no cost per promise; what V8 does
 * not see, the agent carries: the callbacks of timers, immediates,
 * process.nextTick and queueMicrotask, the events of a request's HTTP objects
 * (server request and response, client request and response) and of the
 * sockets opened in a request. Elsewhere (fs or dns callbacks, for instance)
 * a call has no parent rather than a wrong one: the slot holds a request only
 * while a call the agent wraps, a promise reaction V8 runs, or a request
 * handler's synchronous run is on the stack.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import type { RequestContext } from './context.js';
import { builtinExports } from './here.cjs';
import { InOrderCallbacks } from './in-order-callbacks.js';
import { wrapMethod, type Fn } from './wrap-method.js';

interface Slot {
  get(): unknown;
  set(value: unknown): void;
  /** Sets the slot and returns what it held. */
  swap(value: unknown): unknown;
}

/**
 * An object bound to a request carries the request's id in a property of this name. A name,
 * not a symbol: every event of every socket reads it, on objects of many shapes, and V8
 * serves such a read of a name from a cache, where a symbol is looked up in the object and
 * its prototypes each time (some 3,000 instructions per HTTP hop, a tenth of the agent's).
 * The price: the property shows among the object's own keys.
 */
type Bound = { __redtraceRequest?: number };
/** Listeners by event, as EventEmitter keeps them. */
type Emitter = Bound & { _events?: Record<string, unknown> };
type Methods = Record<string, Fn>;

export function slotContext(addonPath: string): RequestContext {
  const m = { exports: {} as Slot };
  process.dlopen(m, addonPath);
  const { get, set, swap } = m.exports;
  if (typeof get !== 'function' || typeof set !== 'function' || typeof swap !== 'function') throw new Error(`${addonPath} is not the context addon`);

  function runIn(ctx: unknown, fn: Fn, self: unknown, args: ArrayLike<unknown>): unknown {
    const prev = swap(ctx);
    if (prev === ctx) return Reflect.apply(fn, self, args);
    try {
      return Reflect.apply(fn, self, args);
    } finally {
      set(prev);
    }
  }

  /**
   * Binds an object to the current request, if any and if not bound yet. The property is set
   * outside requests too (to undefined): every object of a class then gets the same properties
   * in the same order, one V8 map where there would be two, and Node's code that handles them
   * all keeps its fast property reads (past four maps at one place, V8 looks each one up).
   */
  const own = (o: Bound): void => {
    if (o && o.__redtraceRequest === undefined) {
      const v = get();
      o.__redtraceRequest = typeof v === 'number' ? v : undefined;
    }
  };
  /** A socket that carries HTTP client requests serves one request after another: its
   * requests carry the context, not the socket (nor the first request it served). */
  const release = (socket: unknown): void => {
    if (socket && (socket as Bound).__redtraceRequest !== undefined) (socket as Bound).__redtraceRequest = undefined;
  };
  // events of a request's HTTP objects run in its context, and so do those of a socket
  // opened in a request (a client that connects on its first command, then sends it)
  wrapMethod(net.Socket.prototype, 'connect', (connect) => function (this: Bound) {
    own(this);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(connect, this, arguments);
  });
  for (const proto of [http.IncomingMessage.prototype, http.OutgoingMessage.prototype, net.Socket.prototype]) {
    // (every event of every socket passes here: the usual arities are passed on as they are)
    wrapMethod(proto, 'emit', (emit) => function (this: Emitter, event: unknown, a?: unknown) {
      const ctx = this.__redtraceRequest;
      const n = arguments.length;
      // An event no one listens to runs no one's code: no context to enter. Most events of a
      // request's objects are such ('prefinish', 'socket', 'readable'...). Unheard, 'error' throws.
      const plain = ctx === undefined || (event !== 'error' && this._events?.[event as string] === undefined);
      // eslint-disable-next-line prefer-rest-params
      if (n === 0 || n > 2) return plain ? Reflect.apply(emit, this, arguments) : runIn(ctx, emit, this, arguments);
      if (plain) return n === 1 ? emit.call(this, event) : emit.call(this, event, a);
      const prev = swap(ctx);
      if (prev === ctx) return n === 1 ? emit.call(this, event) : emit.call(this, event, a);
      try {
        return n === 1 ? emit.call(this, event) : emit.call(this, event, a);
      } finally {
        set(prev);
      }
    });
  }
  // an outgoing request belongs to the code that creates it; its socket (and so its
  // http_client_request) may come later, from a socket another request frees
  wrapMethod(http.Agent.prototype, 'addRequest', (addRequest) => function (this: unknown, req: unknown) {
    own(req as Bound);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(addRequest, this, arguments);
  });
  wrapMethod(http.ClientRequest.prototype, 'onSocket', (onSocket) => function (this: Bound, socket: unknown) {
    own(this);
    release(socket);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(onSocket, this, arguments);
  });

  /**
   * Node's own stream ticks reach the application only through events of the stream (or HTTP
   * client request) they are given (`arg`: its position among the tick's arguments). When that
   * is bound to a request, its events run in that request's context already: the tick needs
   * none of its own. They are most ticks of a process serving requests, and the slot is not even
   * read for them (a native call, where the stream's binding is a property read). Known by name
   * and checked by what they emit, once per function (a function of the application with one of
   * these names is not mistaken for them).
   */
  const STREAM_TICKS = new Map<unknown, { arg: 0 | 1; emits: string }>([
    ['endReadableNT', { arg: 1, emits: "stream.emit('end')" }],
    ['emitReadable_', { arg: 0, emits: "stream.emit('readable')" }],
    ['resume_', { arg: 0, emits: "stream.emit('resume')" }],
    ['emitCloseNT', { arg: 0, emits: "self.emit('close')" }],
    ['onError', { arg: 0, emits: "self.listenerCount('error')" }], // IncomingMessage's destroy
    ['onSocketNT', { arg: 0, emits: 'tickOnSocket(req, socket)' }], // a client request given its socket
    ['emitFreeNT', { arg: 0, emits: "req.emit('close')" }], // and done with it
  ]);
  const STREAM_ARG = Symbol('redtrace.streamTick');
  type Tick = Fn & { [STREAM_ARG]?: number };
  /** Callbacks known to be none of those, by identity: a name is read through a native getter, and
   * marking each function (fresh closures too) would give it a map of its own. */
  const notStreamTicks = new WeakSet<Fn>();
  function streamArg(cb: Tick): number {
    const k = cb[STREAM_ARG];
    return k !== undefined ? k : notStreamTicks.has(cb) ? -1 : classify(cb);
  }
  function classify(cb: Tick): number {
    try {
      const t = STREAM_TICKS.get(cb.name);
      if (t === undefined) {
        notStreamTicks.add(cb);
        return -1;
      }
      const k = Function.prototype.toString.call(cb).includes(t.emits) ? t.arg : -1;
      if (Object.isExtensible(cb)) Object.defineProperty(cb, STREAM_ARG, { value: k });
      return k;
    } catch {
      return -1; // an application's odd function (a throwing name getter): carried as any other
    }
  }
  /** Whether a tick is a stream tick given a stream bound to a request (its callback classified on first sight). */
  function carriedByStream(cb: Fn, x: unknown, y: unknown): boolean {
    // the arguments first: most other ticks are given nothing bound to a request, and are then
    // no stream's, whatever their callback (often a fresh closure, not worth classifying)
    if (typeof x === 'object' && x !== null && (x as Bound).__redtraceRequest !== undefined) return streamArg(cb) === 0;
    if (typeof y === 'object' && y !== null && (y as Bound).__redtraceRequest !== undefined) return streamArg(cb) === 1;
    return false;
  }

  // a scheduled callback runs in the context of the code that scheduled it: a timer's gets
  // the trampoline, the context and the callback ahead of its arguments, not a new closure
  function trampoline(this: unknown, ctx: unknown, cb: Fn): unknown {
    const prev = swap(ctx);
    try {
      switch (arguments.length) {
        case 2: return cb.call(this);
        // eslint-disable-next-line prefer-rest-params
        case 3: return cb.call(this, arguments[2]);
        // eslint-disable-next-line prefer-rest-params
        case 4: return cb.call(this, arguments[2], arguments[3]);
        // eslint-disable-next-line prefer-rest-params
        default: return Reflect.apply(cb, this, Array.prototype.slice.call(arguments, 2));
      }
    } finally {
      set(prev);
    }
  }
  /**
   * A timer taking the callback, then `lead` arguments of its own (a delay), then the
   * callback's. The common arities are passed on as they are. The rare ones hand `arguments`
   * straight to Reflect.apply or slice, which V8 does without making the object; a spread of
   * it, even in a branch never taken, made every call about 100 ns slower.
   */
  const schedule = (lead: 0 | 1) => (orig: Fn) => function (this: unknown, cb: unknown, x?: unknown, y?: unknown) {
    const ctx = get();
    const n = arguments.length;
    if (ctx === undefined || typeof cb !== 'function') {
      if (n === 1) return orig.call(this, cb);
      if (n === 2) return orig.call(this, cb, x);
      if (n === 3) return orig.call(this, cb, x, y);
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(orig, this, arguments);
    }
    if (lead === 0 && n <= 2) return n === 1 ? orig.call(this, trampoline, ctx, cb) : orig.call(this, trampoline, ctx, cb, x);
    if (lead === 1 && n <= 3) return n <= 2 ? orig.call(this, trampoline, x, ctx, cb) : orig.call(this, trampoline, x, ctx, cb, y);
    // eslint-disable-next-line prefer-rest-params
    const a = Array.prototype.slice.call(arguments);
    return Reflect.apply(orig, this, [trampoline, ...a.slice(1, 1 + lead), ctx, cb, ...a.slice(1 + lead)]);
  };
  const timers = builtinExports('node:timers');
  for (const [name, lead] of [['setTimeout', 1], ['setInterval', 1], ['setImmediate', 0]] as const) {
    const same = timers[name] === (globalThis as unknown as Methods)[name];
    wrapMethod(globalThis, name, schedule(lead));
    if (same) timers[name] = (globalThis as unknown as Methods)[name];
  }
  // every tick of the process passes here (most outside any request): the usual arities are
  // passed on as they are; a tick in a request waits with its context in the agent's queue
  const nextTick = process.nextTick;
  // An exiting process drops its ticks: none may be kept for a runner that never runs. Node sets
  // process._exiting, then emits 'exit'; the flag is copied here (reading it from the process
  // object, a dictionary, cost a lookup per tick).
  let exiting = false;
  process.prependListener('exit', () => {
    exiting = true;
  });
  const ticks = new InOrderCallbacks(swap, set);
  wrapMethod(process, 'nextTick', (orig) => function (this: unknown, cb: unknown, x?: unknown, y?: unknown, z?: unknown) {
    const n = arguments.length;
    const ctx = typeof cb !== 'function' || exiting || carriedByStream(cb as Fn, x, y) ? undefined : get();
    if (ctx === undefined) {
      if (n === 1) return orig.call(this, cb);
      if (n === 2) return orig.call(this, cb, x);
      if (n === 3) return orig.call(this, cb, x, y);
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(orig, this, arguments);
    }
    if (n <= 4) ticks.add(ctx, cb as Fn, n - 1, x, y, z);
    // eslint-disable-next-line prefer-rest-params
    else ticks.add(ctx, cb as Fn, n - 1, Array.prototype.slice.call(arguments, 1), undefined, undefined);
    return orig.call(this, ticks.runner);
  });
  // A microtask queued in a request runs as a promise reaction instead, to which V8 gives the slot
  // by itself: one queue for both, so the order holds, and Node's own resource per microtask is
  // spared. An exception is thrown again from a microtask queued as Node queues them, which reports
  // it as Node does (an uncaught exception), one microtask later.
  const then = Promise.prototype.then;
  const settled = Promise.resolve();
  wrapMethod(globalThis, 'queueMicrotask', (orig) => function (this: unknown, cb: unknown) {
    // eslint-disable-next-line prefer-rest-params
    if (typeof cb !== 'function' || get() === undefined) return Reflect.apply(orig, this, arguments);
    then.call(settled, () => {
      try {
        cb();
      } catch (e) {
        orig(() => {
          throw e;
        });
      }
    });
  });
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
      (request as Bound).__redtraceRequest = id;
      (response as Bound).__redtraceRequest = id;
      // the handler runs next, synchronously, in the slot; the first tick after it clears the
      // slot before any other socket's callback (wrapping the server's emit instead would
      // miss a server whose emit another tool wrapped before the agent loaded)
      set(id);
      nextTick(clear);
    },
    clientParent: (request) => (request as Bound).__redtraceRequest ?? current(),
    releaseSocket: release,
    bindClientResponse(request, response) {
      (response as Bound).__redtraceRequest = (request as Bound).__redtraceRequest; // (undefined too: see own)
    },
  };
}

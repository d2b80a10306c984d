/**
 * HTTP server and client spans from Node's diagnostics channels (http and
 * https modules, and fetch through undici), and one wrapped method: an
 * http(s) client request is seen when it is handed to its socket, because
 * Node publishes its channel only once the request is written. A server
 * request enters the async context, so what it causes knows its parent.
 */
import { subscribe } from 'node:diagnostics_channel';
import { ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EV, type Conn } from './events.js';
import { currentRequest, newId, requestContext } from './context.js';
import { emit, guarded } from './sink.js';
import { wrapMethod } from './wrap-method.js';

// The agent's state rides on the objects it observes, in properties of its own (cheaper than
// WeakMaps: no ephemeron tables for the garbage collector). Names, not symbols: at a place that
// sees objects of many shapes, V8 finds a name in a cache but looks a symbol up in the object's
// property list, some 250 instructions per read on Node's large HTTP objects.
/**
 * On a server response: its request id; on a client request (http or undici): its span. On a
 * socket: its connection, and (server sockets) the bytes written on it when its last response
 * finished. Responses on an HTTP/1 connection follow one another, so a response's bytes are the
 * count when it finishes minus that mark: one read of the count per response, not two.
 */
type Traced<S> = { __redtraceSpan?: S };
type TracedSocket = Socket & { __redtraceConn?: Conn; __redtraceSent?: number };

interface Span {
  id: number;
  bytesAtStart: number;
}

function fdOf(s: Socket | null | undefined): number {
  const h = (s as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return typeof h?.fd === 'number' ? h.fd : -1;
}

const NO_CONN: Conn = { localAddr: '', localPort: 0, remoteAddr: '', remotePort: 0, fd: -1 };

/** A connection's addresses and fd, read once per socket (kept-alive sockets carry many requests). */
export function connOf(s: Socket | null | undefined): Conn {
  if (!s) return NO_CONN;
  const slot = s as TracedSocket;
  let c = slot.__redtraceConn;
  if (!c) {
    c = { localAddr: s.localAddress ?? '', localPort: s.localPort ?? 0, remoteAddr: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0, fd: fdOf(s) };
    if (c.localPort) slot.__redtraceConn = c; // not before the socket is connected
  }
  return c;
}

/**
 * Bytes written on a socket so far. Node's bytesWritten getter copies the
 * pending write buffer each call; with nothing pending, the dispatched count
 * it starts from is the answer.
 */
function bytesOut(s: Socket | null | undefined): number {
  if (!s) return 0;
  const dispatched = (s as unknown as { _bytesDispatched?: number })._bytesDispatched;
  if (typeof dispatched === 'number' && s.writableLength === 0) return dispatched;
  return s.bytesWritten ?? 0;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?'); // query strings can carry personal data: keep the path only
  return q < 0 ? u : u.slice(0, q);
}

export function startHttp(): void {
  subscribe('http.server.request.start', guarded((m: unknown) => {
    const { request, response, socket } = m as { request: IncomingMessage; response: ServerResponse; socket: Socket };
    const id = newId();
    (response as ServerResponse & Traced<number>).__redtraceSpan = id;
    emit(EV.http_server_receive, [id, request.method ?? '', pathOf(request.url), connOf(socket)]);
    // the request handler runs next, synchronously, in this context
    requestContext.enterServerRequest(id, request, response);
  }));
  subscribe('http.server.response.finish', guarded((m: unknown) => {
    const { response, socket } = m as { response: ServerResponse; socket: Socket };
    const id = (response as ServerResponse & Traced<number>).__redtraceSpan;
    if (id === undefined) return;
    let bytes = 0;
    if (socket) {
      const slot = socket as TracedSocket;
      const sent = bytesOut(socket);
      bytes = sent - (slot.__redtraceSent ?? 0);
      slot.__redtraceSent = sent;
    }
    emit(EV.http_server_response, [id, response.statusCode, bytes]);
  }));
  // 'http.client.request.start' comes after the request is written: by then the server may have
  // it, and a client preempted in between publishes it milliseconds after the server started.
  // Handed to its socket, the request is not written yet (its output waits for a later tick).
  const clientStart = guarded(({ request, socket }: { request: ClientRequest; socket: Socket }) => {
    const id = newId();
    // (bytes read by the socket from now on are the response's: a kept-alive socket has read others)
    (request as ClientRequest & Traced<Span>).__redtraceSpan = { id, bytesAtStart: socket.bytesRead ?? 0 };
    const port = Number(socket.remotePort ?? portOf(request));
    emit(EV.http_client_request, [id, requestContext.clientParent(request), request.method ?? '', request.host ?? '', port, pathOf(request.path)]);
  });
  wrapMethod(ClientRequest.prototype, 'onSocket', (onSocket) => function (this: ClientRequest, socket: unknown, err: unknown) {
    // (a socket that failed to open comes with an error: the request is never sent)
    if (socket && !err && (this as ClientRequest & Traced<Span>).__redtraceSpan === undefined) clientStart({ request: this, socket: socket as Socket });
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(onSocket, this, arguments);
  });
  // (published when the response's headers are parsed: its body may take long to come)
  subscribe('http.client.response.finish', guarded((m: unknown) => {
    const { request, response } = m as { request: ClientRequest; response: IncomingMessage };
    requestContext.bindClientResponse(request, response);
    if (!(request as ClientRequest & Traced<Span>).__redtraceSpan) return;
    // (a response closes after its end, or when cut off before it: one listener sees both)
    response.on('close', onClientResponseDone);
  }));
  startUndici();
}

/** A client response closed: after its end (complete), or cut off before it (status 0). */
const clientResponseDone = guarded((response: IncomingMessage & { req?: ClientRequest & Traced<Span> }) => {
  const request = response.req;
  const span = request?.__redtraceSpan;
  if (!span) return;
  // (a kept-alive response lets go of its socket at its end: the request keeps it)
  const s = request?.socket ?? response.socket;
  emit(EV.http_client_response, [span.id, response.complete ? response.statusCode ?? 0 : 0, (s?.bytesRead ?? 0) - span.bytesAtStart, connOf(s)]);
});

/** A listener of the response's 'close': one function for all responses, no closure per request. */
function onClientResponseDone(this: IncomingMessage): void {
  clientResponseDone(this);
}

function portOf(request: ClientRequest): number {
  const agent = (request as unknown as { agent?: { defaultPort?: number } }).agent;
  const host = request.getHeader('host');
  const m = typeof host === 'string' ? /:(\d+)$/.exec(host) : null;
  return m ? Number(m[1]) : agent?.defaultPort ?? 80;
}

const origins = new Map<string, [string, number]>();

/** Host and port of an origin, parsed once per origin (fetch calls few of them, many times). */
function originOf(origin: string): [string, number] {
  let hp = origins.get(origin);
  if (!hp) {
    try {
      const u = new URL(origin);
      hp = [u.hostname, Number(u.port || (u.protocol === 'https:' ? 443 : 80))];
    } catch {
      hp = [origin, 0]; // an origin we cannot parse: keep it as the host
    }
    if (origins.size < 1000) origins.set(origin, hp);
  }
  return hp;
}

/** fetch(): undici publishes its own channels. */
function startUndici(): void {
  interface Call { id: number; parent: number; method: string; origin: string; path: string; socket?: Socket; sent: boolean; status: number }
  type Req = Traced<Call>;
  subscribe('undici:request:create', guarded((m: unknown) => {
    const { request } = m as { request: { origin: string; method: string; path: string } };
    (request as Req).__redtraceSpan = { id: newId(), parent: currentRequest(), method: request.method, origin: String(request.origin), path: pathOf(request.path), sent: false, status: 0 };
  }));
  subscribe('undici:client:sendHeaders', guarded((m: unknown) => {
    const { request, socket } = m as { request: object; socket: Socket };
    const c = (request as Req).__redtraceSpan;
    if (!c || c.sent) return;
    requestContext.releaseSocket(socket);
    c.socket = socket;
    c.sent = true;
    const [host, port] = originOf(c.origin);
    emit(EV.http_client_request, [c.id, c.parent, c.method, host, port, c.path]);
  }));
  // the response is complete when its trailers (the end of the body) arrive
  subscribe('undici:request:headers', guarded((m: unknown) => {
    const { request, response } = m as { request: object; response: { statusCode: number } };
    const c = (request as Req).__redtraceSpan;
    if (c) c.status = response.statusCode;
  }));
  const done = (request: object, failed: boolean) => {
    const c = (request as Req).__redtraceSpan;
    if (!c) return;
    emit(EV.http_client_response, [c.id, failed ? 0 : c.status, 0, connOf(c.socket)]);
    (request as Req).__redtraceSpan = undefined;
  };
  subscribe('undici:request:trailers', guarded((m: unknown) => done((m as { request: object }).request, false)));
  subscribe('undici:request:error', guarded((m: unknown) => done((m as { request: object }).request, true)));
}

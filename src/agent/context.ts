/**
 * Which incoming request is the application working for? An async context
 * entered when a server request starts follows the callbacks and promises it
 * causes, so an outgoing HTTP or Redis call names its parent without any
 * propagation header. Two ways to carry it (see docs/events.md, "Parent
 * requests"): V8's continuation slot through the agent's small addon (the
 * default where the addon was built), or AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { slotContext } from './context-slot.js';
import { agentDir } from './here.cjs';

export interface RequestContext {
  readonly kind: 'slot' | 'async-hooks';
  /** The server request the running code works for, 0 if none. */
  current(): number;
  /** A server request starts: its handler, run next, and its objects' events work for `id`. */
  enterServerRequest(id: number, request: object, response: object): void;
  /** The parent of an outgoing HTTP request (its events then run in the parent's context). */
  clientParent(request: object): number;
  /** A socket that carries HTTP client requests (fetch's): not bound to the request that opened it. */
  releaseSocket(socket: object): void;
  /** The response of `request`: its events run in the request's context. */
  bindClientResponse(request: object, response: object): void;
}

function asyncHooksContext(): RequestContext {
  const als = new AsyncLocalStorage<number>();
  // async_hooks carries the context through every callback already: nothing to bind
  const nothing = (): void => {};
  return {
    kind: 'async-hooks',
    current: () => als.getStore() ?? 0,
    enterServerRequest: (id) => als.enterWith(id),
    clientParent: () => als.getStore() ?? 0,
    bindClientResponse: nothing,
    releaseSocket: nothing,
  };
}

/** REDTRACE_CONTEXT=async-hooks forces AsyncLocalStorage; else the slot when its addon is there. */
function chooseContext(): RequestContext {
  const addon = process.env.REDTRACE_CONTEXT_ADDON || `${agentDir}/../../native/redtrace_context.node`;
  if (process.env.REDTRACE_CONTEXT !== 'async-hooks' && existsSync(addon)) {
    try {
      return slotContext(addon);
    } catch {
      // an addon built for another Node.js: async_hooks carries the same context, at a higher cost
    }
  }
  return asyncHooksContext();
}

export const requestContext = chooseContext();

let nextId = 1;

/** Ids unique within the process; the analysis pairs them with the process id. */
export function newId(): number {
  return nextId++;
}

export function currentRequest(): number {
  return requestContext.current();
}

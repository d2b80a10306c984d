/**
 * Which incoming request is the application working for? An async context
 * (AsyncLocalStorage) entered when a server request starts follows every
 * callback and promise it causes, so an outgoing HTTP or Redis call can
 * name its parent without any propagation header.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const requestContext = new AsyncLocalStorage<number>();

let nextId = 1;

/** Ids unique within the process; the analysis pairs them with the process id. */
export function newId(): number {
  return nextId++;
}

export function currentRequest(): number {
  return requestContext.getStore() ?? 0;
}

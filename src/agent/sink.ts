/**
 * Where events go. Every call is guarded: the first failure disables the
 * agent with one warning line on stderr, and the application goes on as if
 * no agent were there.
 */

import type { Value } from './events.js';

export interface Sink {
  emit(id: number, values: readonly Value[]): void;
  flushSync(): void;
  close(): void;
}

let sink: Sink | undefined;
let disabled = false;

export function setSink(s: Sink): void {
  sink = s;
}

export function disable(why: unknown): void {
  if (disabled) return;
  disabled = true;
  try {
    process.stderr.write(`redtrace agent: disabled (${why instanceof Error ? why.message : String(why)}); the application is not affected\n`);
    sink?.close();
  } catch {
    // nothing more to do: never throw into the application
  }
  sink = undefined;
}

/** Emits event `id` (see EV in events.ts) with its values in field order (a Conn for a connection's five fields). */
export function emit(id: number, values: readonly Value[]): void {
  if (!sink) return;
  try {
    sink.emit(id, values);
  } catch (e) {
    disable(e);
  }
}

/** Runs an observer callback (one argument: a channel message) so that nothing it does can reach the application. */
export function guarded<M>(fn: (m: M) => void): (m: M) => void {
  return (m: M) => {
    if (!sink) return;
    try {
      fn(m);
    } catch (e) {
      disable(e);
    }
  };
}

export function flushSink(): void {
  try {
    sink?.flushSync();
  } catch (e) {
    disable(e);
  }
}

export function closeSink(): void {
  try {
    sink?.close();
  } catch {
    // at exit: nothing left to protect
  }
  sink = undefined;
}

/**
 * The LTTng path: events go to the `nodejs` LTTng-UST provider through the
 * native addon (native/node), so they share a session with Redis's. Used
 * when `redtrace record` passes the addon's path in REDTRACE_LTTNG_ADDON.
 */
import { NODEJS_EVENTS, fieldValues } from './events.js';
import type { Sink } from './sink.js';

interface Addon {
  emit(id: number, values: readonly (string | number)[]): void;
  names: string[];
}

export function lttngSink(addonPath: string): Sink {
  const m = { exports: {} as Addon };
  process.dlopen(m, addonPath);
  const addon = m.exports;
  // the addon numbers events in its own order: map ours to it, and refuse a mismatch
  const ids = NODEJS_EVENTS.map((e) => addon.names.indexOf(e.name));
  if (ids.some((i) => i < 0)) throw new Error(`the LTTng addon at ${addonPath} lacks events of this agent`);
  return {
    emit: (id, values) => addon.emit(ids[id], fieldValues(id, values)),
    flushSync: () => {},
    close: () => {},
  };
}

/** Runtime health: event-loop delay percentiles each interval, and every GC pause. */
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';
import { EV } from './events.js';
import { emit, guarded } from './sink.js';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function startRuntime(intervalMs: number): () => void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const report = guarded((_: unknown) => {
    if (h.count > 0) emit(EV.event_loop_delay, [intervalMs * 1e6, h.percentile(50), h.percentile(99), h.max, h.mean]);
    h.reset();
  });
  const timer = setInterval(report, intervalMs);
  timer.unref();
  const obs = new PerformanceObserver(guarded((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      emit(EV.gc, [GC_KINDS[kind] ?? String(kind), Math.round(e.duration * 1e6)]);
    }
  }));
  obs.observe({ entryTypes: ['gc'] });
  return () => {
    report(undefined);
    clearInterval(timer);
    h.disable();
    obs.disconnect();
  };
}

/**
 * Entry point: `node --require redtrace/agent app.js`, `node --import
 * redtrace/agent app.mjs`, or NODE_OPTIONS. Starts the agent once per
 * process; any failure leaves one warning line and the application alone.
 */
import { basename } from 'node:path';
import { EV } from './events.js';
import { readConfig } from './config.js';
import { CtfStreamWriter } from './ctf-writer.js';
import { lttngSink } from './lttng-sink.js';
import { startHttp } from './http.js';
import { startRedis } from './redis-sockets.js';
import { startRedisCallers } from './redis-callers.js';
import { startRuntime } from './runtime.js';
import { closeSink, disable, emit, flushSink, setSink } from './sink.js';

const STARTED = Symbol.for('redtrace.agent.started');

function start(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[STARTED] || process.env.REDTRACE_AGENT === 'off') return;
  g[STARTED] = true;
  const cfg = readConfig();
  if (process.env.REDTRACE_LTTNG_ADDON) {
    setSink(lttngSink(process.env.REDTRACE_LTTNG_ADDON));
  } else {
    const writer = new CtfStreamWriter(cfg.traceDir, { service: cfg.service, procname: basename(process.argv0 || 'node'), pid: process.pid });
    writer.onError = (e) => disable(e);
    setSink(writer);
  }
  emit(EV.process_start, [cfg.service, process.pid, process.version]);
  startHttp();
  startRedis(cfg.redisPorts);
  startRedisCallers();
  const stopRuntime = startRuntime(cfg.loopIntervalMs);
  process.once('exit', () => {
    try {
      stopRuntime();
    } finally {
      closeSink();
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      flushSink();
      // alone, our handler would keep the process alive: restore the default and re-raise
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        closeSink();
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

try {
  start();
} catch (e) {
  disable(e);
}

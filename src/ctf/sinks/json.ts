/**
 * JSON-lines sink: one object per event. Integers beyond 2^53 are written as
 * strings so no consumer loses precision; enumerations keep their integer
 * value; variants are an object holding their selected option. Strings are
 * the trace's bytes (written back as latin1, so UTF-8 text stays UTF-8).
 */
import type { CtfReader } from '../reader.js';
import type { CtfEvent, Loss } from '../stream.js';

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

export class JsonPrinter {
  constructor(private readonly reader: CtfReader) {}

  format(ev: CtfEvent): string {
    const trace = ev.stream.trace;
    const out: Record<string, unknown> = {
      time_ns: trace.clock ? this.reader.nsFromOrigin(ev.stream, ev.cycles) : undefined,
      trace: this.reader.traceName(trace),
      stream: ev.stream.file.slice(trace.dir.length + 1),
      name: ev.event.cls.name,
      id: ev.event.cls.id,
      packet_context: ev.packet.context,
      header: ev.header,
      stream_context: ev.streamContext,
      context: ev.context,
      payload: ev.payload,
    };
    return JSON.stringify(out, replacer);
  }

  formatLoss(l: Loss): string {
    return JSON.stringify({ loss: l.kind, count: l.count, trace: this.reader.traceName(l.stream.trace), stream: l.stream.file.slice(l.stream.trace.dir.length + 1) });
  }
}

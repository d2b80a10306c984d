/**
 * Text sink: formats events the way `babeltrace2` (2.0, pretty sink with
 * default options) does, byte for byte: time, delta, hostname, event name,
 * then the packet context (without the fields the reader interprets), the
 * stream event context, the event context and the payload.
 */
import type { CtfReader } from '../reader.js';
import type { CtfEvent, Loss } from '../stream.js';
import type { FieldType, StructType } from '../tsdl/types.js';

/** Packet context fields babeltrace2 turns into packet properties instead of printing. */
const HIDDEN_PACKET_FIELDS = new Set(['timestamp_begin', 'timestamp_end', 'events_discarded', 'content_size', 'packet_size', 'packet_seq_num']);

export class PrettyPrinter {
  private lastNs: bigint | undefined;

  constructor(private readonly reader: CtfReader) {}

  format(ev: CtfEvent): string {
    const trace = ev.stream.trace;
    const ns = trace.clock ? this.reader.nsFromOrigin(ev.stream, ev.cycles) : undefined;
    let line = '';
    if (ns !== undefined) {
      line += `[${clockTime(ns)}] `;
      line += this.lastNs === undefined ? '(+?.?????????) ' : `(${delta(ns - this.lastNs)}) `;
      this.lastNs = ns;
    }
    const host = trace.cls.env.get('hostname');
    if (typeof host === 'string') line += `${host} `;
    line += `${ev.event.cls.name}: `;
    const parts: string[] = [];
    const sc = ev.stream.trace.streamClasses.get(ev.stream.streamClassId)!.cls;
    if (sc.packetContext && ev.packet.context) {
      const shown = sc.packetContext.fields.filter((f) => !HIDDEN_PACKET_FIELDS.has(f.name));
      if (shown.length) parts.push(formatStruct({ kind: 'struct', fields: shown, minAlign: 1 }, ev.packet.context));
    }
    if (sc.eventContext) parts.push(formatStruct(sc.eventContext, ev.streamContext));
    if (ev.event.cls.context) parts.push(formatStruct(ev.event.cls.context, ev.context));
    if (ev.event.cls.payload) parts.push(formatStruct(ev.event.cls.payload, ev.payload));
    return line + parts.join(', ');
  }

  formatLoss(l: Loss): string {
    const what = l.kind === 'discarded-events' ? 'discarded' : 'lost';
    const unit = l.kind === 'discarded-events' ? 'event' : 'packet';
    return `WARNING: Tracer ${what} ${l.count} ${unit}${l.count === 1 ? '' : 's'} in trace "${l.stream.trace.name}"`;
  }
}

function pad(n: number | bigint, w: number): string {
  return String(n).padStart(w, '0');
}

/** `HH:MM:SS.nnnnnnnnn` in local time (TZ), as babeltrace2 prints it. */
export function clockTime(ns: bigint): string {
  let s = ns / 1000000000n;
  let frac = ns % 1000000000n;
  if (frac < 0n) { frac += 1000000000n; s -= 1n; }
  const d = new Date(Number(s) * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(frac, 9)}`;
}

function delta(d: bigint): string {
  const neg = d < 0n;
  const a = neg ? -d : d;
  return `${neg ? '-' : '+'}${a / 1000000000n}.${pad(a % 1000000000n, 9)}`;
}

function name(n: string): string {
  return n.startsWith('_') ? n.slice(1) : n;
}

export function formatStruct(t: StructType, v: unknown): string {
  const o = v as Record<string, unknown>;
  if (t.fields.length === 0) return '{ }';
  return `{ ${t.fields.map((f) => `${name(f.name)} = ${formatValue(f.type, o[f.name])}`).join(', ')} }`;
}

export function formatValue(t: FieldType, v: unknown): string {
  switch (t.kind) {
    case 'int': return formatInt(t.base, t.signed, t.size, v as number | bigint);
    case 'enum': {
      const x = BigInt(v as number | bigint);
      const labels = t.container && t.mappings.filter((m) => x >= m.lo && x <= m.hi).map((m) => m.label);
      const label = labels.length === 0 ? '<unknown>' : labels.length === 1 ? `"${labels[0]}"` : `{ ${labels.map((l) => `"${l}"`).join(', ')} }`;
      return `( ${label} : container = ${formatInt(t.container.base, t.container.signed, t.container.size, v as number | bigint)} )`;
    }
    case 'float': return formatFloat(v as number);
    case 'string': return `"${v as string}"`;
    case 'struct': return formatStruct(t, v);
    case 'array':
    case 'sequence': {
      if (typeof v === 'string') return `"${v}"`;
      const a = v as unknown[];
      if (a.length === 0) return '[ ]';
      return `[ ${a.map((x, i) => `[${i}] = ${formatValue(t.element, x)}`).join(', ')} ]`;
    }
    case 'variant': {
      const o = v as Record<string, unknown>;
      const opt = Object.keys(o)[0];
      const ot = t.options.find((x) => x.name === opt)!;
      return `{ ${name(opt)} = ${formatValue(ot.type, o[opt])} }`;
    }
  }
}

export function formatInt(base: number, signed: boolean, size: number, v: number | bigint): string {
  if (base === 10) return String(v);
  let x = BigInt(v);
  if (x < 0n) x = BigInt.asUintN(size, x);
  switch (base) {
    case 16: return `0x${x.toString(16).toUpperCase()}`;
    case 8: return `0${x.toString(8)}`;
    default: return `0b${x.toString(2)}`;
  }
}

function formatFloat(v: number): string {
  return String(v);
}

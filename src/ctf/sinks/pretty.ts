/**
 * Text sink: formats events the way `babeltrace2` 2.0 (pretty sink, default
 * options, no colours) does, byte for byte: time, delta, host info, event
 * name, then the packet context (minus the fields the reader interprets),
 * the stream event context, the event context and the payload. Clock-mapped
 * integers are hidden everywhere, as babeltrace2 turns them into times.
 *
 * Strings here are byte strings (one char per byte, see stream.ts), so the
 * caller writes lines as latin1 to get the trace's bytes back exactly.
 */
import { resolve } from 'node:path';
import type { CtfReader } from '../reader.js';
import type { CtfEvent, Loss } from '../stream.js';
import type { Trace } from '../trace.js';
import type { EnumType, FieldType, IntegerType, StructType } from '../tsdl/types.js';
import { formatG } from './printf.js';

/** Packet context fields babeltrace2 turns into packet properties instead of printing. */
const HIDDEN_PACKET_FIELDS = new Set(['timestamp_begin', 'timestamp_end', 'events_discarded', 'content_size', 'packet_size', 'packet_seq_num']);

export class PrettyPrinter {
  private lastNs: bigint | undefined;
  private hostInfo = new Map<Trace, string>();
  /** Printable form of each scope type, computed once. */
  private shown = new Map<StructType, StructType | undefined>();

  constructor(private readonly reader: CtfReader) {}

  format(ev: CtfEvent): string {
    const stream = ev.stream;
    const trace = stream.trace;
    let line = '';
    if (trace.clock) {
      const ns = this.reader.nsFromOrigin(stream, ev.cycles);
      line += `[${clockTime(ns)}] `;
      line += this.lastNs === undefined ? '(+?.?????????) ' : `(${delta(ns - this.lastNs)}) `;
      this.lastNs = ns;
    }
    line += this.host(trace);
    line += `${ev.event.cls.name || '<unknown>'}: `;
    const parts: string[] = [];
    const sc = stream.streamClass!.cls;
    this.scope(parts, sc.packetContext, ev.packet.context, true);
    this.scope(parts, sc.eventContext, ev.streamContext, false);
    this.scope(parts, ev.event.cls.context, ev.context, false);
    this.scope(parts, ev.event.cls.payload, ev.payload, false);
    return line + parts.join(', ');
  }

  private scope(parts: string[], t: StructType | undefined, v: unknown, packet: boolean): void {
    if (!t) return;
    let shown = this.shown.get(t);
    if (!this.shown.has(t)) {
      shown = printable(t, packet);
      this.shown.set(t, shown);
    }
    if (shown) parts.push(formatStruct(shown, v));
  }

  private host(trace: Trace): string {
    let h = this.hostInfo.get(trace);
    if (h === undefined) {
      const env = trace.cls.env;
      const items: string[] = [];
      const hostname = env.get('hostname');
      if (typeof hostname === 'string') items.push(hostname);
      const procname = env.get('procname');
      if (typeof procname === 'string') items.push(procname);
      const vpid = env.get('vpid');
      if (typeof vpid === 'bigint') items.push(`(${vpid})`);
      h = items.length ? `${items.join(':')} ` : '';
      this.hostInfo.set(trace, h);
    }
    return h;
  }

  /** babeltrace2's warning for discarded events or packets (it writes them to stderr). */
  formatLoss(l: Loss): string {
    const s = l.stream;
    const t = s.trace;
    const unit = l.kind === 'discarded-events' ? 'event' : 'packet';
    const count = l.count === undefined ? `may have discarded ${unit}s` : `discarded ${l.count} ${unit}${l.count === 1 ? '' : 's'}`;
    const range = l.fromCycles === undefined || l.toCycles === undefined || !t.clock
      ? '(unknown time range)'
      : `between [${clockTime(this.reader.nsFromOrigin(s, l.fromCycles))}] and [${clockTime(this.reader.nsFromOrigin(s, l.toCycles))}]`;
    const uuid = t.cls.uuid ? `(UUID: ${t.cls.uuid.toLowerCase()})` : '(no UUID)';
    return `WARNING: Tracer ${count} ${range} in trace "${this.reader.traceName(t)}" ${uuid} within stream "${resolve(s.file)}" (stream class ID: ${s.streamClassId}, stream ID: ${this.reader.streamId(s)}).`;
  }
}

/** The part of a scope babeltrace2 prints: no clock-mapped integers; no struct left empty by that. */
function printable(t: StructType, packet: boolean): StructType | undefined {
  const fields = [];
  for (const f of t.fields) {
    if (packet && HIDDEN_PACKET_FIELDS.has(f.name) && (f.type.kind === 'int' || f.type.kind === 'enum')) continue;
    const ft = printableType(f.type);
    if (ft) fields.push({ name: f.name, key: f.key, type: ft });
  }
  if (t.fields.length > 0 && fields.length === 0) return undefined;
  return fields.length === t.fields.length && fields.every((f, i) => f.type === t.fields[i].type) ? t : { ...t, fields };
}

function printableType(t: FieldType): FieldType | undefined {
  if (t.kind === 'int' && t.clock !== undefined) return undefined;
  if (t.kind === 'struct') return printable(t, false);
  return t;
}

function pad(n: number | bigint, w: number): string {
  return String(n).padStart(w, '0');
}

/**
 * `HH:MM:SS.nnnnnnnnn` in local time (TZ), as babeltrace2 prints it; before
 * the origin, `-S.nnnnnnnnn` (babeltrace2 does this only for the first such
 * time and then drops the sign: we keep it right every time).
 */
export function clockTime(ns: bigint): string {
  if (ns < 0n) {
    const a = -ns;
    return `-${a / 1000000000n}.${pad(a % 1000000000n, 9)}`;
  }
  const d = new Date(Number(ns / 1000000000n) * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(ns % 1000000000n, 9)}`;
}

function delta(d: bigint): string {
  const a = BigInt.asUintN(64, d);
  return `+${a / 1000000000n}.${pad(a % 1000000000n, 9)}`;
}

function fieldName(n: string): string {
  return n.startsWith('_') ? n.slice(1) : n;
}

export function formatStruct(t: StructType, v: unknown): string {
  const o = v as Record<string, unknown>;
  if (t.fields.length === 0) return '{ }';
  let s = '{ ';
  for (let i = 0; i < t.fields.length; i++) {
    const f = t.fields[i];
    if (i > 0) s += ', ';
    s += `${fieldName(f.name)} = ${formatValue(f.type, o[f.key])}`;
  }
  return s + ' }';
}

export function formatValue(t: FieldType, v: unknown): string {
  switch (t.kind) {
    case 'int': return formatInt(t, v as number | bigint);
    case 'enum': return formatEnum(t, v as number | bigint);
    case 'float': return formatG(v as number);
    case 'string': return quote(v as string);
    case 'struct': return formatStruct(t, v);
    case 'array':
    case 'sequence': {
      if (typeof v === 'string') return quote(v);
      const a = v as unknown[];
      if (a.length === 0) return '[ ]';
      let s = '[ ';
      for (let i = 0; i < a.length; i++) s += `${i > 0 ? ', ' : ''}[${i}] = ${formatValue(t.element, a[i])}`;
      return s + ' ]';
    }
    case 'variant': {
      const o = v as Record<string, unknown>;
      for (const opt of t.options) if (opt.key in o) return `{ ${formatValue(opt.type, o[opt.key])} }`;
      return '{ }';
    }
  }
}

function formatEnum(t: EnumType, v: number | bigint): string {
  const x = BigInt(v);
  const labels: string[] = [];
  for (const m of t.mappings) if (x >= m.lo && x <= m.hi && !labels.includes(m.label)) labels.push(m.label);
  const l = labels.length === 0 ? '<unknown>' : labels.map(quote).join(', ');
  return `( ${l} : container = ${formatInt(t.container, v)} )`;
}

/** Integers in their display base; negative values masked to whole hex/octal digits. */
export function formatInt(t: IntegerType, v: number | bigint): string {
  if (t.base === 10) return String(v);
  let x = BigInt(v);
  switch (t.base) {
    case 16:
      if (x < 0n) x = BigInt.asUintN(Math.min(64, Math.ceil(t.size / 4) * 4), x);
      return `0x${x.toString(16).toUpperCase()}`;
    case 8:
      if (x < 0n) x = BigInt.asUintN(t.size >= 64 ? 64 : Math.ceil(t.size / 3) * 3, x);
      return `0${x.toString(8)}`;
    default:
      return `0b${BigInt.asUintN(t.size, x).toString(2).padStart(t.size, '0')}`;
  }
}

const CONTROL_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 27: '\\e', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

/** A byte string quoted and escaped as babeltrace2 does; bytes >= 0x80 are kept raw. */
export function quote(s: string): string {
  if (/^[\x20-\x7e\x80-\xff]*$/.test(s) && !/[\\'"?]/.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c === 0x27 || c === 0x22 || c === 0x3f) out += '\\' + s[i];
    else if (c >= 0x20 && c !== 0x7f) out += s[i];
    else out += CONTROL_ESCAPES[c] ?? `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}

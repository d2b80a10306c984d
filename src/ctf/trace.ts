/**
 * A CTF trace on disk: its metadata compiled into decoders, and its stream
 * files. Several traces can live under one directory (LTTng writes
 * `ust/uid/0/64-bit/`, one trace per ABI or per process): findTraces walks
 * the tree for every folder holding a `metadata` file.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CtfError } from './errors.js';
import { readMetadata } from './metadata.js';
import { compileScope, type ScopeDecoder } from './decode/compile.js';
import type { ClockClass, EventClass, FieldType, IntegerType, StreamClass, StructType, TraceClass } from './tsdl/types.js';

export interface CompiledEvent {
  cls: EventClass;
  context?: ScopeDecoder;
  payload?: ScopeDecoder;
}

export interface CompiledStream {
  cls: StreamClass;
  packetContext?: ScopeDecoder;
  header?: ScopeDecoder;
  eventContext?: ScopeDecoder;
  /** Indexed by event id when ids are small, else looked up in `byIdMap`. */
  byId: (CompiledEvent | undefined)[];
  byIdMap: Map<number, CompiledEvent>;
  /** The event used when the header carries no id (a stream with one event class). */
  only?: CompiledEvent;
}

export class Trace {
  readonly cls: TraceClass;
  readonly metadataText: string;
  readonly packetHeader?: ScopeDecoder;
  readonly streamClasses = new Map<number, CompiledStream>();
  /** The clock event timestamps are mapped to. */
  readonly clock?: ClockClass;
  readonly streamFiles: string[];

  constructor(readonly dir: string) {
    const metaPath = join(dir, 'metadata');
    const { text, trace } = readMetadata(metaPath);
    this.cls = trace;
    this.metadataText = text;
    try {
      this.clock = bindClock(trace);
      if (trace.packetHeader) this.packetHeader = compileScope(trace.packetHeader, { scope: 0, earlier: [] }, 'packet_header');
      for (const sc of trace.streams.values()) this.streamClasses.set(sc.id, this.compileStream(sc));
    } catch (e) {
      if (e instanceof CtfError) throw e;
      throw new CtfError(metaPath, undefined, `bad metadata: ${(e as Error).message}`);
    }
    this.streamFiles = readdirSync(dir)
      .filter((f) => f !== 'metadata' && !f.startsWith('.'))
      .map((f) => join(dir, f))
      .filter((f) => { const st = statSync(f); return st.isFile() && st.size > 0; })
      .sort();
  }

  private compileStream(sc: StreamClass): CompiledStream {
    const earlier: (StructType | undefined)[] = [this.cls.packetHeader, sc.packetContext, sc.eventHeader, sc.eventContext];
    const out: CompiledStream = {
      cls: sc,
      packetContext: sc.packetContext && compileScope(sc.packetContext, { scope: 1, earlier }, `s${sc.id}_packet_context`),
      header: sc.eventHeader && compileScope(sc.eventHeader, { scope: 2, earlier }, `s${sc.id}_event_header`),
      eventContext: sc.eventContext && compileScope(sc.eventContext, { scope: 3, earlier }, `s${sc.id}_event_context`),
      byId: [],
      byIdMap: new Map(),
    };
    for (const ec of sc.events.values()) {
      const evEarlier = [...earlier, ec.context];
      const name = `e${ec.id}`;
      const ce: CompiledEvent = {
        cls: ec,
        context: ec.context && compileScope(ec.context, { scope: 4, earlier: evEarlier }, `${name}_context`),
        payload: ec.payload && compileScope(ec.payload, { scope: 5, earlier: evEarlier }, `${name}_payload`),
      };
      out.byIdMap.set(ec.id, ce);
      if (ec.id >= 0 && ec.id < 65536) out.byId[ec.id] = ce;
    }
    if (sc.events.size === 1) out.only = [...out.byIdMap.values()][0];
    return out;
  }
}

/**
 * The clock event times come from. Integers that carry time by name but are
 * not mapped (header `timestamp`, packet `timestamp_begin`/`_end`) are
 * mapped to the only clock, or to a 1 GHz clock made up for them.
 */
function bindClock(t: TraceClass): ClockClass | undefined {
  const unmapped: IntegerType[] = [];
  let name: string | undefined;
  const visit = (st: FieldType | undefined, timeNames: Set<string>, fieldName = ''): void => {
    if (!st) return;
    switch (st.kind) {
      case 'int':
        if (st.clock) name ??= st.clock;
        else if (timeNames.has(fieldName)) unmapped.push(st);
        return;
      case 'enum': return visit(st.container, timeNames, fieldName);
      case 'struct': for (const f of st.fields) visit(f.type, timeNames, f.name); return;
      case 'variant': for (const f of st.options) visit(f.type, timeNames, f.name); return;
      default: return;
    }
  };
  for (const sc of t.streams.values()) {
    visit(sc.eventHeader, new Set(['timestamp']));
    visit(sc.packetContext, new Set(['timestamp_begin', 'timestamp_end']));
  }
  if (unmapped.length > 0 && !name) {
    if (t.clocks.size > 1) throw new Error('a timestamp field maps to no clock and there are several clocks');
    if (t.clocks.size === 0) {
      t.clocks.set('default', { name: 'default', freq: 1000000000n, offsetSeconds: 0n, offsetCycles: 0n, precision: 0n, absolute: false });
    }
    name = [...t.clocks.keys()][0];
  }
  if (name) for (const i of unmapped) i.clock = name;
  if (name && !t.clocks.has(name)) throw new Error(`integer mapped to undeclared clock "${name}"`);
  return name ? t.clocks.get(name) : undefined;
}

/** Every trace folder under the given directories (a folder holding `metadata`), in path order. */
export function findTraces(dirs: string[]): { dir: string; root: string }[] {
  const out: { dir: string; root: string }[] = [];
  for (const root of dirs) {
    let st;
    try {
      st = statSync(root);
    } catch {
      throw new CtfError(root, undefined, 'no such file or directory');
    }
    if (!st.isDirectory()) throw new CtfError(root, undefined, 'not a directory (give the folder that holds the trace)');
    const found: string[] = [];
    const walk = (d: string): void => {
      const entries = readdirSync(d, { withFileTypes: true });
      if (entries.some((e) => e.isFile() && e.name === 'metadata')) {
        found.push(d); // a trace folder: nothing below it is another trace
        return;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = join(d, e.name);
        if (!e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && statSync(p).isDirectory()))) walk(p);
      }
    };
    walk(root);
    if (found.length === 0) throw new CtfError(root, undefined, 'no CTF trace here (no metadata file in it or below it)');
    for (const d of found) out.push({ dir: d, root });
  }
  return out;
}

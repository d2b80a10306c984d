/**
 * TSDL parser: turns CTF 1.8 metadata text into a TraceClass. Type aliases,
 * typedefs and named struct/enum/variant types are resolved while parsing,
 * in lexical scopes; event classes are bound to their stream class at the
 * end because LTTng declares them before the `stream` block.
 */
import { tokenize, TsdlSyntaxError, type Token } from './lexer.js';
import type {
  ByteOrder, ClockClass, EnumMapping, EventClass, Field, FieldType, FloatType, IntegerType,
  StreamClass, StructType, TraceClass, VariantType, Encoding,
} from './types.js';
import { assignKeys } from './types.js';

type Value =
  | { kind: 'int'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'ident'; value: string };

type Assignment = { key: string; value?: Value; type?: FieldType; line: number };

const BASES: Record<string, 2 | 8 | 10 | 16> = {
  decimal: 10, dec: 10, d: 10, i: 10, u: 10,
  hexadecimal: 16, hex: 16, x: 16, X: 16, p: 16,
  octal: 8, oct: 8, o: 8,
  binary: 2, b: 2,
};

const TYPE_KEYWORDS = new Set(['integer', 'floating_point', 'string', 'enum', 'struct', 'variant']);
const QUALIFIERS = new Set(['const', 'volatile']);

export function parseTsdl(text: string): TraceClass {
  return new Parser(tokenize(text)).parseTrace();
}

class Parser {
  private i = 0;
  private scopes: Map<string, FieldType>[] = [new Map()];
  private traceAssignments: Assignment[] | undefined;
  private env = new Map<string, string | bigint>();
  private clocks = new Map<string, ClockClass>();
  private streamBlocks: Assignment[][] = [];
  private eventBlocks: Assignment[][] = [];

  constructor(private readonly toks: Token[]) {}

  // ---- token helpers ----
  private peek(k = 0): Token { return this.toks[Math.min(this.i + k, this.toks.length - 1)]; }
  private next(): Token { return this.toks[this.i++] ?? this.toks[this.toks.length - 1]; }
  private fail(msg: string, tok = this.peek()): never {
    throw new TsdlSyntaxError(tok.line, msg);
  }
  private is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private accept(text: string): boolean {
    if (this.is(text)) { this.i++; return true; }
    return false;
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected "${text}" but found ${describe(this.peek())}`);
    return this.next();
  }
  private ident(): string {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected a name but found ${describe(t)}`);
    this.i++;
    return t.text;
  }

  // ---- scopes ----
  private define(name: string, type: FieldType): void {
    this.scopes[this.scopes.length - 1].set(name, type);
  }
  private lookup(name: string): FieldType | undefined {
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const t = this.scopes[s].get(name);
      if (t) return t;
    }
    return undefined;
  }

  // ---- top level ----
  parseTrace(): TraceClass {
    while (this.peek().kind !== 'eof') this.topLevel();
    return this.build();
  }

  private topLevel(): void {
    const t = this.peek();
    if (t.kind === 'ident') {
      switch (t.text) {
        case 'typealias': this.typealias(); return;
        case 'typedef': this.typedef(); return;
        case 'trace':
        case 'env':
        case 'clock':
        case 'stream':
        case 'event':
        case 'callsite':
          if (this.is('{', 1)) { this.block(); return; }
      }
      if (TYPE_KEYWORDS.has(t.text)) {
        this.typeSpecifier('alias');
        this.expect(';');
        return;
      }
    }
    this.fail(`unexpected ${describe(t)} at top level`);
  }

  private typealias(): void {
    this.expect('typealias');
    const base = this.typeSpecifier('alias');
    const type = this.abstractDims(base);
    this.expect(':=');
    const names: string[] = [];
    while (this.peek().kind === 'ident') names.push(this.ident());
    if (names.length === 0) this.fail('typealias needs a name after ":="');
    this.define(names.join(' '), type);
    this.expect(';');
  }

  private typedef(): void {
    this.expect('typedef');
    const base = this.typeSpecifier('decl');
    do {
      const { name, type } = this.declarator(base);
      this.define(name, type);
    } while (this.accept(','));
    this.expect(';');
  }

  private block(): void {
    const kind = this.ident();
    this.expect('{');
    this.scopes.push(new Map());
    const entries: Assignment[] = [];
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail(`unterminated ${kind} block`);
      if (this.is('typealias')) { this.typealias(); continue; }
      if (this.is('typedef')) { this.typedef(); continue; }
      entries.push(this.assignment());
    }
    this.expect('}');
    this.scopes.pop();
    this.expect(';');
    switch (kind) {
      case 'trace':
        if (this.traceAssignments) this.fail('more than one trace block');
        this.traceAssignments = entries;
        break;
      case 'env':
        for (const e of entries) {
          if (!e.value) continue;
          this.env.set(e.key, e.value.kind === 'int' ? e.value.value : e.value.value);
        }
        break;
      case 'clock': this.clock(entries); break;
      case 'stream': this.streamBlocks.push(entries); break;
      case 'event': this.eventBlocks.push(entries); break;
      default: break; // callsite: informative only
    }
  }

  private assignment(): Assignment {
    const line = this.peek().line;
    const parts = [this.ident()];
    while (this.accept('.')) parts.push(this.ident());
    const key = parts.join('.');
    let out: Assignment;
    if (this.accept(':=')) {
      const base = this.typeSpecifier('alias');
      out = { key, type: this.abstractDims(base), line };
    } else {
      this.expect('=');
      out = { key, value: this.value(), line };
    }
    this.expect(';');
    return out;
  }

  private value(): Value {
    const t = this.peek();
    if (t.kind === 'string') { this.i++; return { kind: 'string', value: t.text }; }
    if (t.kind === 'int') { this.i++; return { kind: 'int', value: t.value! }; }
    if (this.is('-') || this.is('+')) {
      const neg = this.next().text === '-';
      const n = this.peek();
      if (n.kind !== 'int') this.fail(`expected a number after "${neg ? '-' : '+'}"`);
      this.i++;
      return { kind: 'int', value: neg ? -n.value! : n.value! };
    }
    if (t.kind === 'ident') {
      const parts = [this.ident()];
      while (this.accept('.')) parts.push(this.ident());
      return { kind: 'ident', value: parts.join('.') };
    }
    this.fail(`expected a value but found ${describe(t)}`);
  }

  // ---- types ----
  /**
   * Parses a type specifier. In 'decl' mode a list of names keeps its last
   * name for the declarator (`uint32_t len;`); in 'alias' mode it takes all.
   */
  private typeSpecifier(mode: 'decl' | 'alias'): FieldType {
    while (QUALIFIERS.has(this.peek().text) && this.peek().kind === 'ident') this.i++;
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected a type but found ${describe(t)}`);
    switch (t.text) {
      case 'integer': this.i++; return this.integer();
      case 'floating_point': this.i++; return this.float();
      case 'string': this.i++; return this.string();
      case 'enum': this.i++; return this.enumType();
      case 'struct': this.i++; return this.struct();
      case 'variant': this.i++; return this.variant();
    }
    const names: string[] = [];
    while (this.peek().kind === 'ident' && !TYPE_KEYWORDS.has(this.peek().text)) names.push(this.ident());
    if (mode === 'decl' && names.length > 1) { names.pop(); this.i--; }
    const name = names.join(' ');
    const found = this.lookup(name);
    if (!found) this.fail(`unknown type "${name}"`, t);
    return found;
  }

  private attributes(): Assignment[] {
    this.expect('{');
    const out: Assignment[] = [];
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail('unterminated attribute list');
      out.push(this.assignment());
    }
    this.expect('}');
    return out;
  }

  private integer(): IntegerType {
    const attrs = this.attributes();
    const size = intAttr(attrs, 'size');
    if (size === undefined) this.fail('integer without size');
    if (size < 1 || size > 64) this.fail(`integer size ${size} is outside 1..64`);
    const t: IntegerType = {
      kind: 'int', size, align: size % 8 === 0 ? 8 : 1, signed: false,
      byteOrder: 'native', base: 10, encoding: 'none',
    };
    for (const a of attrs) {
      const v = a.value;
      switch (a.key) {
        case 'size': break;
        case 'align': t.align = this.alignValue(a); break;
        case 'signed': t.signed = this.boolValue(a); break;
        case 'byte_order': t.byteOrder = this.byteOrder(a); break;
        case 'base':
          if (v?.kind === 'int' && [2n, 8n, 10n, 16n].includes(v.value)) t.base = Number(v.value) as 2 | 8 | 10 | 16;
          else if (v?.kind === 'ident' && BASES[v.value]) t.base = BASES[v.value];
          else this.failAt(a, 'bad integer base');
          break;
        case 'encoding': t.encoding = this.encoding(a); break;
        case 'map': {
          const m = v?.kind === 'ident' ? /^clock\.([A-Za-z_][A-Za-z0-9_]*)\.value$/.exec(v.value) : null;
          if (!m) this.failAt(a, 'map must be clock.NAME.value');
          t.clock = m[1];
          break;
        }
        default: break;
      }
    }
    return t;
  }

  private float(): FloatType {
    const attrs = this.attributes();
    const expDig = intAttr(attrs, 'exp_dig');
    const mantDig = intAttr(attrs, 'mant_dig');
    if (expDig === undefined || mantDig === undefined) this.fail('floating_point needs exp_dig and mant_dig');
    if (!((expDig === 8 && mantDig === 24) || (expDig === 11 && mantDig === 53))) {
      this.fail(`unsupported floating_point (exp_dig ${expDig}, mant_dig ${mantDig}): only 32- and 64-bit IEEE 754`);
    }
    const t: FloatType = { kind: 'float', expDig, mantDig, align: 8, byteOrder: 'native' };
    for (const a of attrs) {
      if (a.key === 'align') t.align = this.alignValue(a);
      else if (a.key === 'byte_order') t.byteOrder = this.byteOrder(a);
    }
    return t;
  }

  private string(): FieldType {
    if (!this.is('{')) return { kind: 'string', encoding: 'UTF8' };
    const attrs = this.attributes();
    const enc = attrs.find((a) => a.key === 'encoding');
    return { kind: 'string', encoding: enc ? this.encoding(enc) : 'UTF8' };
  }

  private enumType(): FieldType {
    let name: string | undefined;
    if (this.peek().kind === 'ident') name = this.ident();
    let container: FieldType | undefined;
    if (this.accept(':')) container = this.typeSpecifier('alias');
    if (!this.is('{')) {
      if (!name) this.fail('enum without a name or a body');
      const found = this.lookup(`enum ${name}`);
      if (!found) this.fail(`unknown enum "${name}"`);
      return found;
    }
    container ??= this.lookup('int');
    if (!container) this.fail('enum without a container type and no "int" type declared');
    if (container.kind !== 'int') this.fail('enum container must be an integer type');
    this.expect('{');
    const mappings: EnumMapping[] = [];
    let nextValue = 0n;
    while (!this.is('}')) {
      const t = this.next();
      if (t.kind !== 'ident' && t.kind !== 'string') this.fail(`expected an enumerator but found ${describe(t)}`, t);
      let lo = nextValue;
      let hi = nextValue;
      if (this.accept('=')) {
        lo = this.intValue();
        hi = this.accept('...') ? this.intValue() : lo;
      }
      if (hi < lo) [lo, hi] = [hi, lo];
      mappings.push({ label: t.text, lo, hi });
      nextValue = hi + 1n;
      if (!this.accept(',')) break;
    }
    this.expect('}');
    const e: FieldType = { kind: 'enum', container, mappings };
    if (name) this.define(`enum ${name}`, e);
    return e;
  }

  private intValue(): bigint {
    const v = this.value();
    if (v.kind !== 'int') this.fail('expected an integer');
    return v.value;
  }

  private struct(): FieldType {
    let name: string | undefined;
    if (this.peek().kind === 'ident' && this.peek().text !== 'align') name = this.ident();
    if (!this.is('{')) {
      if (!name) this.fail('struct without a name or a body');
      const found = this.lookup(`struct ${name}`);
      if (!found) this.fail(`unknown struct "${name}"`);
      return found;
    }
    const fields = this.fieldList();
    const s: StructType = { kind: 'struct', fields, minAlign: 1 };
    if (this.is('align') && this.is('(', 1)) {
      this.i += 2;
      s.minAlign = Number(this.intValue());
      if (!isPow2(s.minAlign)) this.fail('struct align must be a power of two');
      this.expect(')');
    }
    if (name) this.define(`struct ${name}`, s);
    return s;
  }

  private variant(): FieldType {
    let name: string | undefined;
    if (this.peek().kind === 'ident') name = this.ident();
    let tag: string | undefined;
    if (this.accept('<')) {
      const parts = [this.ident()];
      while (this.accept('.')) parts.push(this.ident());
      tag = parts.join('.');
      this.expect('>');
    }
    if (!this.is('{')) {
      if (!name) this.fail('variant without a name or a body');
      const found = this.lookup(`variant ${name}`);
      if (!found || found.kind !== 'variant') this.fail(`unknown variant "${name}"`);
      return tag ? { ...found, tag } : found;
    }
    const options = this.fieldList();
    const v: VariantType = { kind: 'variant', tag, options };
    if (name) this.define(`variant ${name}`, v);
    return v;
  }

  private fieldList(): Field[] {
    this.expect('{');
    this.scopes.push(new Map());
    const fields: Field[] = [];
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail('unterminated struct or variant');
      if (this.is('typealias')) { this.typealias(); continue; }
      if (this.is('typedef')) { this.typedef(); continue; }
      const base = this.typeSpecifier('decl');
      if (this.accept(';')) continue; // a named type declared inside, no field
      do {
        const f = this.declarator(base);
        if (fields.some((x) => x.name === f.name)) this.fail(`duplicate field "${f.name}"`);
        fields.push(f);
      } while (this.accept(','));
      this.expect(';');
    }
    this.expect('}');
    this.scopes.pop();
    assignKeys(fields);
    return fields;
  }

  /** `name`, `name[4]`, `name[len]`, `name[2][n]`... */
  private declarator(base: FieldType): Field {
    const name = this.ident();
    return { name, key: name, type: this.abstractDims(base) };
  }

  private abstractDims(base: FieldType): FieldType {
    const dims: ({ n: number } | { ref: string })[] = [];
    while (this.accept('[')) {
      const t = this.peek();
      if (t.kind === 'int') {
        this.i++;
        if (t.value! > 0xffffffffn) this.fail('array length too large');
        dims.push({ n: Number(t.value) });
      } else {
        const parts = [this.ident()];
        while (this.accept('.')) parts.push(this.ident());
        dims.push({ ref: parts.join('.') });
      }
      this.expect(']');
    }
    let type = base;
    for (let d = dims.length - 1; d >= 0; d--) {
      const dim = dims[d];
      type = 'n' in dim
        ? { kind: 'array', element: type, length: dim.n }
        : { kind: 'sequence', element: type, lengthRef: dim.ref };
    }
    return type;
  }

  // ---- attribute values ----
  private failAt(a: Assignment, msg: string): never {
    throw new TsdlSyntaxError(a.line, `${a.key}: ${msg}`);
  }
  private alignValue(a: Assignment): number {
    if (a.value?.kind !== 'int' || !isPow2(Number(a.value.value))) this.failAt(a, 'align must be a power of two');
    return Number(a.value.value);
  }
  private boolValue(a: Assignment): boolean {
    const v = a.value;
    if (v?.kind === 'int') return v.value !== 0n;
    if (v?.kind === 'ident') {
      if (/^(true|TRUE)$/.test(v.value)) return true;
      if (/^(false|FALSE)$/.test(v.value)) return false;
    }
    this.failAt(a, 'expected true or false');
  }
  private byteOrder(a: Assignment): ByteOrder | 'native' {
    const v = a.value?.kind === 'ident' ? a.value.value : '';
    if (v === 'le' || v === 'little') return 'le';
    if (v === 'be' || v === 'big' || v === 'network') return 'be';
    if (v === 'native') return 'native';
    this.failAt(a, `bad byte order "${v}"`);
  }
  private encoding(a: Assignment): Encoding {
    const v = a.value?.kind === 'ident' ? a.value.value : '';
    if (v === 'none' || v === 'UTF8' || v === 'ASCII') return v;
    this.failAt(a, `bad encoding "${v}"`);
  }

  private clock(entries: Assignment[]): void {
    const c: ClockClass = { name: '', freq: 1000000000n, offsetSeconds: 0n, offsetCycles: 0n, precision: 0n, absolute: false };
    for (const e of entries) {
      const v = e.value;
      if (!v) continue;
      switch (e.key) {
        case 'name': c.name = String(v.value); break;
        case 'uuid': if (v.kind === 'string') c.uuid = v.value; break;
        case 'description': if (v.kind === 'string') c.description = v.value; break;
        case 'freq':
          if (v.kind !== 'int' || v.value <= 0n) this.failAt(e, 'clock freq must be a positive integer');
          c.freq = v.value; break;
        case 'precision': if (v.kind === 'int') c.precision = v.value; break;
        case 'offset_s': if (v.kind !== 'int') this.failAt(e, 'expected an integer'); c.offsetSeconds = v.value; break;
        case 'offset': if (v.kind !== 'int') this.failAt(e, 'expected an integer'); c.offsetCycles = v.value; break;
        case 'absolute': c.absolute = this.boolValue(e); break;
      }
    }
    if (!c.name) throw new TsdlSyntaxError(entries[0]?.line ?? 0, 'clock without a name');
    this.clocks.set(c.name, c);
  }

  // ---- assembly ----
  private build(): TraceClass {
    const ta = this.traceAssignments ?? [];
    const bo = ta.find((a) => a.key === 'byte_order');
    const trace: TraceClass = {
      byteOrder: bo ? resolvedOrder(this.byteOrder(bo)) : 'le',
      env: this.env, clocks: this.clocks, streams: new Map(),
    };
    if (!bo && !this.traceAssignments) throw new TsdlSyntaxError(1, 'metadata has no trace block');
    if (!bo) throw new TsdlSyntaxError(1, 'trace block has no byte_order');
    for (const a of ta) {
      if (a.key === 'major' && a.value?.kind === 'int') trace.major = Number(a.value.value);
      else if (a.key === 'minor' && a.value?.kind === 'int') trace.minor = Number(a.value.value);
      else if (a.key === 'uuid' && a.value?.kind === 'string') trace.uuid = a.value.value;
      else if (a.key === 'packet.header') trace.packetHeader = this.structAt(a);
    }
    for (const entries of this.streamBlocks) {
      const s: StreamClass = { id: 0, events: new Map() };
      for (const a of entries) {
        if (a.key === 'id') s.id = this.numberAt(a);
        else if (a.key === 'packet.context') s.packetContext = this.structAt(a);
        else if (a.key === 'event.header') s.eventHeader = this.structAt(a);
        else if (a.key === 'event.context') s.eventContext = this.structAt(a);
      }
      if (trace.streams.has(s.id)) throw new TsdlSyntaxError(entries[0]?.line ?? 0, `stream id ${s.id} declared twice`);
      trace.streams.set(s.id, s);
    }
    for (const entries of this.eventBlocks) {
      const e: EventClass = { id: 0, name: '', streamId: -1 };
      for (const a of entries) {
        switch (a.key) {
          case 'name': if (a.value) e.name = String(a.value.value); break;
          case 'id': e.id = this.numberAt(a); break;
          case 'stream_id': e.streamId = this.numberAt(a); break;
          case 'loglevel': e.loglevel = this.numberAt(a); break;
          case 'model.emf.uri': if (a.value?.kind === 'string') e.modelEmfUri = a.value.value; break;
          case 'context': e.context = this.structAt(a); break;
          case 'fields': e.payload = this.structAt(a); break;
        }
      }
      if (e.streamId < 0) {
        if (trace.streams.size > 1) throw new TsdlSyntaxError(entries[0]?.line ?? 0, `event "${e.name}" has no stream_id and there are several streams`);
        e.streamId = trace.streams.size === 1 ? [...trace.streams.keys()][0] : 0;
      }
      let s = trace.streams.get(e.streamId);
      if (!s) {
        if (trace.streams.size > 0) throw new TsdlSyntaxError(entries[0]?.line ?? 0, `event "${e.name}" refers to unknown stream ${e.streamId}`);
        s = { id: e.streamId, events: new Map() };
        trace.streams.set(s.id, s);
      }
      if (s.events.has(e.id)) throw new TsdlSyntaxError(entries[0]?.line ?? 0, `event id ${e.id} declared twice in stream ${s.id}`);
      s.events.set(e.id, e);
    }
    resolveNative(trace);
    return trace;
  }

  private structAt(a: Assignment): StructType {
    if (a.type?.kind !== 'struct') throw new TsdlSyntaxError(a.line, `${a.key} must be a struct`);
    return a.type;
  }
  private numberAt(a: Assignment): number {
    if (a.value?.kind !== 'int') this.failAt(a, 'expected an integer');
    return Number(a.value.value);
  }
}

function intAttr(attrs: Assignment[], key: string): number | undefined {
  const a = attrs.find((x) => x.key === key);
  if (!a) return undefined;
  if (a.value?.kind !== 'int') throw new TsdlSyntaxError(a.line, `${key} must be an integer`);
  return Number(a.value.value);
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function resolvedOrder(o: ByteOrder | 'native'): ByteOrder {
  return o === 'native' ? 'le' : o;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of metadata';
  if (t.kind === 'string') return `string "${t.text}"`;
  return `"${t.text}"`;
}

/** Replaces 'native' byte orders by the trace's, in every reachable type. */
function resolveNative(trace: TraceClass): void {
  const seen = new Set<FieldType>();
  const visit = (t: FieldType | undefined): void => {
    if (!t || seen.has(t)) return;
    seen.add(t);
    switch (t.kind) {
      case 'int':
      case 'float':
        if (t.byteOrder === 'native') t.byteOrder = trace.byteOrder;
        break;
      case 'enum': visit(t.container); break;
      case 'struct': for (const f of t.fields) visit(f.type); break;
      case 'variant': for (const f of t.options) visit(f.type); break;
      case 'array':
      case 'sequence': visit(t.element); break;
    }
  };
  visit(trace.packetHeader);
  for (const s of trace.streams.values()) {
    visit(s.packetContext); visit(s.eventHeader); visit(s.eventContext);
    for (const e of s.events.values()) { visit(e.context); visit(e.payload); }
  }
}

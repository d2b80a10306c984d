/**
 * Compiles a scope's struct type into a specialised JavaScript decoder
 * (one straight-line function per scope, built once per trace), so the hot
 * loop never interprets types or compares field names. Field references
 * (sequence lengths, variant tags) and field meanings (event id, clock
 * values) are resolved here, at compile time.
 */
import * as bits from './bits.js';
import { SCOPES, type DecodeState } from './state.js';
import { alignOf, type EnumType, type FieldType, type IntegerType, type StructType } from '../tsdl/types.js';

export type ScopeDecoder = (s: DecodeState) => unknown;

/** What a scope's decoder reports besides values. */
export interface ScopeRole {
  /** Index in SCOPES. */
  scope: number;
  /** The struct types of the scopes decoded before this one (for absolute and fallback references). */
  earlier: (StructType | undefined)[];
}

interface Frame {
  vars: Map<string, { expr: string; type: FieldType }>;
}

class Emitter {
  lines: string[] = [];
  n = 0;
  extra: unknown[] = [];
  frames: Frame[] = [];
  constructor(readonly role: ScopeRole) {}

  v(): string { return `v${this.n++}`; }
  helper(x: unknown): string { this.extra.push(x); return `X${this.extra.length - 1}`; }
  out(s: string): void { this.lines.push(s); }
  fail(what: string): string { return `S.short(p, ${JSON.stringify(what)})`; }

  align(a: number): void {
    if (a > 1) this.out(`{ const m = p & ${a - 1}; if (m !== 0) p += ${a} - m; }`);
  }
  check(bitsExpr: string, what: string): void {
    this.out(`if (p + ${bitsExpr} > end) ${this.fail(what)};`);
  }
}

export function compileScope(type: StructType, role: ScopeRole, name: string): ScopeDecoder {
  const e = new Emitter(role);
  const root = emit(e, type, name);
  const extras = e.extra.map((_, i) => `const X${i} = extra[${i}];`).join('\n');
  const src = `
const { readBitsLE, readBitsBE, readBitsAny, readU64, readS64, readFloatBits, signExtend } = H;
${extras}
return function decode_${name.replace(/\W/g, '_')}(S) {
const buf = S.buf, dv = S.dv, end = S.end;
let p = S.pos;
${e.lines.join('\n')}
S.pos = p;
return ${root};
};`;
  return new Function('H', 'extra', src)(bits, e.extra) as ScopeDecoder;
}

function emit(e: Emitter, t: FieldType, fieldName: string): string {
  switch (t.kind) {
    case 'int': return emitInt(e, t, fieldName);
    case 'enum': return emitInt(e, t.container, fieldName);
    case 'float': return emitFloat(e, t);
    case 'string': return emitString(e);
    case 'struct': return emitStruct(e, t);
    case 'array': return emitArray(e, t.element, String(t.length), false);
    case 'sequence': {
      const ref = resolveRef(e, t.lengthRef);
      const inner = ref.type.kind === 'enum' ? ref.type.container : ref.type;
      if (inner.kind !== 'int' || inner.signed) throw new Error(`sequence length "${t.lengthRef}" is not an unsigned integer`);
      return emitArray(e, t.element, ref.expr, true);
    }
    case 'variant': return emitVariant(e, t);
  }
}

function emitInt(e: Emitter, t: IntegerType, fieldName: string): string {
  const v = e.v();
  const le = t.byteOrder === 'le';
  const { size, signed } = t;
  e.align(t.align);
  e.check(String(size), `integer field "${fieldName}" crosses the end of the packet`);
  const aligned = t.align >= 8;
  let read: string;
  if (aligned && (size === 8 || size === 16 || size === 32)) {
    const fn = `get${signed ? 'Int' : 'Uint'}${size}`;
    read = size === 8 ? `dv.${fn}(p >>> 3)` : `dv.${fn}(p >>> 3, ${le})`;
  } else if (aligned && size === 64) {
    read = `${signed ? 'readS64' : 'readU64'}(dv, p >>> 3, ${le})`;
  } else if (size <= 32) {
    const u = `${le ? 'readBitsLE' : 'readBitsBE'}(buf, p, ${size})`;
    read = signed ? `signExtend(${u}, ${size})` : u;
  } else {
    read = `readBitsAny(buf, p, ${size}, ${le}, ${signed})`;
  }
  e.out(`const ${v} = ${read}; p += ${size};`);
  if (e.role.scope === 2 && fieldName === 'id') e.out(`S.eventId = typeof ${v} === 'number' ? ${v} : -1;`);
  if (t.clock !== undefined && e.role.scope >= 2) e.out(`S.clock(${v}, ${size});`);
  return v;
}

function emitFloat(e: Emitter, t: { align: number; byteOrder: string; mantDig: number }): string {
  const v = e.v();
  const size = t.mantDig === 24 ? 32 : 64;
  const le = t.byteOrder === 'le';
  e.align(t.align);
  e.check(String(size), 'floating point field crosses the end of the packet');
  const read = t.align >= 8 ? `dv.getFloat${size}(p >>> 3, ${le})` : `readFloatBits(buf, p, ${size}, ${le})`;
  e.out(`const ${v} = ${read}; p += ${size};`);
  return v;
}

function emitString(e: Emitter): string {
  const v = e.v();
  e.align(8);
  e.out(`let ${v};`);
  e.out(`{ const i = p >>> 3; const j = buf.indexOf(0, i);`);
  e.out(`  if (j < 0 || j * 8 + 8 > end) ${e.fail('string without its terminating NUL before the end of the packet')};`);
  e.out(`  ${v} = buf.latin1Slice(i, j); p = j * 8 + 8; }`);
  return v;
}

function emitStruct(e: Emitter, t: StructType): string {
  e.align(alignOf(t));
  const frame: Frame = { vars: new Map() };
  e.frames.push(frame);
  const parts: string[] = [];
  for (const f of t.fields) {
    if (f.key === '__proto__') throw new Error('a field named __proto__ is not supported');
    const v = emit(e, f.type, f.name);
    frame.vars.set(f.name, { expr: v, type: f.type });
    parts.push(`${JSON.stringify(f.key)}: ${v}`);
  }
  e.frames.pop();
  const v = e.v();
  e.out(`const ${v} = { ${parts.join(', ')} };`);
  return v;
}

/** Smallest number of bits an instance of the type can take (to bound lengths before allocating). */
function minBits(t: FieldType): number {
  switch (t.kind) {
    case 'int': return t.size;
    case 'enum': return t.container.size;
    case 'float': return t.mantDig === 24 ? 32 : 64;
    case 'string': return 8;
    case 'struct': return t.fields.reduce((s, f) => s + minBits(f.type), 0);
    case 'array': return t.length * minBits(t.element);
    case 'sequence': return 0;
    case 'variant': return Math.min(...t.options.map((o) => minBits(o.type)), Infinity) || 0;
  }
}

function isText(t: FieldType): boolean {
  return t.kind === 'int' && t.size === 8 && t.align >= 8 && t.encoding !== 'none';
}

function emitArray(e: Emitter, elem: FieldType, lenExpr: string, dynamic: boolean): string {
  const v = e.v();
  const len = e.v();
  e.out(`const ${len} = ${lenExpr};`);
  if (dynamic) e.out(`if (typeof ${len} !== 'number') S.fail(p, 'sequence length ' + ${len} + ' is too large');`);
  e.align(alignOf(elem));
  const min = Math.max(minBits(elem), 1);
  const what = dynamic
    ? `'sequence length ' + ${len} + ' goes beyond the end of the packet'`
    : `'array of ' + ${len} + ' elements goes beyond the end of the packet'`;
  e.out(`if (${len} * ${min} > end - p) S.short(p, ${what});`);
  if (isText(elem)) {
    // 8-bit integers with an encoding read as text up to the first NUL.
    e.out(`let ${v}; { const i = p >>> 3; let j = buf.indexOf(0, i); if (j < 0 || j > i + ${len}) j = i + ${len};`);
    e.out(`  ${v} = buf.latin1Slice(i, j); p += ${len} * 8; }`);
    return v;
  }
  e.out(`const ${v} = new Array(${len});`);
  const k = e.v();
  e.out(`for (let ${k} = 0; ${k} < ${len}; ${k}++) {`);
  const item = emit(e, elem, '');
  e.out(`${v}[${k}] = ${item};`);
  e.out('}');
  return v;
}

function emitVariant(e: Emitter, t: { tag: string | undefined; options: { name: string; key: string; type: FieldType }[] }): string {
  if (!t.tag) throw new Error('variant without a tag');
  const ref = resolveRef(e, t.tag);
  if (ref.type.kind !== 'enum') throw new Error(`variant tag "${t.tag}" is not an enumeration`);
  const select = e.helper(selector(ref.type, t.options.map((o) => o.name)));
  const v = e.v();
  e.out(`let ${v};`);
  e.out(`switch (${select}(${ref.expr})) {`);
  t.options.forEach((o, i) => {
    e.out(`case ${i}: {`);
    const x = emit(e, o.type, o.name);
    e.out(`${v} = { ${JSON.stringify(o.key)}: ${x} }; break; }`);
  });
  e.out(`default: S.fail(p, 'variant tag value ' + ${ref.expr} + ' selects no option');`);
  e.out('}');
  return v;
}

/** Maps a tag value to the index of the option named like its enum label. */
function selector(tag: EnumType, options: string[]): (v: number | bigint) => number {
  const ranges = tag.mappings.map((m) => {
    let idx = options.indexOf(m.label);
    if (idx < 0) idx = options.indexOf('_' + m.label);
    return { lo: m.lo, hi: m.hi, idx };
  });
  const small = ranges.every((r) => r.lo >= -(2n ** 52n) && r.hi <= 2n ** 52n);
  if (small) {
    const rs = ranges.map((r) => ({ lo: Number(r.lo), hi: Number(r.hi), idx: r.idx }));
    return (v) => {
      for (let i = 0; i < rs.length; i++) if (v >= rs[i].lo && v <= rs[i].hi) return rs[i].idx;
      return -1;
    };
  }
  return (v) => {
    const b = BigInt(v);
    for (const r of ranges) if (b >= r.lo && b <= r.hi) return r.idx;
    return -1;
  };
}

/** Resolves a sequence-length or variant-tag path to an expression and its type. */
function resolveRef(e: Emitter, path: string): { expr: string; type: FieldType } {
  const parts = path.split('.');
  for (let s = 0; s < SCOPES.length; s++) {
    const prefix = SCOPES[s].split('.');
    if (parts.length > prefix.length && prefix.every((x, i) => parts[i] === x)) {
      const rest = parts.slice(prefix.length);
      if (s === e.role.scope) return walkFrames(e, [e.frames[0]], rest, path);
      const st = e.role.earlier[s];
      if (s > e.role.scope || !st) throw new Error(`field reference "${path}" points to a scope not decoded yet`);
      return walkType(`S.scopes[${s}]`, st, rest, path);
    }
  }
  const local = tryFrames(e, e.frames, parts);
  if (local) return local;
  for (let s = e.role.scope - 1; s >= 0; s--) {
    const st = e.role.earlier[s];
    if (st && st.fields.some((f) => f.name === parts[0])) return walkType(`S.scopes[${s}]`, st, parts, path);
  }
  throw new Error(`field reference "${path}" matches no earlier field`);
}

function walkFrames(e: Emitter, frames: Frame[], parts: string[], path: string): { expr: string; type: FieldType } {
  const r = tryFrames(e, frames, parts);
  if (!r) throw new Error(`field reference "${path}" matches no earlier field`);
  return r;
}

function tryFrames(_e: Emitter, frames: Frame[], parts: string[]): { expr: string; type: FieldType } | undefined {
  for (let f = frames.length - 1; f >= 0; f--) {
    const hit = frames[f].vars.get(parts[0]);
    if (!hit) continue;
    if (parts.length === 1) return hit;
    if (hit.type.kind !== 'struct') return undefined;
    return walkType(hit.expr, hit.type, parts.slice(1), parts.join('.'));
  }
  return undefined;
}

function walkType(expr: string, st: StructType, parts: string[], path: string): { expr: string; type: FieldType } {
  let type: FieldType = st;
  for (const part of parts) {
    if (type.kind !== 'struct') throw new Error(`field reference "${path}" goes through a non-struct field`);
    const f: { name: string; key: string; type: FieldType } | undefined = type.fields.find((x) => x.name === part);
    if (!f) throw new Error(`field reference "${path}" matches no field`);
    expr += `[${JSON.stringify(f.key)}]`;
    type = f.type;
  }
  return { expr, type };
}

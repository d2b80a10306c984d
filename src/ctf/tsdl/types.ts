/** The CTF 1.8 type model that TSDL compiles to (one object per declared type). */

export type ByteOrder = 'le' | 'be';
export type Encoding = 'none' | 'UTF8' | 'ASCII';

export interface IntegerType {
  kind: 'int';
  size: number;
  align: number;
  signed: boolean;
  /** 'native' is replaced by the trace's byte order once the whole metadata is read. */
  byteOrder: ByteOrder | 'native';
  base: 2 | 8 | 10 | 16;
  encoding: Encoding;
  /** Name of the clock this integer is mapped to (`map = clock.NAME.value`). */
  clock?: string;
}

export interface FloatType {
  kind: 'float';
  expDig: number;
  mantDig: number;
  align: number;
  byteOrder: ByteOrder | 'native';
}

export interface EnumMapping {
  label: string;
  lo: bigint;
  hi: bigint;
}

export interface EnumType {
  kind: 'enum';
  container: IntegerType;
  mappings: EnumMapping[];
}

export interface StringType {
  kind: 'string';
  encoding: Encoding;
}

export interface Field {
  /** The name as written in the metadata (LTTng prefixes every field with `_`). */
  name: string;
  /**
   * The key of the field in decoded objects: the name without one leading
   * underscore (as babeltrace2 shows it), unless that would clash with a
   * sibling, then the name itself.
   */
  key: string;
  type: FieldType;
}

/** Sets each field's decoded-object key (see Field.key). */
export function assignKeys(fields: Field[]): void {
  const names = new Set(fields.map((f) => f.name));
  const keys = new Set<string>();
  for (const f of fields) {
    const stripped = f.name.startsWith('_') ? f.name.slice(1) : f.name;
    f.key = stripped !== f.name && !names.has(stripped) && !keys.has(stripped) && stripped !== '__proto__' ? stripped : f.name;
    keys.add(f.key);
  }
}

export interface StructType {
  kind: 'struct';
  fields: Field[];
  /** Minimum alignment from `align(n)` after the struct body. */
  minAlign: number;
}

export interface VariantType {
  kind: 'variant';
  /** Path of the tag field as written (relative or absolute, dotted). */
  tag: string | undefined;
  options: Field[];
}

export interface ArrayType {
  kind: 'array';
  element: FieldType;
  length: number;
}

export interface SequenceType {
  kind: 'sequence';
  element: FieldType;
  /** Path of the length field as written. */
  lengthRef: string;
}

export type FieldType =
  | IntegerType
  | FloatType
  | EnumType
  | StringType
  | StructType
  | VariantType
  | ArrayType
  | SequenceType;

/** Alignment in bits of a type, as CTF 1.8 defines it. */
export function alignOf(t: FieldType): number {
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.align;
    case 'enum':
      return t.container.align;
    case 'string':
      return 8;
    case 'struct': {
      let a = Math.max(1, t.minAlign);
      for (const f of t.fields) a = Math.max(a, alignOf(f.type));
      return a;
    }
    case 'variant':
      return 1; // a variant is aligned as its selected option
    case 'array':
    case 'sequence':
      return alignOf(t.element);
  }
}

export interface ClockClass {
  name: string;
  freq: bigint;
  offsetSeconds: bigint;
  offsetCycles: bigint;
  precision: bigint;
  absolute: boolean;
  uuid?: string;
  description?: string;
}

export interface EventClass {
  id: number;
  name: string;
  streamId: number;
  loglevel?: number;
  modelEmfUri?: string;
  context?: StructType;
  payload?: StructType;
}

export interface StreamClass {
  id: number;
  packetContext?: StructType;
  eventHeader?: StructType;
  eventContext?: StructType;
  events: Map<number, EventClass>;
}

export interface TraceClass {
  major?: number;
  minor?: number;
  uuid?: string;
  byteOrder: ByteOrder;
  packetHeader?: StructType;
  env: Map<string, string | bigint>;
  clocks: Map<string, ClockClass>;
  streams: Map<number, StreamClass>;
}

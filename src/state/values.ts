/**
 * State values: null, 32-bit integer, 64-bit integer (bigint, exact),
 * double, string. A JS number that is a 32-bit integer is stored as an
 * integer, any other number as a double, so what is read back is the same
 * JS value that was written.
 */
export type StateValue = null | number | bigint | string;

export const enum ValueTag {
  Null = 0,
  Int = 1,
  Long = 2,
  Double = 3,
  String = 4,
}

export function tagOf(v: StateValue): ValueTag {
  if (v === null) return ValueTag.Null;
  if (typeof v === 'number') return (v | 0) === v && !Object.is(v, -0) ? ValueTag.Int : ValueTag.Double;
  if (typeof v === 'bigint') return ValueTag.Long;
  return ValueTag.String;
}

export function sameValue(a: StateValue, b: StateValue): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

export interface Interval {
  quark: number;
  /** First time of the state (inclusive). */
  start: number;
  /** Last time of the state (inclusive). */
  end: number;
  value: StateValue;
}

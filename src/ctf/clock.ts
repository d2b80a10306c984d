/**
 * Clock arithmetic. Cycle counts and offsets exceed 2^53, so conversions to
 * nanoseconds from the origin are done on bigints, the way babeltrace2 does
 * them (whole seconds and cycles converted apart, cycles through a double
 * when the frequency is not 1 GHz).
 */
import type { ClockClass } from './tsdl/types.js';

const NS = 1000000000n;

export function cyclesToNs(freq: bigint, cycles: bigint): bigint {
  if (freq === NS) return cycles;
  const neg = cycles < 0n;
  const abs = neg ? -cycles : cycles;
  const ns = BigInt(Math.trunc((1e9 * Number(abs)) / Number(freq)));
  return neg ? -ns : ns;
}

/** Nanoseconds from the clock's origin (usually the Unix epoch) of a cycle value. */
export function nsFromOrigin(clock: ClockClass | undefined, cycles: bigint): bigint {
  if (!clock) return cycles;
  return clock.offsetSeconds * NS + cyclesToNs(clock.freq, clock.offsetCycles) + cyclesToNs(clock.freq, cycles);
}

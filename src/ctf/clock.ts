/**
 * Clock arithmetic, done as babeltrace2 does it so printed times match: the
 * offset is normalised (whole seconds moved out of the cycles), then the
 * offset and the value are converted to ns apart, exactly at 1 GHz and
 * through a double (truncated) at other frequencies. Values exceed 2^53, so
 * this works on bigints.
 */
import type { ClockClass } from './tsdl/types.js';

const NS = 1000000000n;

export function cyclesToNs(freq: bigint, cycles: bigint): bigint {
  if (freq === NS) return cycles;
  return BigInt(Math.trunc((1e9 * Number(cycles)) / Number(freq)));
}

/** ns from the origin of the clock's cycle 0 (offset_s and offset applied). */
export function clockBaseNs(clock: ClockClass | undefined): bigint {
  if (!clock) return 0n;
  let s = clock.offsetSeconds;
  let c = clock.offsetCycles;
  // floor division keeps 0 <= c < freq even for (non-standard) negative cycles
  let whole = c / clock.freq;
  if (c % clock.freq < 0n) whole -= 1n;
  s += whole;
  c -= whole * clock.freq;
  return s * NS + cyclesToNs(clock.freq, c);
}

/** ns from the clock's origin (usually the Unix epoch) of a cycle value. */
export function nsFromOrigin(clock: ClockClass | undefined, cycles: bigint): bigint {
  if (!clock) return cycles;
  return clockBaseNs(clock) + cyclesToNs(clock.freq, cycles);
}

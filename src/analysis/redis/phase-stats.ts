/**
 * Per command name, the sums of its phases over the commands Redis
 * processed: what the summary's means come from. Sums of integer ns, so
 * partial sums (one per trace) add up to exactly the sums of one pass.
 */
import type { Segment } from './model.js';

export interface PhaseStats {
  count: number;
  read: number; wait: number; exec: number; queued: number; write: number;
  /** Commands whose reply was written: the count behind `queued` and `write`. */
  written: number;
  maxTotal: number;
}

/** Adds a command's phases to its name's sums (created when new: the record keeps names in the order first met). */
export function addPhases(commands: Record<string, PhaseStats>, s: Segment): void {
  const st = (commands[s.cmd] ??= { count: 0, read: 0, wait: 0, exec: 0, queued: 0, write: 0, written: 0, maxTotal: 0 });
  st.count++;
  st.read += s.readEnd - s.readStart;
  st.wait += s.execStart - s.readEnd;
  st.exec += s.execEnd - s.execStart;
  if (s.writeStart !== undefined && s.writeEnd !== undefined) {
    st.written++;
    st.queued += s.writeStart - s.execEnd;
    st.write += s.writeEnd - s.writeStart;
    st.maxTotal = Math.max(st.maxTotal, s.writeEnd - s.readStart);
  }
}

/** Adds sums of other commands of the same name. */
export function mergePhases(into: PhaseStats, from: PhaseStats): void {
  into.count += from.count;
  into.read += from.read;
  into.wait += from.wait;
  into.exec += from.exec;
  into.queued += from.queued;
  into.write += from.write;
  into.written += from.written;
  into.maxTotal = Math.max(into.maxTotal, from.maxTotal);
}

/** The models are written in time order: an event earlier than the one read before it is a corrupt timestamp. */
import { CtfError, type CtfEvent } from '../ctf/index.js';

export function outOfOrder(ev: CtfEvent, t: number, last: number): never {
  throw new CtfError(ev.stream.file, undefined, `an event at ${t} ns comes after one at ${last} ns: a corrupt timestamp (the analysis needs events in time order)`);
}

export { CtfReader } from './reader.js';
export type { ClockTransform, ReaderOptions } from './reader.js';
export { CtfError } from './errors.js';
export type { CtfEvent, Loss, PacketInfo } from './stream.js';
export { Trace, findTraces } from './trace.js';
export type * from './tsdl/types.js';

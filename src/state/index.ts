export { AttributeTree, splitPath } from './attribute-tree.js';
export { HistoryWriter, type HistoryOptions } from './history-writer.js';
export { HistoryReader, type OpenOptions } from './history-reader.js';
export { StateSystemBuilder, openOrBuild } from './state-system.js';
export { StateFileError, type StateFileProblem } from './format.js';
export type { Interval, StateValue } from './values.js';

/** A problem recording or building (missing tool, failed build, bad source): printed as one line by the CLI. */
export class RecordError extends Error {}

/**
 * Every problem with a trace's content becomes a CtfError naming the file and,
 * where it applies, the byte offset: the CLI prints its message as one line.
 */
export class CtfError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number | undefined,
    readonly what: string,
  ) {
    super(offset === undefined ? `${file}: ${what}` : `${file}: at byte ${offset}: ${what}`);
    this.name = 'CtfError';
  }
}

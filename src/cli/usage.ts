/** A mistake in the command line: printed as one line with the usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** Where redtrace keeps what it builds and downloads: $REDTRACE_CACHE, else $XDG_CACHE_HOME/redtrace, else ~/.cache/redtrace. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(...parts: string[]): string {
  const root = process.env.REDTRACE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'redtrace');
  return join(root, ...parts);
}

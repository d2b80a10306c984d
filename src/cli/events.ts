/** `redtrace events TRACE_DIR... [--format text|json]`: prints every event in time order. */
import { CtfReader } from '../ctf/reader.js';
import { PrettyPrinter } from '../ctf/sinks/pretty.js';
import { JsonPrinter } from '../ctf/sinks/json.js';
import { Output } from './output.js';
import { UsageError } from './usage.js';

export const EVENTS_USAGE = 'redtrace events TRACE_DIR... [--format text|json]';

export function eventsCommand(args: string[]): number {
  let format = 'text';
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a === '-f') {
      format = args[++i] ?? '';
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`, EVENTS_USAGE);
    } else if (a.startsWith('--format=')) {
      format = a.slice('--format='.length);
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`, EVENTS_USAGE);
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`, EVENTS_USAGE);
    } else {
      dirs.push(a);
    }
  }
  if (dirs.length === 0) throw new UsageError('give at least one trace directory', EVENTS_USAGE);
  const reader = CtfReader.open(dirs);
  const printer = format === 'json' ? new JsonPrinter(reader) : new PrettyPrinter(reader);
  const out = new Output();
  // Like babeltrace2, text mode reports losses on stderr; JSON keeps them in the stream.
  const loss = format === 'json' ? (s: string) => out.line(s) : (s: string) => out.warn(s);
  try {
    for (let ev = reader.next(); ev; ev = reader.next()) {
      for (const l of reader.takeLosses()) loss(printer.formatLoss(l));
      out.line(printer.format(ev));
    }
    for (const l of reader.takeLosses()) loss(printer.formatLoss(l));
  } finally {
    out.flush();
    reader.close();
  }
  return 0;
}

#!/usr/bin/env node
/** The `redtrace` command: dispatches to subcommands; turns every error into one line. */
import { CtfError } from '../ctf/errors.js';
import { StateFileError } from '../state/format.js';
import { eventsCommand, EVENTS_USAGE } from './events.js';
import { summaryCommand, SUMMARY_USAGE } from './summary.js';
import { redisCommand, REDIS_USAGE } from './redis.js';
import { recordCommand, RECORD_USAGE } from './record.js';
import { analyzeCommand, ANALYZE_USAGE } from './analyze.js';
import { RecordError } from '../record/errors.js';
import { UsageError } from './usage.js';

const COMMANDS: Record<string, { run: (args: string[]) => number | Promise<number>; usage: string }> = {
  events: { run: eventsCommand, usage: EVENTS_USAGE },
  summary: { run: summaryCommand, usage: SUMMARY_USAGE },
  redis: { run: redisCommand, usage: REDIS_USAGE },
  record: { run: recordCommand, usage: RECORD_USAGE },
  analyze: { run: analyzeCommand, usage: ANALYZE_USAGE },
};

function help(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(help());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) throw new UsageError(`unknown command "${cmd}"`, help());
  return c.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`redtrace: ${e.message}\n${e.usage}\n`);
      process.exitCode = 2;
    } else if (e instanceof CtfError || e instanceof RecordError || e instanceof StateFileError) {
      process.stderr.write(`redtrace: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(`redtrace: internal error: ${msg} (please report it, with REDTRACE_DEBUG=1 for details)\n`);
      if (process.env.REDTRACE_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
      process.exitCode = 70;
    }
  },
);

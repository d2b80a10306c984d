/**
 * `redtrace record [-o DIR | --relayd URL] [--profile full|light] [--subbuf-size S] [--num-subbuf N] [--blocking] -- COMMAND...`:
 * records an LTTng trace of the command, then says where it is, how many
 * events each provider gave, and whether any were lost. With --relayd the
 * trace is streamed to an lttng-relayd (one collector for several hosts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CtfReader } from '../ctf/reader.js';
import { recordSession } from '../record/session.js';
import { parseRelayd, type Relayd } from '../record/relayd.js';
import type { Profile } from '../record/profiles.js';
import { UsageError } from './usage.js';

export const RECORD_USAGE = 'redtrace record [-o DIR | --relayd net://HOST[:CTRL_PORT[:DATA_PORT]]] [--profile full|light] [--subbuf-size SIZE] [--num-subbuf N] [--blocking] -- COMMAND...';

export async function recordCommand(args: string[]): Promise<number> {
  const dash = args.indexOf('--');
  const opts = dash < 0 ? args : args.slice(0, dash);
  const command = dash < 0 ? [] : args.slice(dash + 1);
  let out: string | undefined;
  let profile: Profile = 'full';
  let subbufSize: string | undefined;
  let numSubbuf: number | undefined;
  let blocking = false;
  let relayd: Relayd | undefined;
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i];
    const value = () => {
      const v = opts[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`, RECORD_USAGE);
      return v;
    };
    if (a === '-o' || a === '--output') out = value();
    else if (a === '--profile') {
      const p = value();
      if (p !== 'full' && p !== 'light') throw new UsageError(`--profile must be full or light, not "${p}"`, RECORD_USAGE);
      profile = p;
    } else if (a === '--subbuf-size') {
      subbufSize = value();
      if (!/^\d+[kKmMgG]?$/.test(subbufSize)) throw new UsageError(`--subbuf-size must look like 512k or 4M, not "${subbufSize}"`, RECORD_USAGE);
    } else if (a === '--num-subbuf') {
      numSubbuf = Number(value());
      if (!Number.isInteger(numSubbuf) || numSubbuf < 2 || (numSubbuf & (numSubbuf - 1)) !== 0) throw new UsageError('--num-subbuf must be a power of two, at least 2', RECORD_USAGE);
    } else if (a === '--relayd') {
      const r = parseRelayd(value());
      if (typeof r === 'string') throw new UsageError(r, RECORD_USAGE);
      relayd = r;
    } else if (a === '--blocking') blocking = true;
    else throw new UsageError(`unknown option ${a}${dash < 0 ? ' (put the command after --)' : ''}`, RECORD_USAGE);
  }
  if (command.length === 0) throw new UsageError('give the command to record after --', RECORD_USAGE);
  if (relayd && out !== undefined) throw new UsageError('-o and --relayd exclude each other: the relayd chooses where the trace goes', RECORD_USAGE);
  const quiet = Boolean(process.env.CI) || !process.stderr.isTTY;
  const log = (s: string) => { if (!quiet) process.stderr.write(`redtrace: ${s}\n`); };
  if (relayd) {
    const name = `redtrace-${process.pid}-${Date.now()}`;
    // Node.js events land here only if the agent cannot send them through LTTng
    const local = resolve(join('traces', `${name}-node`));
    const r = await recordSession({ out: local, relayd, name, profile, subbufSize, numSubbuf, blocking, command, log });
    const lost = r.discardedEvents === undefined ? '' : `\ndiscarded events: ${r.discardedEvents}${r.discardedEvents ? ' — record with --subbuf-size 8M --num-subbuf 16, or --blocking' : ''}`;
    process.stderr.write(`trace: streamed to the lttng-relayd at ${relayd.url}, session ${name}: in the relayd's output folder, under ${hostname()}/${name}-DATE  (profile ${profile})${lost}\n`);
    return r.status;
  }
  const dir = resolve(out ?? join('traces', `${command[0].split('/').pop()}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  if (existsSync(dir)) throw new UsageError(`${dir} already exists: choose another -o`, RECORD_USAGE);
  mkdirSync(join(dir, '..'), { recursive: true });
  const { status } = await recordSession({ out: dir, profile, subbufSize, numSubbuf, blocking, command, log });
  report(dir, profile);
  return status;
}

function report(dir: string, profile: Profile): void {
  const red = (s: string) => (process.stderr.isTTY ? `\x1b[31m${s}\x1b[0m` : s);
  if (!existsSync(dir)) {
    process.stderr.write(`redtrace: no trace was written in ${dir} (no traced program ran?)\n`);
    return;
  }
  const perProvider = new Map<string, number>();
  let reader: CtfReader;
  try {
    reader = CtfReader.open([dir]);
  } catch {
    process.stderr.write(`trace: ${dir}\nno events recorded (is the program instrumented? For Redis: redtrace redis build)\n`);
    return;
  }
  for (let ev = reader.next(); ev; ev = reader.next()) {
    const name = ev.event.cls.name;
    const provider = name.slice(0, name.indexOf(':'));
    perProvider.set(provider, (perProvider.get(provider) ?? 0) + 1);
  }
  reader.close();
  const lines = [`trace: ${dir}  (profile ${profile})`];
  for (const [p, n] of [...perProvider].sort()) lines.push(`  ${p}: ${n} events`);
  if (perProvider.size === 0) lines.push('  no events recorded (is the program instrumented? For Redis: redtrace redis build)');
  const lost = reader.discardedEvents;
  const msg = `discarded events: ${lost}, lost packets: ${reader.lostPackets}`;
  lines.push(lost || reader.lostPackets ? red(`${msg} — record with --subbuf-size 8M --num-subbuf 16, or --blocking (slows the program instead of losing events)`) : msg);
  process.stderr.write(lines.join('\n') + '\n');
}

/**
 * One LTTng user-space session around a command: make sure a session daemon
 * runs, create the session (written locally, or streamed to an
 * lttng-relayd) and its channel, run the command, stop and destroy the
 * session when it exits (or on Ctrl-C).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordError } from './errors.js';
import { lastLine } from './redis-source.js';
import { buildAgentAddon } from './agent-addon.js';
import { CONTEXTS, PROFILES, type Profile } from './profiles.js';
import { checkRelayd, type Relayd } from './relayd.js';

export interface SessionOptions {
  /** Trace folder; with `relayd`, only where Node.js events go if the agent's LTTng addon cannot be built. */
  out: string;
  /** Stream to this lttng-relayd instead of writing `out`. */
  relayd?: Relayd;
  /** Session name (the relayd names its folder after it). */
  name?: string;
  profile: Profile;
  subbufSize?: string;
  numSubbuf?: number;
  /** Block the traced program instead of discarding events when buffers are full. */
  blocking?: boolean;
  command: string[];
  log: (s: string) => void;
}

function lttng(args: string[], what: string): string {
  const r = spawnSync('lttng', args, { encoding: 'utf8' });
  if (r.error) throw new RecordError(`cannot run lttng (${(r.error as NodeJS.ErrnoException).code}): install lttng-tools (npm run setup)`);
  if (r.status !== 0) throw new RecordError(`${what} failed: ${lastLine(r.stderr || r.stdout)}`);
  return r.stdout;
}

export function ensureSessionDaemon(log: (s: string) => void): void {
  const r = spawnSync('lttng', ['list'], { encoding: 'utf8' });
  if (r.error) throw new RecordError('lttng is not installed: install lttng-tools and liblttng-ust-dev (npm run setup)');
  if (r.status === 0) return;
  log('no LTTng session daemon runs: starting one (lttng-sessiond --daemonize --no-kernel)');
  const s = spawnSync('lttng-sessiond', ['--daemonize', '--no-kernel'], { encoding: 'utf8' });
  if (s.error || s.status !== 0) throw new RecordError(`cannot start lttng-sessiond: ${s.error?.message ?? lastLine(s.stderr)}`);
}

export interface SessionResult {
  /** The command's exit status. */
  status: number;
  /** Events the session's buffers dropped, as lttng counted them (what a streamed trace cannot be asked locally). */
  discardedEvents?: number;
}

/** Records while the command runs. */
export async function recordSession(o: SessionOptions): Promise<SessionResult> {
  if (o.relayd) await checkRelayd(o.relayd);
  ensureSessionDaemon(o.log);
  const p = PROFILES[o.profile];
  const name = o.name ?? `redtrace-${process.pid}-${Date.now()}`;
  lttng(['create', name, o.relayd ? `--set-url=${o.relayd.url}` : `--output=${o.out}`], 'lttng create');
  let created = true;
  try {
    const chan = ['enable-channel', '-u', '-s', name, '--buffers-uid', `--subbuf-size=${o.subbufSize ?? p.subbufSize}`, `--num-subbuf=${o.numSubbuf ?? p.numSubbuf}`];
    if (o.blocking) chan.push('--blocking-timeout=inf');
    chan.push('redtrace');
    try {
      lttng(chan, 'lttng enable-channel');
    } catch (e) {
      // the session daemon meets the relayd only here, and may not reach it where this process did
      if (o.relayd && /relayd/i.test((e as Error).message)) throw new RecordError(`the session daemon cannot stream to the lttng-relayd at ${o.relayd.url}: ${(e as Error).message.replace(/^.*?Error: /, '')}`);
      throw e;
    }
    lttng(['add-context', '-u', '-s', name, '-c', 'redtrace', ...CONTEXTS.flatMap((c) => ['-t', c])], 'lttng add-context');
    lttng(['enable-event', '-u', '-s', name, '-c', 'redtrace', p.events.join(',')], 'lttng enable-event');
    lttng(['start', name], 'lttng start');
    const status = await runCommand(o.command, { ...agentEnv(o.out, o.log), ...(o.blocking ? { LTTNG_UST_ALLOW_BLOCKING: '1' } : {}) });
    lttng(['stop', name], 'lttng stop');
    const stats = /Discarded events: (\d+)/.exec(lttng(['list', name], 'lttng list'));
    lttng(['destroy', name], 'lttng destroy');
    created = false;
    return { status, discardedEvents: stats ? Number(stats[1]) : undefined };
  } finally {
    if (created) spawnSync('lttng', ['destroy', name], { stdio: 'ignore' });
  }
}

const AGENT = fileURLToPath(new URL('../../cjs/agent/register.js', import.meta.url));

/**
 * Every Node.js process the command starts, children included, loads the
 * agent; its events go into the session through the LTTng addon, or, when
 * the addon cannot be built, into CTF traces of its own beside the session's.
 */
function agentEnv(out: string, log: (s: string) => void): Record<string, string> {
  const prev = process.env.NODE_OPTIONS ?? '';
  const require = `--require=${AGENT}`;
  const env: Record<string, string> = { NODE_OPTIONS: prev.includes(require) ? prev : `${prev} ${require}`.trim() };
  try {
    env.REDTRACE_LTTNG_ADDON = buildAgentAddon();
  } catch (e) {
    log(`${(e as Error).message}; Node.js events go to ${join(out, 'node')} instead`);
    env.REDTRACE_TRACE_DIR = process.env.REDTRACE_TRACE_DIR ?? join(out, 'node');
  }
  return env;
}

/** Runs the command in the foreground; Ctrl-C reaches it (same process group) and ends the recording. */
function runCommand(command: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
    const ignore = () => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    child.on('error', (e) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      reject(new RecordError(`cannot run ${command[0]}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : e.message}`));
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1));
    });
  });
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  return ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 } as Record<string, number>)[s];
}

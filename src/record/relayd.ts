/**
 * Where `redtrace record --relayd URL` streams: an lttng-relayd, named as
 * lttng names it (net://HOST[:CTRL[:DATA]][/DIR], net6://[ADDR]..., tcp and
 * tcp6 taken as synonyms). Checked before a session is made, so a typo or an
 * absent relayd gives one clear line instead of a half-made session.
 */
import { connect } from 'node:net';
import { RecordError } from './errors.js';

export interface Relayd {
  /** The URL as `lttng create --set-url` takes it (lttng accepts tcp:// only as separate control and data URLs). */
  url: string;
  host: string;
  ctrlPort: number;
  dataPort: number;
}

const URL_RE = /^(net6?|tcp6?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::([^:/]*))?(?::([^:/]*))?(\/.*)?$/;

/** The relayd of a URL, or the reason it is not one. */
export function parseRelayd(s: string): Relayd | string {
  const m = URL_RE.exec(s);
  if (!m) return `--relayd must look like net://HOST[:CTRL_PORT[:DATA_PORT]] (or tcp://, net6://[ADDR]), not "${s}"`;
  const [, proto, host, ctrl, data, dir] = m;
  const v6 = proto.endsWith('6');
  if (host.startsWith('[') !== v6) return `--relayd: ${v6 ? `${proto}:// needs an IPv6 address in brackets` : `an address in brackets needs ${proto}6://`}, in "${s}"`;
  const port = (p: string | undefined, dflt: number): number | string => {
    if (p === undefined) return dflt;
    const n = Number(p);
    return /^\d+$/.test(p) && n >= 1 && n <= 65535 ? n : `--relayd: "${p}" is not a TCP port, in "${s}"`;
  };
  const ctrlPort = port(ctrl, 5342);
  const dataPort = port(data, 5343);
  if (typeof ctrlPort === 'string') return ctrlPort;
  if (typeof dataPort === 'string') return dataPort;
  return { url: `${v6 ? 'net6' : 'net'}://${host}:${ctrlPort}:${dataPort}${dir ?? ''}`, host: host.replace(/^\[|\]$/g, ''), ctrlPort, dataPort };
}

/** Fails with one line unless something listens on the relayd's control port (lttng itself would only say so later, less clearly). */
export function checkRelayd(r: Relayd, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const where = `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.ctrlPort}`;
    const s = connect({ host: r.host, port: r.ctrlPort });
    const fail = (why: string) => {
      s.destroy();
      reject(new RecordError(`cannot reach an lttng-relayd at ${where} (${why}): start one there (lttng-relayd -d) or fix --relayd`));
    };
    s.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs / 1000} s`));
    s.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ENOTFOUND' ? 'unknown host' : e.code ?? e.message));
    s.once('connect', () => {
      s.end();
      resolve();
    });
  });
}

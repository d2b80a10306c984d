/**
 * `redtrace analyze TRACE_DIR... [--json]`: builds the models of an
 * experiment (state history beside the trace, reused while the trace and the
 * analysis are unchanged) and prints what a person debugging latency wants
 * first: hosts and how their clocks were aligned, Redis nodes, services,
 * requests and commands, the slowest requests with where their time went,
 * and what the tracer lost.
 */
import { analyze, type AnalysisResult } from '../analysis/run.js';
import type { TreeNode } from '../analysis/integration/request-tree.js';
import { Progress } from './progress.js';
import { UsageError } from './usage.js';

export const ANALYZE_USAGE = 'redtrace analyze TRACE_DIR... [--json]';

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
const kib = (b: number) => (b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const ms = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(3)} ms` : us(ns));

export function printTree(n: TreeNode, indent: string, last: boolean, out: string[], root = false): void {
  const dur = ms(n.end - n.start);
  const head = root ? '' : `${indent}${last ? '└─ ' : '├─ '}`;
  // a Redis command's phases fit on its own line, unless a phase has children (a PUBLISH's bus hops)
  const phases = n.children.length > 0 && n.children.every((c) => c.kind === 'phase' && c.children.length === 0);
  const tail = phases ? ` → ${n.children[0].where}: ${n.children.map((c) => `${c.label} ${ms(c.end - c.start)}`).join(', ')}` : '';
  out.push(`${head}${n.label}  ${dur}  [${n.where}]${tail}`);
  if (phases) return;
  const next = root ? indent : `${indent}${last ? '   ' : '│  '}`;
  n.children.forEach((c, i) => printTree(c, next, i === n.children.length - 1, out));
}

const signed = (x: number, digits: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;

/** Each host's clock against the reference (listed first): offset at its first message, drift, bound on the error. */
export function formatClocks(r: AnalysisResult): string {
  const hosts = r.clocks.hosts;
  if (hosts.length < 2) return hosts.map((h) => h.host).join(', ');
  const ordered = [...hosts.filter((h) => h.status === 'reference'), ...hosts.filter((h) => h.status !== 'reference')];
  return ordered.map((h) => {
    if (h.status === 'reference') return `${h.host} (reference)`;
    if (h.status === 'not synchronised') return `${h.host}: not synchronised: ${h.reason}`;
    const via = h.via.length > 2 ? `, via ${h.via.slice(1, -1).join(', ')}` : '';
    const dropped = h.dropped ? `, ${h.dropped} left out as inconsistent` : '';
    return `${h.host}: offset ${signed(h.clockOffsetNs / 1000, 1)} µs, drift ${signed(h.driftPpm, 2)} ppm, ± ${((h.accuracyNs ?? 0) / 1000).toFixed(1)} µs from ${h.pairs} pairs${via}${dropped}`;
  }).join('; ');
}

export function formatSummary(r: AnalysisResult): string {
  const out: string[] = [];
  const history = r.workers ? `state histories (one per Redis trace, by worker threads) ${r.rebuilt ? 'built' : 'reused'}: ${r.workers.map((w) => w.historyFile).join(', ')}` : `state history ${r.rebuilt ? 'built' : 'reused'}: ${r.historyFile}`;
  out.push(`${r.events} events in ${r.traces} trace(s); ${history}`);
  out.push(`hosts: ${formatClocks(r)}`);
  out.push(`Redis nodes: ${r.redisNodes.map((n) => `${n.name}${n.ports.length ? ` (ports ${n.ports.join(', ')})` : ''}`).join(', ') || 'none'}`);
  out.push(`services: ${r.services.map((s) => `${s.name} (pid ${s.pids.join(', ')})`).join(', ') || 'none'}`);
  const cmds = Object.values(r.commands).reduce((a, s) => a + s.count, 0);
  out.push(`requests: ${r.requests}; Redis commands: ${cmds}; links: HTTP ${r.links.httpLinked} (${r.links.httpUnmatched} unmatched), Redis ${r.links.redisLinked} (${r.links.redisUnmatched} unmatched)`);
  const rows = Object.entries(r.commands).sort((a, b) => b[1].count - a[1].count).slice(0, 15);
  if (rows.length) {
    out.push('Redis commands (mean per phase): read / wait / execute / reply queued / write, worst total');
    const width = Math.max(...rows.map(([cmd]) => cmd.length));
    for (const [cmd, s] of rows) {
      const m = (x: number) => us(x / s.count);
      const w = (x: number) => (s.written ? us(x / s.written) : '-');
      out.push(`  ${cmd.padEnd(width)} ${String(s.count).padStart(8)}  ${m(s.read)} / ${m(s.wait)} / ${m(s.exec)} / ${w(s.queued)} / ${w(s.write)}, ${s.written ? ms(s.maxTotal) : 'no reply'}`);
    }
  }
  if (r.bus.messages > 0) {
    const types = Object.entries(r.bus.byType).sort((a, b) => b[1].count - a[1].count);
    out.push(`cluster bus: ${r.bus.messages} messages between traced nodes; send → processing, mean / worst:`);
    out.push(`  ${types.map(([t, s]) => `${t} ${s.count} (${us(s.meanNs)} / ${ms(s.maxNs)})`).join(', ')}`);
    out.push(`  busiest links: ${r.bus.byLink.slice(0, 6).map((l) => `${l.from} → ${l.to} ${l.count} msgs, ${kib(l.bytes)}`).join('; ')}`);
  }
  if (r.slowest.length) {
    out.push(`slowest requests (${Math.min(10, r.slowest.length)}):`);
    r.slowest.forEach((t, i) => {
      const lines: string[] = [];
      printTree(t, '     ', true, lines, true);
      out.push(`  ${String(i + 1).padStart(2)}. ${lines[0]}`, ...lines.slice(1));
    });
  }
  const lost = `discarded events: ${r.discardedEvents}, lost packets: ${r.lostPackets}`;
  out.push(r.discardedEvents || r.lostPackets ? `${lost} — the models miss what was lost` : lost);
  return out.join('\n');
}

export function analyzeCommand(args: string[]): number {
  const json = args.includes('--json');
  const bad = args.find((a) => a.startsWith('-') && a !== '--json');
  if (bad) throw new UsageError(`unknown option ${bad}`, ANALYZE_USAGE);
  const dirs = args.filter((a) => !a.startsWith('-'));
  if (dirs.length === 0) throw new UsageError('give at least one trace directory', ANALYZE_USAGE);
  const progress = new Progress('analysing', 'events');
  let r: AnalysisResult;
  try {
    r = analyze(dirs, (d, t, n) => progress.update(d, t, n));
  } finally {
    progress.finish();
  }
  if (json) console.log(JSON.stringify({ ...r, roots: undefined }));
  else console.log(formatSummary(r));
  return 0;
}

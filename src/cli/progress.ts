/**
 * A one-line progress report (percent, rate, ETA) on stderr, only when
 * stderr is a terminal and not in CI, redrawn at most five times a second.
 */
export class Progress {
  private readonly on = Boolean(process.stderr.isTTY) && !process.env.CI;
  private readonly start = Date.now();
  private last = 0;

  constructor(private readonly label: string, private readonly unit: string) {}

  /** `done` of `total` (any measure of work), `count` items so far. */
  update(done: number, total: number, count: number): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = count / Math.max(secs, 1e-3);
    const frac = total > 0 ? Math.min(done / total, 1) : 0;
    const eta = frac > 0 ? (secs / frac) * (1 - frac) : NaN;
    const text = `${this.label}: ${(frac * 100).toFixed(0).padStart(3)}%  ${human(rate)} ${this.unit}/s  ETA ${Number.isFinite(eta) ? `${Math.ceil(eta)}s` : '?'}`;
    process.stderr.write(`\r${text}\x1b[K`);
  }

  finish(): void {
    if (this.on && this.last > 0) process.stderr.write('\r\x1b[K');
  }
}

export function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

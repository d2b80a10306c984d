/**
 * Clock synchronisation between two hosts from matched messages, with the
 * convex-hull method of Duda et al. (1987), as Trace Compass uses it. A
 * message from A to B, sent at a on A's clock and received at b on B's,
 * says f(a) < b for the transform f(x) = slope·x + offset that maps A's
 * clock to B's; a message from B to A says f(a) > b. The lines that
 * satisfy every message form a convex set whose extreme slopes are found
 * on the convex hulls of the two point sets; the estimate is the bisector of
 * the two extreme lines, and the accuracy bound is how far they are apart
 * over the observed time range.
 */

export interface Transform {
  slope: number;
  offset: number;
}

export interface SyncResult {
  transform: Transform;
  /** Largest distance, in ns, between the estimate and any line the messages allow, over the observed range. */
  accuracyNs: number;
  /** Messages used in each direction. */
  aToB: number;
  bToA: number;
}

type Pt = [number, number];

function cross(o: Pt, a: Pt, b: Pt): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Lower convex hull (points sorted by x): the line must stay under these points. */
function lowerHull(pts: Pt[]): Pt[] {
  const h: Pt[] = [];
  for (const p of pts) {
    while (h.length >= 2 && cross(h[h.length - 2], h[h.length - 1], p) <= 0) h.pop();
    h.push(p);
  }
  return h;
}

/** Upper convex hull: the line must stay above these points. */
function upperHull(pts: Pt[]): Pt[] {
  const h: Pt[] = [];
  for (const p of pts) {
    while (h.length >= 2 && cross(h[h.length - 2], h[h.length - 1], p) >= 0) h.pop();
    h.push(p);
  }
  return h;
}

/**
 * `aToB`: [send time on A, receive time on B]; `bToA`: [receive time on A,
 * send time on B] — both as (A clock, B clock) points. Times are relative
 * (any common origin per host) to keep doubles exact.
 */
export function synchronise(aToB: Pt[], bToA: Pt[]): SyncResult | undefined {
  // one message each way leaves the slope free: two at least, so the allowed lines are bounded
  if (aToB.length < 2 || bToA.length < 2) return undefined;
  const above = lowerHull([...aToB].sort((p, q) => p[0] - q[0] || p[1] - q[1])); // f(x) < y here
  const below = upperHull([...bToA].sort((p, q) => p[0] - q[0] || p[1] - q[1])); // f(x) > y here
  // The lines the messages allow form a convex polygon in (slope, offset) space; its
  // vertices are lines through two hull points. A line's value at x is linear in
  // (slope, offset), so the highest and lowest allowed clock values at x come from vertices.
  const pts = [...above, ...below];
  const vertices: Transform[] = [];
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      const [p, q] = [pts[i], pts[j]];
      if (p[0] === q[0]) continue;
      const slope = (q[1] - p[1]) / (q[0] - p[0]);
      const offset = p[1] - slope * p[0];
      if (feasible(slope, offset, above, below)) vertices.push({ slope, offset });
    }
  }
  const xs = pts.map((p) => p[0]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  if (vertices.length === 0 || x0 === x1) return undefined; // no line fits every message (or too few distinct times)
  const at = (t: Transform, x: number) => t.slope * x + t.offset;
  const range = (x: number) => {
    const ys = vertices.map((v) => at(v, x));
    return [Math.min(...ys), Math.max(...ys)];
  };
  const [lo0, hi0] = range(x0);
  const [lo1, hi1] = range(x1);
  const y0 = (lo0 + hi0) / 2;
  const y1 = (lo1 + hi1) / 2;
  const slope = (y1 - y0) / (x1 - x0);
  return {
    transform: { slope, offset: y0 - slope * x0 },
    accuracyNs: Math.max(hi0 - lo0, hi1 - lo1) / 2,
    aToB: aToB.length,
    bToA: bToA.length,
  };
}

function feasible(slope: number, offset: number, above: Pt[], below: Pt[]): boolean {
  const eps = 1e-6;
  for (const p of above) if (slope * p[0] + offset > p[1] + eps * Math.max(1, Math.abs(p[1]))) return false;
  for (const p of below) if (slope * p[0] + offset < p[1] - eps * Math.max(1, Math.abs(p[1]))) return false;
  return true;
}

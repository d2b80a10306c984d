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
  /** The A-clock times the messages cover: the bound holds between them. */
  fromX: number;
  toX: number;
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
  // work near zero: the doubles then keep sub-ns precision, and the feasibility tolerance can be tight
  const ox = Math.min(aToB[0][0], bToA[0][0]);
  const oy = Math.min(aToB[0][1], bToA[0][1]);
  const rel = (p: Pt): Pt => [p[0] - ox, p[1] - oy];
  const above = lowerHull(aToB.map(rel).sort(byX)); // f(x) < y here
  const below = upperHull(bToA.map(rel).sort(byX)); // f(x) > y here
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
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const p of pts) { x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); }
  if (vertices.length === 0 || x0 === x1) return undefined; // no line fits every message (or too few distinct times)
  const at = (t: Transform, x: number) => t.slope * x + t.offset;
  const range = (x: number) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of vertices) { const y = at(v, x); lo = Math.min(lo, y); hi = Math.max(hi, y); }
    return [lo, hi];
  };
  const [lo0, hi0] = range(x0);
  const [lo1, hi1] = range(x1);
  const y0 = (lo0 + hi0) / 2;
  const y1 = (lo1 + hi1) / 2;
  const slope = (y1 - y0) / (x1 - x0);
  return {
    transform: { slope, offset: y0 - slope * x0 + oy - slope * ox },
    accuracyNs: Math.max(hi0 - lo0, hi1 - lo1) / 2,
    aToB: aToB.length,
    bToA: bToA.length,
    fromX: x0 + ox,
    toX: x1 + ox,
  };
}

/**
 * As `synchronise`, for messages whose times may not all be causal: a time
 * taken a little after a send (an event published once the write is done)
 * can put a receive before its send, and no line then fits every message.
 * The worst contradiction is between one message each way; of the two, the
 * one farther from the others of its direction goes, until the rest agree.
 * `dropped` counts the messages left out.
 */
export function synchroniseRobust(aToB: Pt[], bToA: Pt[]): (SyncResult & { dropped: number }) | undefined {
  const a = aToB.slice();
  const b = bToA.slice();
  for (let dropped = 0; dropped <= MAX_DROPPED * (aToB.length + bToA.length); dropped++) {
    if (a.length < 2 || b.length < 2) return undefined;
    const line = leastViolation(a, b);
    if (line.gap <= 0) {
      const r = synchronise(a, b);
      return r && { ...r, dropped };
    }
    const ra = a.map((p) => p[1] - line.slope * p[0]); // must be above the line's offset
    const rb = b.map((p) => p[1] - line.slope * p[0]); // must be below it
    let ia = 0;
    let ib = 0;
    for (let i = 1; i < ra.length; i++) if (ra[i] < ra[ia]) ia = i;
    for (let i = 1; i < rb.length; i++) if (rb[i] > rb[ib]) ib = i;
    const fromA = median(ra) - ra[ia];
    const fromB = rb[ib] - median(rb);
    if (fromA >= fromB) a.splice(ia, 1);
    else b.splice(ib, 1);
  }
  return undefined; // too many contradictions: these messages say nothing reliable
}

/** Leave out at most this share of the messages. */
const MAX_DROPPED = 0.25;

function median(xs: number[]): number {
  const s = xs.slice().sort((p, q) => p - q);
  return s[s.length >> 1];
}

/** Clock rates of real hosts differ by far less than this. */
const MAX_DRIFT = 0.01;

/**
 * The line y = slope·x + offset that minimises the worst violation. For a
 * slope s, the best offset lies midway between the highest y − s·x of the
 * B→A messages and the lowest of the A→B ones; their gap (positive when they
 * contradict) is convex in s, so a golden-section search finds its minimum.
 */
function leastViolation(aToB: Pt[], bToA: Pt[]): Transform & { gap: number } {
  const ox = Math.min(aToB[0][0], bToA[0][0]);
  const oy = Math.min(aToB[0][1], bToA[0][1]);
  const rel = (p: Pt): Pt => [p[0] - ox, p[1] - oy];
  // the extremes of y − s·x are reached on the hulls
  const above = lowerHull(aToB.map(rel).sort(byX));
  const below = upperHull(bToA.map(rel).sort(byX));
  const bounds = (s: number) => {
    let hi = -Infinity; // offsets must be at least this (B→A)
    let lo = Infinity; // and at most this (A→B)
    for (const p of below) hi = Math.max(hi, p[1] - s * p[0]);
    for (const p of above) lo = Math.min(lo, p[1] - s * p[0]);
    return [lo, hi];
  };
  const gap = (s: number) => { const [lo, hi] = bounds(s); return hi - lo; };
  let l = 1 - MAX_DRIFT;
  let r = 1 + MAX_DRIFT;
  const g = (Math.sqrt(5) - 1) / 2;
  let m1 = r - g * (r - l);
  let m2 = l + g * (r - l);
  let f1 = gap(m1);
  let f2 = gap(m2);
  for (let i = 0; i < 100; i++) {
    if (f1 <= f2) { r = m2; m2 = m1; f2 = f1; m1 = r - g * (r - l); f1 = gap(m1); }
    else { l = m1; m1 = m2; f1 = f2; m2 = l + g * (r - l); f2 = gap(m2); }
  }
  const slope = (l + r) / 2;
  const [lo, hi] = bounds(slope);
  return { slope, offset: (lo + hi) / 2 + oy - slope * ox, gap: hi - lo };
}

/** f then g: maps A's clock to C's through B's. */
export function compose(f: Transform, g: Transform): Transform {
  return { slope: g.slope * f.slope, offset: g.slope * f.offset + g.offset };
}

export function invert(f: Transform): Transform {
  return { slope: 1 / f.slope, offset: -f.offset / f.slope };
}

function byX(p: Pt, q: Pt): number {
  return p[0] - q[0] || p[1] - q[1];
}

/** Rounding only: points are relative, so 1e-12 of their value is well under a ns. */
function feasible(slope: number, offset: number, above: Pt[], below: Pt[]): boolean {
  const eps = 1e-12;
  for (const p of above) if (slope * p[0] + offset > p[1] + eps * Math.max(1e3, Math.abs(p[1]))) return false;
  for (const p of below) if (slope * p[0] + offset < p[1] - eps * Math.max(1e3, Math.abs(p[1]))) return false;
  return true;
}

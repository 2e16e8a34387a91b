/**
 * Decimation for display: a chart a few hundred pixels wide cannot show 100k points, and
 * drawing them all makes every update slow. Min-max decimation keeps, per bucket of the
 * visible x range, the points where the primary series is lowest and highest, so spikes stay
 * visible; the other series are sampled at the same indices.
 */

/** First index i with xs[i] >= v (xs sorted ascending). */
export function lowerBound(xs: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Decimated columns: x and one array per series, ready for uPlot. */
export interface Decimated {
  readonly x: number[];
  readonly ys: number[][];
}

/**
 * Keep at most ~2 x `buckets` points of the range [xMin, xMax] (whole data when omitted),
 * plus one point either side so lines run to the edges when zoomed.
 */
export function minMaxDecimate(
  xs: ArrayLike<number>,
  ys: readonly ArrayLike<number>[],
  buckets: number,
  xMin = -Infinity,
  xMax = Infinity,
): Decimated {
  const from = Math.max(0, lowerBound(xs, xMin) - 1);
  const to = Math.min(xs.length, lowerBound(xs, xMax) + 1);
  const n = to - from;
  const pick: number[] = [];
  if (n <= 2 * buckets) {
    for (let i = from; i < to; i++) pick.push(i);
  } else {
    const primary = ys[0];
    const size = n / buckets;
    // The edge points are always kept, so lines reach the chart's edges when zoomed.
    pick.push(from);
    for (let b = 0; b < buckets; b++) {
      const s = from + Math.floor(b * size);
      const e = Math.min(to, from + Math.floor((b + 1) * size));
      if (s >= e) continue;
      let lo = s;
      let hi = s;
      for (let i = s + 1; i < e; i++) {
        if (primary[i] < primary[lo]) lo = i;
        if (primary[i] > primary[hi]) hi = i;
      }
      for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) if (i > pick[pick.length - 1]) pick.push(i);
    }
    if (pick[pick.length - 1] !== to - 1) pick.push(to - 1);
  }
  return { x: pick.map((i) => xs[i]), ys: ys.map((y) => pick.map((i) => y[i])) };
}

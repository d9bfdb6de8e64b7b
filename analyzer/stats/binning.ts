/**
 * Reference-decile bins shared by PSI and Jensen-Shannon on numeric columns.
 *
 * Edges: the 10th, 20th, ..., 90th percentiles of the reference, computed as
 * numpy's default `np.quantile(reference, k/10)` (Hyndman-Fan type 7: linear
 * interpolation at (n - 1) p, with numpy's two-sided lerp so that edges equal
 * numpy's bit for bit). Equal edges (heavy ties) are merged, so a column has
 * between 2 and 10 bins.
 * Bins are left-closed and the outer ones open-ended:
 *   (-inf, e1), [e1, e2), ..., [e9, +inf)
 * i.e. a value's bin index is the number of edges <= value
 * (`np.searchsorted(edges, x, side='right')`).
 */

export const DECILE_PROBABILITIES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k / 10);

/** numpy's `_lerp`: interpolate from the nearer end so t = 1 returns b exactly. */
function lerp(a: number, b: number, t: number): number {
  const difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}

/** Type-7 quantile of an ascending sample (numpy 'linear'). */
export function quantileSorted(sorted: ArrayLike<number>, probability: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const virtualIndex = (n - 1) * probability;
  if (virtualIndex >= n - 1) return sorted[n - 1]!;
  if (virtualIndex <= 0) return sorted[0]!;
  const lower = Math.floor(virtualIndex);
  const fraction = virtualIndex - lower;
  // numpy's lerp returns a exactly at t = 0; not reading b lets callers supply only the ranks they need.
  if (fraction === 0) return sorted[lower]!;
  return lerp(sorted[lower]!, sorted[lower + 1]!, fraction);
}

/** Strictly increasing copy of edges (sorted, duplicates merged). */
export function dedupeEdges(edges: ArrayLike<number>): number[] {
  const sorted = Array.from(edges).sort((a, b) => a - b);
  const unique: number[] = [];
  for (const edge of sorted) {
    if (!Number.isFinite(edge)) throw new RangeError(`bin edge must be finite, got ${edge}`);
    // `+ 0` turns -0 into 0: the same edge whichever zero the data held.
    if (unique.length === 0 || edge > unique[unique.length - 1]!) unique.push(edge + 0);
  }
  return unique;
}

/** Decile edges of an ascending reference sample, deduplicated; [] when it is empty. */
export function referenceDecileEdges(referenceSorted: ArrayLike<number>): number[] {
  if (referenceSorted.length === 0) return [];
  return dedupeEdges(DECILE_PROBABILITIES.map((p) => quantileSorted(referenceSorted, p)));
}

/** Number of edges <= value: the value's bin index. */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Bin counts of an ascending sample, by one binary search per edge. */
export function binCountsSorted(sorted: ArrayLike<number>, edges: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let below = 0; // values below the previous edge
  for (let b = 0; b < edges.length; b++) {
    // Left-closed bins: bin b holds the values in [edge b-1, edge b).
    const belowEdge = countBelow(sorted, edges[b]!, below);
    counts[b] = belowEdge - below;
    below = belowEdge;
  }
  counts[edges.length] = sorted.length - below;
  return counts;
}

/** Bin counts of an unsorted sample. */
export function binCounts(values: ArrayLike<number>, edges: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]!++;
  return counts;
}

/** Number of values < bound, searching from index `from` on (all before it are known smaller). */
export function countBelow(sorted: ArrayLike<number>, bound: number, from = 0): number {
  let low = from;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < bound) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * 0-based ranks (positions in the sorted reference) that the decile edges of
 * a reference of n values depend on. A database that cannot compute type-7
 * quantiles itself (ClickHouse's quantileExact is a different definition) can
 * fetch exactly these order statistics and call decileEdgesFromRanks, and gets
 * the edges the raw path computes, bit for bit.
 */
export function decileRanks(n: number): number[] {
  if (n === 0) return [];
  const ranks = new Set<number>();
  for (const p of DECILE_PROBABILITIES) {
    const virtualIndex = (n - 1) * p;
    const lower = Math.floor(virtualIndex);
    ranks.add(Math.min(lower, n - 1));
    if (virtualIndex > lower && lower + 1 < n) ranks.add(lower + 1);
  }
  return [...ranks].sort((a, b) => a - b);
}

/** Decile edges from the order statistics listed by decileRanks (rank -> value). */
export function decileEdgesFromRanks(n: number, valueAtRank: ReadonlyMap<number, number>): number[] {
  const orderStatistics: Record<number, number> & { length: number } = { length: n };
  for (const rank of decileRanks(n)) {
    const value = valueAtRank.get(rank);
    if (value === undefined) throw new RangeError(`order statistic ${rank} is needed (see decileRanks)`);
    orderStatistics[rank] = value;
  }
  return referenceDecileEdges(orderStatistics);
}

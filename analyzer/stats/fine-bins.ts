/**
 * Exact KS D and Wasserstein-1 from fine per-bin aggregates, fetching raw value
 * counts only for the few bins that need them (see the ClickHouse note: one
 * cheap GROUP BY over bins, then `GROUP BY x` restricted to a handful of bins,
 * instead of shipping every distinct value).
 *
 * Per bin the database returns, for values in the bin, the smallest and largest
 * value (either side) and count and sum per side. Bins are ascending and do
 * not overlap. Write G(x) = A(x) m - B(x) n with A, B the running counts, so
 * KS D = max |G| / (n m) and W1 = integral |G| dx / (n m).
 *  - At bin ends, A and B are exact, so |G| there is an exact lower bound L on
 *    max |G|. Inside a bin, G lies between A0 m - (B0 + c) n and (A0 + r) m - B0 n
 *    (A0, B0 the counts before the bin; r, c the bin's counts): a bin whose
 *    upper bound cannot beat L cannot hold the maximum.
 *  - Where those bounds have one sign, G keeps it across the bin, and since
 *    integral over [lo, hi] of #{values <= x} dx = count hi - sum,
 *      integral G = G0 (hi - lo) + m (r hi - refSum) - n (c hi - curSum)
 *    is exact from counts and sums (up to the rounding of the sums).
 * Only bins that could hold the KS maximum or where G may change sign need
 * their value counts. The saving depends on the bins being fine: G moves by up
 * to r m + c n inside a bin but its typical size is about sqrt(n) m, so bins
 * should hold well under sqrt(n + m) values each (thousands of bins for a
 * million rows); with coarse bins nearly every bin needs refining.
 */
import { CompensatedSum } from './compensated-sum.js';
import type { NumericStreamSummary, StreamTotals, ValueCount } from './numeric-stream.js';

export interface FineBin {
  /** Smallest and largest value in the bin, over both samples. */
  min: number;
  max: number;
  referenceCount: number;
  currentCount: number;
  referenceSum: number;
  currentSum: number;
}

export interface FineBinResult {
  ksMaxDiff: number;
  wasserstein: number | null;
}

interface BinBounds {
  before: number; // G before the bin
  after: number; // G after the bin (exact)
  low: number; // lower bound of G inside
  high: number; // upper bound of G inside
}

function boundsPerBin(bins: ReadonlyArray<FineBin>, totals: StreamTotals): BinBounds[] {
  const n = totals.referenceCount;
  const m = totals.currentCount;
  let a = 0;
  let b = 0;
  let previousMax = -Infinity;
  return bins.map((bin, index) => {
    if (!(bin.min <= bin.max) || !(bin.min > previousMax)) {
      throw new RangeError(`fine bin ${index} is empty, reversed or overlaps the previous one`);
    }
    previousMax = bin.max;
    const before = a * m - b * n;
    const high = (a + bin.referenceCount) * m - b * n;
    const low = a * m - (b + bin.currentCount) * n;
    a += bin.referenceCount;
    b += bin.currentCount;
    return { before, after: a * m - b * n, low, high };
  });
}

/** Indices of the bins whose value counts are needed for exact results. */
export function fineBinsToRefine(bins: ReadonlyArray<FineBin>, totals: StreamTotals): number[] {
  const bounds = boundsPerBin(bins, totals);
  const knownMax = bounds.reduce((best, bound) => Math.max(best, Math.abs(bound.after)), 0);
  const refine: number[] = [];
  bounds.forEach((bound, index) => {
    // A bin holding a single distinct value has zero width and one jump: nothing to resolve.
    if (bins[index]!.min === bins[index]!.max) return;
    const couldHoldMaximum = Math.max(Math.abs(bound.low), Math.abs(bound.high)) > knownMax;
    const mayChangeSign = bound.low < 0 && bound.high > 0;
    if (couldHoldMaximum || mayChangeSign) refine.push(index);
  });
  return refine;
}

/**
 * Exact KS numerator and Wasserstein-1. `refined` maps the index of every bin
 * returned by fineBinsToRefine to that bin's ascending value counts.
 */
export function foldFineBins(
  bins: ReadonlyArray<FineBin>,
  totals: StreamTotals,
  refined: ReadonlyMap<number, Iterable<ValueCount>>,
): FineBinResult {
  const n = totals.referenceCount;
  const m = totals.currentCount;
  const needed = new Set(fineBinsToRefine(bins, totals));
  const area = new CompensatedSum();
  let a = 0;
  let b = 0;
  let maxDiff = 0;
  let previousMax: number | null = null;
  bins.forEach((bin, index) => {
    const before = a * m - b * n;
    if (previousMax !== null && before !== 0) area.add(Math.abs(before) * (bin.min - previousMax));
    const values = refined.get(index);
    if (values !== undefined) {
      let position = bin.min;
      let binReference = 0;
      let binCurrent = 0;
      for (const [value, r, c] of values) {
        if (!(value >= position) || value > bin.max) throw new RangeError(`values of fine bin ${index} out of order or range`);
        area.add(Math.abs(a * m - b * n) * (value - position));
        a += r;
        b += c;
        binReference += r;
        binCurrent += c;
        maxDiff = Math.max(maxDiff, Math.abs(a * m - b * n));
        position = value;
      }
      if (binReference !== bin.referenceCount || binCurrent !== bin.currentCount) {
        throw new RangeError(`value counts of fine bin ${index} do not add up to its counts`);
      }
      area.add(Math.abs(a * m - b * n) * (bin.max - position));
    } else {
      if (needed.has(index)) throw new RangeError(`fine bin ${index} needs its value counts`);
      const width = bin.max - bin.min;
      const signed =
        before * width +
        m * (bin.referenceCount * bin.max - bin.referenceSum) -
        n * (bin.currentCount * bin.max - bin.currentSum);
      area.add(Math.abs(signed));
      a += bin.referenceCount;
      b += bin.currentCount;
      maxDiff = Math.max(maxDiff, Math.abs(a * m - b * n));
    }
    previousMax = bin.max;
  });
  if (a !== n || b !== m) throw new RangeError('fine bin counts do not add up to the totals');
  return { ksMaxDiff: maxDiff, wasserstein: n > 0 && m > 0 ? area.value / (n * m) : null };
}

/** Reference aggregates the database returns next to the fine bins (min, max, avg, stddevPop). */
export interface ReferenceMoments {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (ddof = 0). */
  std: number;
}

/**
 * A NumericStreamSummary (the input of analyzeNumericFromSummary) from the
 * fine-bin result plus plain aggregates, so the fine-bin path reports the same
 * metrics as the value-stream path.
 */
export function summaryFromFineBins(
  result: FineBinResult,
  totals: StreamTotals,
  reference: ReferenceMoments | null,
  currentOutside: { below: number; above: number },
  distinctValues: number = totals.referenceCount + totals.currentCount,
): NumericStreamSummary {
  return {
    referenceCount: totals.referenceCount,
    currentCount: totals.currentCount,
    distinctValues,
    ksMaxDiff: result.ksMaxDiff,
    wasserstein: result.wasserstein,
    referenceMin: reference?.min ?? null,
    referenceMax: reference?.max ?? null,
    referenceMean: reference?.mean ?? null,
    referenceStd: reference?.std ?? null,
    currentBelowReference: currentOutside.below,
    currentAboveReference: currentOutside.above,
  };
}

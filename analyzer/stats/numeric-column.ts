/**
 * Drift metrics of one numeric column, from raw samples or from what a database
 * can aggregate. Every path ends in `analyzeNumericFromSummary`, so raw and
 * aggregated inputs give identical numbers.
 */
import { binCountsSorted, referenceDecileEdges } from './binning.js';
import {
  buildProfile,
  sideCounts,
  SMALL_SAMPLE,
  splitNumericValues,
  type ColumnProfile,
  type SideExtras,
} from './column-profile.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { ksTestFromMaxDiff, type KsMethod } from './ks.js';
import { foldNumericStream, NumericStreamFold, type NumericStreamSummary, type ValueCount } from './numeric-stream.js';
import { populationStabilityIndex } from './psi.js';
import { total } from './shares.js';
import { forEachValueCount, sortInPlace } from './sorted-samples.js';

export interface NumericColumnMetrics {
  kind: 'numeric';
  profile: ColumnProfile;
  ksStatistic: number | null;
  ksPValue: number | null;
  ksMethod: KsMethod | null;
  psi: number | null;
  jensenShannon: number | null;
  wasserstein: number | null;
  /** Wasserstein-1 divided by the reference's population standard deviation. */
  wassersteinNormed: number | null;
  binEdges: number[];
  referenceBinCounts: number[];
  currentBinCounts: number[];
  /** Why a metric is null, or what limits its meaning. */
  notes: string[];
}

export interface NumericBins {
  /** Strictly increasing reference-decile edges (see binning.ts). */
  edges: ArrayLike<number>;
  referenceCounts: ArrayLike<number>;
  currentCounts: ArrayLike<number>;
}

export interface NumericSideExtras {
  reference?: SideExtras;
  current?: SideExtras;
}

/** What the service aggregates in the database for one numeric column. */
export interface NumericCountsInput extends NumericSideExtras {
  /** Valid (finite) values per side: the totals of the stream. */
  referenceCount: number;
  currentCount: number;
  /** Distinct values ascending with their count in each sample. */
  valueCounts: Iterable<ValueCount>;
  bins: NumericBins;
}

export function analyzeNumericFromCounts(input: NumericCountsInput): NumericColumnMetrics {
  const summary = foldNumericStream(input.valueCounts, {
    referenceCount: input.referenceCount,
    currentCount: input.currentCount,
  });
  return analyzeNumericFromSummary(summary, input.bins, input);
}

/**
 * Raw samples of finite numbers. Sorts both arrays in place (they are usually
 * large and no longer needed in their original order).
 */
export function analyzeNumericSamples(
  reference: Float64Array,
  current: Float64Array,
  extras: NumericSideExtras = {},
): NumericColumnMetrics {
  sortInPlace(reference);
  sortInPlace(current);
  const edges = referenceDecileEdges(reference);
  const bins: NumericBins = {
    edges,
    referenceCounts: binCountsSorted(reference, edges),
    currentCounts: binCountsSorted(current, edges),
  };
  const fold = new NumericStreamFold({ referenceCount: reference.length, currentCount: current.length });
  forEachValueCount(reference, current, (value, r, c) => fold.add(value, r, c));
  return analyzeNumericFromSummary(fold.finish(), bins, extras);
}

/** Raw values of any type: null/undefined/'' are missing, non-finite or non-numbers are type errors. */
export function analyzeNumericColumn(reference: ArrayLike<unknown>, current: ArrayLike<unknown>): NumericColumnMetrics {
  const referenceSplit = splitNumericValues(reference);
  const currentSplit = splitNumericValues(current);
  return analyzeNumericSamples(referenceSplit.values, currentSplit.values, {
    reference: referenceSplit,
    current: currentSplit,
  });
}

export function analyzeNumericFromSummary(
  summary: NumericStreamSummary,
  bins: NumericBins,
  extras: NumericSideExtras = {},
): NumericColumnMetrics {
  const n = summary.referenceCount;
  const m = summary.currentCount;
  checkBins(bins, n, m);
  const notes: string[] = [];
  const outOfRangeShare = n > 0 && m > 0 ? (summary.currentBelowReference + summary.currentAboveReference) / m : null;
  const metrics: NumericColumnMetrics = {
    kind: 'numeric',
    profile: buildProfile(sideCounts(n, extras.reference), sideCounts(m, extras.current), outOfRangeShare),
    ksStatistic: null,
    ksPValue: null,
    ksMethod: null,
    psi: null,
    jensenShannon: null,
    wasserstein: null,
    wassersteinNormed: null,
    binEdges: Array.from(bins.edges),
    referenceBinCounts: Array.from(bins.referenceCounts),
    currentBinCounts: Array.from(bins.currentCounts),
    notes,
  };
  if (n === 0 || m === 0) {
    if (n === 0) notes.push('reference has no valid values: no statistic can be computed');
    if (m === 0) notes.push('current has no valid values: no statistic can be computed');
    return metrics;
  }
  const ks = ksTestFromMaxDiff(n, m, summary.ksMaxDiff);
  metrics.ksStatistic = ks.statistic;
  metrics.ksPValue = ks.pValue;
  metrics.ksMethod = ks.method;
  metrics.psi = populationStabilityIndex(bins.referenceCounts, bins.currentCounts);
  metrics.jensenShannon = jensenShannonDistance(bins.referenceCounts, bins.currentCounts);
  metrics.wasserstein = summary.wasserstein;
  if (summary.referenceStd !== null && summary.referenceStd > 0 && summary.wasserstein !== null) {
    metrics.wassersteinNormed = summary.wasserstein / summary.referenceStd;
  } else {
    notes.push('reference is constant: normalised Wasserstein is undefined');
  }
  if (Math.min(n, m) < SMALL_SAMPLE) {
    notes.push(`small sample (reference ${n}, current ${m}): the test has little power`);
  }
  if (summary.distinctValues < n + m) {
    notes.push('tied values: the KS p-value assumes continuous data and is conservative with ties');
  }
  if (bins.edges.length < 9) {
    notes.push(`reference deciles coincide: PSI and Jensen-Shannon use ${bins.edges.length + 1} bins instead of 10`);
  }
  return metrics;
}

function checkBins(bins: NumericBins, n: number, m: number): void {
  const edgeCount = bins.edges.length;
  for (let i = 0; i < edgeCount; i++) {
    const edge = bins.edges[i]!;
    if (!Number.isFinite(edge) || (i > 0 && !(edge > bins.edges[i - 1]!))) {
      throw new RangeError('bin edges must be finite and strictly increasing (see dedupeEdges)');
    }
  }
  if (bins.referenceCounts.length !== edgeCount + 1 || bins.currentCounts.length !== edgeCount + 1) {
    throw new RangeError(`${edgeCount} edges need ${edgeCount + 1} bin counts per side`);
  }
  if (total(bins.referenceCounts) !== n || total(bins.currentCounts) !== m) {
    throw new RangeError('bin counts do not add up to the value counts of the stream');
  }
}

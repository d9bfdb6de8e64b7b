/**
 * Drift metrics of one categorical column (strings, booleans) from
 * category -> (reference count, current count), which a database returns for
 * `SELECT c, countIf(ref), countIf(cur) ... GROUP BY c`; raw values are
 * counted first and go through the same function.
 */
import { chiSquareHomogeneity } from './chi-square.js';
import {
  buildProfile,
  countCategoricalValues,
  sideCounts,
  SMALL_SAMPLE,
  type ColumnProfile,
  type SideExtras,
} from './column-profile.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { populationStabilityIndex } from './psi.js';

export interface CategoryCount {
  category: string;
  referenceCount: number;
  currentCount: number;
}

export interface CategoricalColumnMetrics {
  kind: 'categorical';
  profile: ColumnProfile;
  chiSquareStatistic: number | null;
  chiSquareDegreesOfFreedom: number | null;
  chiSquarePValue: number | null;
  psi: number | null;
  jensenShannon: number | null;
  /** Share of current values whose category never occurs in the reference. */
  unseenShare: number | null;
  /** Categories seen in either sample. */
  categoryCount: number;
  notes: string[];
}

export interface CategoricalSideExtras {
  reference?: SideExtras;
  current?: SideExtras;
}

export function analyzeCategoricalFromCounts(
  categories: Iterable<CategoryCount>,
  extras: CategoricalSideExtras = {},
): CategoricalColumnMetrics {
  const referenceCounts: number[] = [];
  const currentCounts: number[] = [];
  const seen = new Set<string>();
  let n = 0;
  let m = 0;
  let unseen = 0;
  // Categories in one canonical order, so the sums (and so every digit of the result) do
  // not depend on the order a database or a file listed them in.
  const ordered = [...categories].sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
  for (const { category, referenceCount, currentCount } of ordered) {
    checkCount(referenceCount, category);
    checkCount(currentCount, category);
    if (seen.has(category)) throw new RangeError(`category ${JSON.stringify(category)} listed twice`);
    seen.add(category);
    if (referenceCount + currentCount === 0) continue;
    referenceCounts.push(referenceCount);
    currentCounts.push(currentCount);
    n += referenceCount;
    m += currentCount;
    if (referenceCount === 0) unseen += currentCount;
  }
  const notes: string[] = [];
  const metrics: CategoricalColumnMetrics = {
    kind: 'categorical',
    profile: buildProfile(sideCounts(n, extras.reference), sideCounts(m, extras.current), null),
    chiSquareStatistic: null,
    chiSquareDegreesOfFreedom: null,
    chiSquarePValue: null,
    psi: null,
    jensenShannon: null,
    unseenShare: null,
    categoryCount: referenceCounts.length,
    notes,
  };
  if (n === 0 || m === 0) {
    if (n === 0) notes.push('reference has no valid values: no statistic can be computed');
    if (m === 0) notes.push('current has no valid values: no statistic can be computed');
    return metrics;
  }
  const chiSquare = chiSquareHomogeneity(referenceCounts, currentCounts);
  if (chiSquare !== null) {
    metrics.chiSquareStatistic = chiSquare.statistic;
    metrics.chiSquareDegreesOfFreedom = chiSquare.degreesOfFreedom;
    metrics.chiSquarePValue = chiSquare.pValue;
    if (chiSquare.degreesOfFreedom === 0) notes.push('a single category in both samples: nothing to test');
    else if (hasSmallExpectedCounts(referenceCounts, currentCounts, n, m)) {
      notes.push('expected counts below 5 in more than 20% of cells: the chi-square p-value is approximate');
    }
  }
  metrics.psi = populationStabilityIndex(referenceCounts, currentCounts);
  metrics.jensenShannon = jensenShannonDistance(referenceCounts, currentCounts);
  metrics.unseenShare = unseen / m;
  if (Math.min(n, m) < SMALL_SAMPLE) {
    notes.push(`small sample (reference ${n}, current ${m}): the test has little power`);
  }
  return metrics;
}

/** Raw values: null/undefined/'' are missing; strings, booleans and finite numbers are categories. */
export function analyzeCategoricalColumn(
  reference: ArrayLike<unknown>,
  current: ArrayLike<unknown>,
): CategoricalColumnMetrics {
  const referenceSplit = countCategoricalValues(reference);
  const currentSplit = countCategoricalValues(current);
  return analyzeCategoricalFromCounts(mergeCategoryCounts(referenceSplit.counts, currentSplit.counts), {
    reference: referenceSplit,
    current: currentSplit,
  });
}

/** Union of two category -> count maps, reference categories first. */
export function mergeCategoryCounts(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): CategoryCount[] {
  const merged: CategoryCount[] = [];
  for (const [category, referenceCount] of reference) {
    merged.push({ category, referenceCount, currentCount: current.get(category) ?? 0 });
  }
  for (const [category, currentCount] of current) {
    if (!reference.has(category)) merged.push({ category, referenceCount: 0, currentCount });
  }
  return merged;
}

function hasSmallExpectedCounts(reference: number[], current: number[], n: number, m: number): boolean {
  let small = 0;
  for (let i = 0; i < reference.length; i++) {
    const columnTotal = reference[i]! + current[i]!;
    if ((n * columnTotal) / (n + m) < 5) small++;
    if ((m * columnTotal) / (n + m) < 5) small++;
  }
  return small > 0.2 * 2 * reference.length;
}

function checkCount(count: number, category: string): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count of ${JSON.stringify(category)} must be a non-negative integer, got ${count}`);
  }
}

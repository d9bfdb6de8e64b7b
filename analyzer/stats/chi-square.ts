/**
 * Chi-square test of homogeneity for a 2 x k table (reference row, current row),
 * without continuity correction: the same numbers as
 * `scipy.stats.chi2_contingency(table, correction=False)`.
 */
import { regularizedGammaQ } from './incomplete-gamma.js';

/** Survival function of the chi-square distribution: P(X >= statistic). */
export function chiSquareSurvival(statistic: number, degreesOfFreedom: number): number {
  if (degreesOfFreedom <= 0) throw new RangeError('chi-square needs at least one degree of freedom');
  if (statistic <= 0) return 1;
  return regularizedGammaQ(degreesOfFreedom / 2, statistic / 2);
}

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

/**
 * `referenceCounts[i]` and `currentCounts[i]` count category i in each sample.
 * Categories with zero count in both samples are skipped (they carry no
 * information, and scipy would reject the zero expected frequency).
 * Returns null when either sample is empty: the expected frequencies of that
 * row are all zero and the test is undefined.
 */
export function chiSquareHomogeneity(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): ChiSquareResult | null {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError('reference and current counts need the same categories');
  }
  let referenceTotal = 0;
  let currentTotal = 0;
  let categories = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i]!;
    const c = currentCounts[i]!;
    referenceTotal += r;
    currentTotal += c;
    if (r + c > 0) categories++;
  }
  if (referenceTotal === 0 || currentTotal === 0) return null;
  // scipy: with a single category there are no degrees of freedom; it reports 0 and p = 1.
  if (categories < 2) return { statistic: 0, degreesOfFreedom: 0, pValue: 1 };

  const total = referenceTotal + currentTotal;
  let statistic = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i]!;
    const c = currentCounts[i]!;
    const columnTotal = r + c;
    if (columnTotal === 0) continue;
    const expectedReference = (referenceTotal * columnTotal) / total;
    const expectedCurrent = (currentTotal * columnTotal) / total;
    statistic += (r - expectedReference) ** 2 / expectedReference;
    statistic += (c - expectedCurrent) ** 2 / expectedCurrent;
  }
  const degreesOfFreedom = categories - 1;
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}

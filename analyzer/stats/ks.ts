/**
 * Two-sample two-sided Kolmogorov-Smirnov test with the p-value of
 * `scipy.stats.ks_2samp(x, y)` (default method 'auto').
 *
 * Input is what the one-pass fold produces: the sample sizes and the integer
 * maxDiff = max over the merged sample of |A m - B n| (A, B the running counts,
 * n, m the totals), so D = maxDiff / (n m) exactly and the exact-path boundary
 * test needs no floating-point rounding.
 */
import { kolmogorovSurvival } from './kolmogorov-distribution.js';
import { ksExactEqualSizes, ksExactGeneral } from './ks-exact.js';

/** scipy's 'auto' computes the exact distribution when both samples have at most this many values. */
export const KS_EXACT_MAX_SIZE = 10_000;

export type KsMethod = 'exact' | 'asymptotic';

export interface KsResult {
  statistic: number;
  pValue: number;
  method: KsMethod;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy rounds half to even; the effective sample size must round the same way. */
function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function ksTestFromMaxDiff(referenceCount: number, currentCount: number, maxDiff: number): KsResult {
  const n = referenceCount;
  const m = currentCount;
  if (!(n > 0 && m > 0)) throw new RangeError('the KS test needs two non-empty samples');
  const statistic = maxDiff / (n * m);
  if (Math.max(n, m) <= KS_EXACT_MAX_SIZE) {
    const pValue = n === m ? ksExactEqualSizes(n, maxDiff / n) : ksExactGeneral(n, m, maxDiff);
    // scipy reports d = h / lcm(n, m), the same rational as ours rounded once.
    const g = greatestCommonDivisor(n, m);
    return { statistic: maxDiff / g / ((n / g) * m), pValue, method: 'exact' };
  }
  const effectiveSize = Math.max(1, roundHalfToEven((n * m) / (n + m)));
  return { statistic, pValue: kolmogorovSurvival(effectiveSize, statistic), method: 'asymptotic' };
}

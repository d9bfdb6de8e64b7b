/**
 * Survival function P(D_n >= d) of the two-sided one-sample Kolmogorov-Smirnov
 * statistic (scipy's `kstwo.sf(d, n)`). The two-sample test's asymptotic
 * p-value is this function at the effective size round(n m / (n + m)).
 *
 * The choice of algorithm per region follows Simard & L'Ecuyer (2011), as
 * scipy's `kolmogn` does, so that our p-values agree with scipy's:
 *  - n d <= 1 and n d >= n - 1: Ruben-Gambino closed forms;
 *  - d >= 0.5, or n d^2 large: twice the one-sided Smirnov tail (exact
 *    there, because both tails cannot be crossed at once when d >= 0.5 and the
 *    overlap is below double precision otherwise);
 *  - small n d: Durbin's matrix (exact). scipy uses Pomeranz's recursion for
 *    n <= 140 and 0.754693 < n d^2 <= 4; both are exact, so the Durbin matrix
 *    (k <= 24 there) gives the same numbers;
 *  - otherwise the Pelz-Good asymptotic series.
 */
import { kolmogorovCdfDurbin } from './durbin-matrix.js';
import { logFactorialOverPower } from './log-gamma.js';
import { kolmogorovCdfPelzGood } from './pelz-good.js';
import { smirnovSurvival } from './smirnov.js';

function clampProbability(p: number): number {
  return Math.min(1, Math.max(0, p));
}

export function kolmogorovSurvival(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`sample size must be a positive integer, got ${n}`);
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // Ruben-Gambino: P(D_n <= d) = n!/n^n (2t - 1)^n for 1/(2n) <= d <= 1/n.
    const cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clampProbability(1 - cdf);
  }
  if (t >= n - 1) return clampProbability(2 * Math.pow(1 - d, n));
  if (d >= 0.5) return clampProbability(2 * smirnovSurvival(n, d));

  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return clampProbability(1 - kolmogorovCdfDurbin(n, d));
    return clampProbability(2 * smirnovSurvival(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return clampProbability(2 * smirnovSurvival(n, d));
  const cdf = n <= 100_000 && n * Math.pow(d, 1.5) <= 1.4 ? kolmogorovCdfDurbin(n, d) : kolmogorovCdfPelzGood(n, d);
  return clampProbability(1 - cdf);
}

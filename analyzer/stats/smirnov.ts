/**
 * Exact survival function of the one-sided one-sample Kolmogorov-Smirnov
 * statistic D+_n (Smirnov 1944; Birnbaum & Tingey 1951):
 *
 *   P(D+_n >= d) = d * sum_{j=0}^{floor(n(1-d))} C(n, j) (d + j/n)^(j-1) (1 - d - j/n)^(n-j)
 *
 * Every term is positive, so the sum is evaluated term by term in logarithms
 * (no overflow for n up to 10^6, relative error about n * 1e-16).
 * scipy evaluates the same sum (in double-double arithmetic); above n = 10^6 it
 * switches to the approximation exp(-(6nd + 1)^2 / (18n)), and so do we, so the
 * two agree where both are used.
 */
const MAX_EXACT_N = 1_000_000;

export function smirnovSurvival(n: number, d: number): number {
  if (!(d > 0)) return 1;
  if (d >= 1) return 0;
  if (n === 1) return 1 - d;
  if (n * d <= 1) {
    // Only the j = 0 term: P(D+ < d) = d (1 + d)^(n-1) (the sum's complement is a single term).
    return 1 - d * Math.pow(1 + d, n - 1);
  }
  if (-2 * n * d * d < -745 - 38) return 0; // below the smallest double
  if (n * d >= n - 1) return Math.pow(1 - d, n);
  if (n > MAX_EXACT_N) return Math.exp(-Math.pow(6 * n * d + 1, 2) / 18 / n);

  const lastTerm = Math.floor(n * (1 - d));
  // log C(n, j) is carried from term to term (one log per step instead of
  // three log-gammas); the accumulated rounding stays near 1e-12 relative for n = 10^6.
  let logBinomial = 0;
  let sum = 0;
  let largestSeen = 0;
  for (let j = 0; j <= lastTerm; j++) {
    if (j > 0) logBinomial += Math.log((n - j + 1) / j);
    const tail = (n - j) / n - d; // 1 - d - j/n
    if (tail <= 0) break; // (1 - d - j/n)^(n-j) is 0: the term vanishes
    const head = d + j / n;
    const term = Math.exp(logBinomial + (j - 1) * Math.log(head) + (n - j) * Math.log(tail));
    sum += term;
    if (term > largestSeen) largestSeen = term;
    // The terms are unimodal in j; once past the mode and negligible, the rest cannot matter.
    else if (term < sum * 1e-18) break;
  }
  return Math.min(1, d * sum);
}

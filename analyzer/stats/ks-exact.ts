/**
 * Exact null distribution of the two-sided two-sample Kolmogorov-Smirnov
 * statistic: P(D >= d) for samples of sizes n and m without ties, where the
 * observed statistic is d = maxDiff / (n m) and maxDiff = max |i m - j n| over
 * the merged sample (an integer, so the comparison with the boundary is exact).
 *
 * Under the null every interleaving of the two samples is equally likely, i.e.
 * every monotone lattice path from (0, 0) to (n, m). These are the algorithms
 * scipy's `ks_2samp(method='exact')` relies on (Hodges 1958; Viehmann 2021),
 * implemented here from the papers.
 */

/**
 * Equal sample sizes (n = m): the reflection principle gives
 *   P(D >= h/n) = 2 sum_{k>=1} (-1)^(k-1) C(2n, n - k h) / C(2n, n).
 * The alternating sum cancels badly, so it is evaluated as nested products
 *   2 r0 (1 - r1 (1 - r2 (1 - ...))),  r_k = C(2n, n-(k+1)h) / C(2n, n-kh),
 * each ratio a product of h factors below 1.
 */
export function ksExactEqualSizes(n: number, h: number): number {
  if (h <= 0) return 1;
  if (h > n) return 0;
  let nested = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    const offset = k * h;
    for (let j = 0; j < h; j++) ratio *= (n - offset - j) / (n + offset + j + 1);
    nested = ratio * (1 - nested);
  }
  return Math.min(1, Math.max(0, 2 * nested));
}

/**
 * General sizes: fraction of lattice paths that touch the band boundary
 * |i m - j n| >= maxDiff somewhere. Rather than counting paths (which
 * overflows) we carry, for each lattice point, the probability that a uniformly
 * random path to that point has already touched the boundary:
 *   V(i, j) = 1 on or outside the boundary, else
 *   V(i, j) = V(i-1, j) i/(i+j) + V(i, j-1) j/(i+j).
 * V stays in [0, 1] and V(n, m) is the p-value itself, so small p-values keep
 * their relative precision (no 1 - P cancellation). Memory O(min(n, m)),
 * time O(n * band width).
 */
export function ksExactGeneral(n: number, m: number, maxDiff: number): number {
  if (maxDiff <= 0) return 1;
  // Walk along the larger sample so the column (the smaller one) is short.
  const outer = Math.max(n, m);
  const inner = Math.min(n, m);
  const column = new Float64Array(inner + 1).fill(1);
  // Column i = 0: points (0, j) are inside while j * outer < maxDiff.
  for (let j = 0; j <= inner && j * outer < maxDiff; j++) column[j] = 0;
  let previousLow = 0;
  let previousHigh = Math.min(inner, Math.ceil(maxDiff / outer) - 1);
  for (let i = 1; i <= outer; i++) {
    // Inside iff |i inner - j outer| < maxDiff; all integers, exact in doubles.
    const low = Math.max(0, Math.floor((i * inner - maxDiff) / outer) + 1);
    const high = Math.min(inner, Math.ceil((i * inner + maxDiff) / outer) - 1);
    if (high < low) return 1;
    for (let j = low; j <= high; j++) {
      const fromBelow = j >= previousLow && j <= previousHigh ? column[j]! : 1;
      const fromLeft = j === 0 ? 0 : j === low ? 1 : column[j - 1]!;
      column[j] = (fromBelow * i + fromLeft * j) / (i + j);
    }
    previousLow = low;
    previousHigh = high;
  }
  return Math.min(1, Math.max(0, column[inner]!));
}

/**
 * Jensen-Shannon distance with natural logarithms, as
 * `scipy.spatial.distance.jensenshannon(ref_shares, cur_shares)`:
 *   sqrt( (KL(ref || mid) + KL(cur || mid)) / 2 ),  mid = (ref + cur) / 2.
 * Computed on the raw shares (no floor: 0 ln 0 = 0 is well defined here).
 * It lies in [0, sqrt(ln 2)]. null when either side has no values.
 */
import { checkSameLength, shares, total } from './shares.js';

function relativeEntropyTerm(p: number, q: number): number {
  return p === 0 ? 0 : p * Math.log(p / q);
}

export function jensenShannonDistance(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): number | null {
  checkSameLength(referenceCounts, currentCounts);
  if (total(referenceCounts) === 0 || total(currentCounts) === 0) return null;
  const reference = shares(referenceCounts);
  const current = shares(currentCounts);
  let divergence = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = current[i]!;
    const middle = (r + c) / 2;
    divergence += relativeEntropyTerm(r, middle) + relativeEntropyTerm(c, middle);
  }
  // Rounding can leave -1e-17 for identical inputs; the divergence is never negative.
  return Math.sqrt(Math.max(0, divergence / 2));
}

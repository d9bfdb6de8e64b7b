/**
 * Population Stability Index over matching bins or categories:
 *   PSI = sum_i (cur_i - ref_i) ln(cur_i / ref_i)
 * with shares of exactly 0 replaced by 1e-4 (PSI_SHARE_FLOOR) on either side.
 * null when either side has no values.
 */
import { checkSameLength, flooredShares, total } from './shares.js';

export function populationStabilityIndex(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): number | null {
  checkSameLength(referenceCounts, currentCounts);
  if (total(referenceCounts) === 0 || total(currentCounts) === 0) return null;
  const reference = flooredShares(referenceCounts);
  const current = flooredShares(currentCounts);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = current[i]!;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

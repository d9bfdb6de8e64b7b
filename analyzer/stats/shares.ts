/** Turning bin or category counts into shares. */

/** PSI replaces a share of exactly 0 by this floor, so ln(cur / ref) stays finite. */
export const PSI_SHARE_FLOOR = 1e-4;

export function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}

export function shares(counts: ArrayLike<number>): number[] {
  const sum = total(counts);
  return Array.from(counts, (count) => count / sum);
}

/** Shares with zeros replaced by the floor; non-zero shares are left as they are (no renormalisation). */
export function flooredShares(counts: ArrayLike<number>): number[] {
  return shares(counts).map((share) => (share === 0 ? PSI_SHARE_FLOOR : share));
}

export function checkSameLength(reference: ArrayLike<number>, current: ArrayLike<number>): void {
  if (reference.length !== current.length) {
    throw new RangeError(`reference has ${reference.length} bins but current has ${current.length}`);
  }
}

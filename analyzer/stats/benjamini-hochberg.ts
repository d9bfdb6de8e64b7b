/**
 * Benjamini-Hochberg adjusted p-values (step-up), as
 * `scipy.stats.false_discovery_control(p, method='bh')`:
 *   adjusted p_(i) = min over j >= i of  p_(j) * k / j   (capped at 1),
 * with p_(1) <= ... <= p_(k) the k p-values that exist. Entries that are null
 * (a column that could not be tested) stay null and do not count in k.
 */
export function benjaminiHochberg(pValues: ReadonlyArray<number | null>): Array<number | null> {
  const tested: Array<{ index: number; p: number }> = [];
  pValues.forEach((p, index) => {
    if (p === null) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value must lie in [0, 1], got ${p}`);
    tested.push({ index, p });
  });
  const adjusted: Array<number | null> = pValues.map(() => null);
  const k = tested.length;
  tested.sort((a, b) => a.p - b.p);
  let runningMinimum = 1;
  for (let rank = k; rank >= 1; rank--) {
    const entry = tested[rank - 1]!;
    runningMinimum = Math.min(runningMinimum, (entry.p * k) / rank);
    adjusted[entry.index] = runningMinimum;
  }
  return adjusted;
}

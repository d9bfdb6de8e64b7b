/**
 * One-pass, constant-memory fold over a sorted stream of
 * (value, reference count, current count) triples: exactly what a database
 * returns for `SELECT x, countIf(ref), countIf(cur) ... GROUP BY x ORDER BY x`,
 * and what `forEachValueCount` produces from two sorted raw samples. Both the
 * offline and the service path compute KS and Wasserstein-1 here.
 *
 * Between consecutive distinct values the two empirical CDFs are constant,
 * F_ref = A/n and F_cur = B/m with A, B the running counts. Hence
 *   KS D         = max |A m - B n| / (n m)                (kept as the integer numerator)
 *   Wasserstein-1 = sum |A m - B n| (x_next - x) / (n m)  (scipy's integral of |U - V|)
 * The totals n and m must be known before the first triple, because both
 * quantities compare the running counts to them.
 */
import { CompensatedSum } from './compensated-sum.js';

/** (value, referenceCount, currentCount), as one row of the GROUP BY above. */
export type ValueCount = readonly [value: number, referenceCount: number, currentCount: number];

export interface StreamTotals {
  referenceCount: number;
  currentCount: number;
}

export interface NumericStreamSummary {
  referenceCount: number;
  currentCount: number;
  distinctValues: number;
  /** max |A m - B n| over the merged sample; KS D = ksMaxDiff / (n m). */
  ksMaxDiff: number;
  /** null when either side is empty. */
  wasserstein: number | null;
  referenceMin: number | null;
  referenceMax: number | null;
  referenceMean: number | null;
  /** Population standard deviation (ddof = 0, numpy's default) of the reference. */
  referenceStd: number | null;
  /** Current values below the reference minimum / above the reference maximum. */
  currentBelowReference: number;
  currentAboveReference: number;
}

export class NumericStreamFold {
  private readonly n: number;
  private readonly m: number;
  private seenReference = 0;
  private seenCurrent = 0;
  private distinct = 0;
  private previousValue = -Infinity;
  private maxDiff = 0;
  private readonly area = new CompensatedSum();
  // Numbers, never null: a field that holds both would box every double written to it.
  private referenceMin = NaN;
  private referenceMax = NaN;
  private mean = 0;
  private squaredDeviations = 0;
  private currentBelow = 0;
  private currentSinceLastReference = 0;

  constructor(totals: StreamTotals) {
    checkCount(totals.referenceCount, 'reference total');
    checkCount(totals.currentCount, 'current total');
    this.n = totals.referenceCount;
    this.m = totals.currentCount;
  }

  add(value: number, referenceCount: number, currentCount: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`stream value must be finite, got ${value}`);
    if (!(value > this.previousValue)) {
      throw new RangeError(`stream values must be strictly increasing: ${value} after ${this.previousValue}`);
    }
    // Cheap checks inline: this runs once per distinct value, millions of times.
    if (!(referenceCount >= 0 && currentCount >= 0 && referenceCount % 1 === 0 && currentCount % 1 === 0)) {
      throw new RangeError(`counts must be non-negative integers, got ${referenceCount} and ${currentCount}`);
    }
    if (referenceCount + currentCount === 0) return; // a value in neither sample changes nothing
    if (this.distinct > 0) {
      // The CDF gap that held since the previous value, over the gap's width.
      const gap = Math.abs(this.seenReference * this.m - this.seenCurrent * this.n);
      if (gap > 0) this.area.add(gap * (value - this.previousValue));
    }
    if (referenceCount > 0) this.addReference(value, referenceCount);
    else if (this.seenReference === 0) this.currentBelow += currentCount;
    else this.currentSinceLastReference += currentCount;

    this.seenReference += referenceCount;
    this.seenCurrent += currentCount;
    if (this.seenReference > this.n || this.seenCurrent > this.m) {
      throw new RangeError('stream holds more values than the declared totals');
    }
    const diff = Math.abs(this.seenReference * this.m - this.seenCurrent * this.n);
    if (diff > this.maxDiff) this.maxDiff = diff;
    this.previousValue = value;
    this.distinct++;
  }

  private addReference(value: number, count: number): void {
    if (this.seenReference === 0) this.referenceMin = value;
    this.referenceMax = value;
    this.currentSinceLastReference = 0;
    // Weighted Welford update: stable where sum-of-squares would cancel.
    const total = this.seenReference + count;
    const delta = value - this.mean;
    this.mean += (delta * count) / total;
    this.squaredDeviations += delta * (value - this.mean) * count;
  }

  finish(): NumericStreamSummary {
    if (this.seenReference !== this.n || this.seenCurrent !== this.m) {
      throw new RangeError(
        `stream totals (${this.seenReference}, ${this.seenCurrent}) differ from the declared (${this.n}, ${this.m})`,
      );
    }
    const bothSides = this.n > 0 && this.m > 0;
    return {
      referenceCount: this.n,
      currentCount: this.m,
      distinctValues: this.distinct,
      ksMaxDiff: this.maxDiff,
      wasserstein: bothSides ? this.area.value / (this.n * this.m) : null,
      referenceMin: this.n > 0 ? this.referenceMin : null,
      referenceMax: this.n > 0 ? this.referenceMax : null,
      referenceMean: this.n > 0 ? this.mean : null,
      referenceStd: this.n > 0 ? Math.sqrt(Math.max(0, this.squaredDeviations) / this.n) : null,
      currentBelowReference: this.n > 0 ? this.currentBelow : 0,
      currentAboveReference: this.n > 0 ? this.currentSinceLastReference : 0,
    };
  }
}

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`${what} must be a non-negative integer, got ${count}`);
}

/** Fold a whole sorted stream (for example rows from a database cursor). */
export function foldNumericStream(stream: Iterable<ValueCount>, totals: StreamTotals): NumericStreamSummary {
  const fold = new NumericStreamFold(totals);
  for (const [value, referenceCount, currentCount] of stream) fold.add(value, referenceCount, currentCount);
  return fold.finish();
}

/** Same as foldNumericStream for an asynchronous source, still in constant memory. */
export async function foldNumericStreamAsync(
  stream: AsyncIterable<ValueCount>,
  totals: StreamTotals,
): Promise<NumericStreamSummary> {
  const fold = new NumericStreamFold(totals);
  for await (const [value, referenceCount, currentCount] of stream) fold.add(value, referenceCount, currentCount);
  return fold.finish();
}

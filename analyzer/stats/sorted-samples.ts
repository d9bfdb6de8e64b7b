/**
 * Raw samples -> the sorted (value, reference count, current count) stream that
 * the database path receives, so both paths run the same fold.
 */
import type { ValueCount } from './numeric-stream.js';

/**
 * Sort ascending in place. The built-in typed-array sort is numeric without a
 * comparator (an LSD radix sort on the bit patterns was tried: no faster here).
 */
export function sortInPlace(values: Float64Array): Float64Array {
  return values.sort();
}

/**
 * Walk two ascending samples together and report each distinct value once with
 * its multiplicity in each sample. Callback form: no allocation per value.
 */
export function forEachValueCount(
  referenceSorted: ArrayLike<number>,
  currentSorted: ArrayLike<number>,
  visit: (value: number, referenceCount: number, currentCount: number) => void,
): void {
  let i = 0;
  let j = 0;
  const n = referenceSorted.length;
  const m = currentSorted.length;
  while (i < n || j < m) {
    const nextReference = i < n ? referenceSorted[i]! : Infinity;
    const nextCurrent = j < m ? currentSorted[j]! : Infinity;
    const value = nextReference <= nextCurrent ? nextReference : nextCurrent;
    let referenceCount = 0;
    let currentCount = 0;
    while (i < n && referenceSorted[i] === value) {
      i++;
      referenceCount++;
    }
    while (j < m && currentSorted[j] === value) {
      j++;
      currentCount++;
    }
    visit(value, referenceCount, currentCount);
  }
}

/** Iterator form of forEachValueCount, lazily, for callers that want the stream itself. */
export function* valueCountStream(
  referenceSorted: ArrayLike<number>,
  currentSorted: ArrayLike<number>,
): Generator<ValueCount> {
  let i = 0;
  let j = 0;
  while (i < referenceSorted.length || j < currentSorted.length) {
    const nextReference = i < referenceSorted.length ? referenceSorted[i]! : Infinity;
    const nextCurrent = j < currentSorted.length ? currentSorted[j]! : Infinity;
    const value = Math.min(nextReference, nextCurrent);
    const referenceStart = i;
    const currentStart = j;
    while (i < referenceSorted.length && referenceSorted[i] === value) i++;
    while (j < currentSorted.length && currentSorted[j] === value) j++;
    yield [value, i - referenceStart, j - currentStart];
  }
}

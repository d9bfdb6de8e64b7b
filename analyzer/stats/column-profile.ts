/**
 * Per-column bookkeeping that every column gets whatever its kind: how many
 * values entered the statistics, how many were missing, how many had the wrong
 * type, and (numeric) how many current values fall outside the reference range.
 *
 * Missing: null, undefined or the empty string.
 * Type error (numeric): anything else that is not a finite number, NaN and
 *   +-Infinity included. They are counted, never silently coerced.
 * Type error (categorical): anything that is not a string, boolean or finite
 *   number (objects, arrays, NaN, +-Infinity).
 */

/** Below this many values on a side, results carry a note that the test has little power. */
export const SMALL_SAMPLE = 30;

export interface SideCounts {
  /** Values that entered the statistics. */
  valid: number;
  missing: number;
  typeErrors: number;
}

export interface SideExtras {
  missing?: number;
  typeErrors?: number;
}

export interface ColumnProfile {
  referenceCount: number;
  currentCount: number;
  referenceMissing: number;
  currentMissing: number;
  referenceTypeErrors: number;
  currentTypeErrors: number;
  /** missing / all rows of that side; null when the side has no rows. */
  referenceMissingShare: number | null;
  /** Share of the current rows that are missing (the window being watched). */
  missingShare: number | null;
  /** Numeric: share of current values below the reference min or above its max. null when undefined. */
  outOfRangeShare: number | null;
}

function missingShare(side: SideCounts): number | null {
  const rows = side.valid + side.missing + side.typeErrors;
  return rows === 0 ? null : side.missing / rows;
}

export function buildProfile(reference: SideCounts, current: SideCounts, outOfRangeShare: number | null): ColumnProfile {
  return {
    referenceCount: reference.valid,
    currentCount: current.valid,
    referenceMissing: reference.missing,
    currentMissing: current.missing,
    referenceTypeErrors: reference.typeErrors,
    currentTypeErrors: current.typeErrors,
    referenceMissingShare: missingShare(reference),
    missingShare: missingShare(current),
    outOfRangeShare,
  };
}

export function sideCounts(valid: number, extras: SideExtras | undefined): SideCounts {
  return { valid, missing: extras?.missing ?? 0, typeErrors: extras?.typeErrors ?? 0 };
}

export function isMissing(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

export interface NumericSplit {
  values: Float64Array;
  missing: number;
  typeErrors: number;
}

export function splitNumericValues(values: ArrayLike<unknown>): NumericSplit {
  const valid = new Float64Array(values.length);
  let count = 0;
  let missing = 0;
  let typeErrors = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number' && Number.isFinite(value)) valid[count++] = value;
    else if (isMissing(value)) missing++;
    else typeErrors++;
  }
  return { values: valid.slice(0, count), missing, typeErrors };
}

export interface CategoricalSplit {
  counts: Map<string, number>;
  valid: number;
  missing: number;
  typeErrors: number;
}

/** The category a value stands for, or null when it is not a valid category. */
export function categoryOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return null;
}

export function countCategoricalValues(values: ArrayLike<unknown>): CategoricalSplit {
  const counts = new Map<string, number>();
  let valid = 0;
  let missing = 0;
  let typeErrors = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (isMissing(value)) {
      missing++;
      continue;
    }
    const category = categoryOf(value);
    if (category === null) {
      typeErrors++;
      continue;
    }
    counts.set(category, (counts.get(category) ?? 0) + 1);
    valid++;
  }
  return { counts, valid, missing, typeErrors };
}

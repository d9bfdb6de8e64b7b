/**
 * The categories of a frozen reference (a fixed range, an uploaded dataset): the set of
 * values (vocabulary) each categorical column had when the reference was frozen, and how
 * later analyses hold the reference to it. Pure; reference-profiles.ts stores them.
 */
import type { CategoryCount } from '../stats/index.js';

export type ColumnKind = 'numeric' | 'categorical';

/**
 * Larger vocabularies are not frozen. The statistics use every category, but a column with
 * more distinct values than this is an identifier more than a category (its chi-square has
 * no power left), and its vocabulary would be read back by every analysis of the monitor.
 * Such a column keeps following the reference rows, with a note saying so.
 */
export const MAX_FROZEN_CATEGORIES = 10_000;
/** The same bound in characters: values may be up to 4,096 characters long. */
export const MAX_FROZEN_CATEGORY_CHARS = 1_000_000;

/**
 * The reference categories of a column (reference count > 0), sorted as
 * analyzeCategoricalFromCounts orders them; null when there are too many to freeze.
 */
export function referenceVocabulary(categories: Iterable<CategoryCount>): string[] | null {
  const vocabulary: string[] = [];
  let chars = 0;
  for (const { category, referenceCount } of categories) {
    if (referenceCount === 0) continue;
    vocabulary.push(category);
    chars += category.length;
    // Stop early: an identifier-like column can hold millions of values.
    if (vocabulary.length > MAX_FROZEN_CATEGORIES || chars > MAX_FROZEN_CATEGORY_CHARS) return null;
  }
  return vocabulary.sort();
}

export interface RestrictedCategories {
  /** Every frozen category (zero counts included) and every current-only category. */
  categories: CategoryCount[];
  /** Reference values outside the vocabulary (late events), left out of the reference. */
  excludedReference: number;
}

/**
 * Counts held to a frozen vocabulary: a reference value outside it does not count (a late
 * event must not add a category to a frozen reference); a current value outside it keeps its
 * count against a reference count of 0, so it is unseen; a frozen category that no row holds
 * any more is listed with zero counts, so the histogram still shows it.
 */
export function restrictToVocabulary(categories: Iterable<CategoryCount>, vocabulary: readonly string[]): RestrictedCategories {
  const frozen = new Set(vocabulary);
  const restricted: CategoryCount[] = [];
  const listed = new Set<string>();
  let excludedReference = 0;
  for (const { category, referenceCount, currentCount } of categories) {
    listed.add(category);
    if (frozen.has(category)) {
      restricted.push({ category, referenceCount, currentCount });
      continue;
    }
    excludedReference += referenceCount;
    if (currentCount > 0) restricted.push({ category, referenceCount: 0, currentCount });
  }
  for (const category of vocabulary) {
    if (!listed.has(category)) restricted.push({ category, referenceCount: 0, currentCount: 0 });
  }
  return { categories: restricted, excludedReference };
}

/**
 * A column's kind: the one frozen with the reference when there is one, otherwise the kind
 * most of its values have. A frozen kind wins so that a type change upstream shows as type
 * errors against the same bins, instead of a column that flips kind from window to window.
 */
export function columnKind(numericValues: number, categoricalValues: number, frozenKind: ColumnKind | null): ColumnKind {
  if (frozenKind !== null) return frozenKind;
  return numericValues >= categoricalValues ? 'numeric' : 'categorical';
}

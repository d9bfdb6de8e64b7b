// analyzer/service/frozen-categories.ts: the vocabulary frozen with a reference, counts held
// to it (late reference categories left out, current ones unseen), and a column's kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  columnKind, MAX_FROZEN_CATEGORIES, MAX_FROZEN_CATEGORY_CHARS, referenceVocabulary, restrictToVocabulary, type ColumnKind,
} from '../../analyzer/service/frozen-categories.js';
import { analyzeCategoricalFromCounts, type CategoryCount } from '../../analyzer/stats/index.js';

const count = (category: string, referenceCount: number, currentCount: number): CategoryCount => ({ category, referenceCount, currentCount });
const byCategory = (list: CategoryCount[]) => [...list].sort((a, b) => (a.category < b.category ? -1 : 1));

const VOCABULARIES: Array<{ name: string; counts: CategoryCount[]; expected: string[] | null }> = [
  { name: 'nothing counted', counts: [], expected: [] },
  { name: 'sorted by code unit, whatever the order counted', counts: [count('FR', 5, 1), count('DE', 2, 0), count('b', 1, 1), count('Z', 3, 3)], expected: ['DE', 'FR', 'Z', 'b'] },
  { name: 'current-only categories are not the reference\'s', counts: [count('FR', 5, 1), count('IT', 0, 9)], expected: ['FR'] },
  { name: 'the empty string and unicode are categories like any other', counts: [count('é', 1, 0), count('', 1, 0), count('e', 1, 0)], expected: ['', 'e', 'é'] },
  {
    name: 'exactly the category cap is frozen',
    counts: Array.from({ length: MAX_FROZEN_CATEGORIES }, (_, index) => count(`c${index}`, 1, 0)),
    expected: Array.from({ length: MAX_FROZEN_CATEGORIES }, (_, index) => `c${index}`).sort(),
  },
  { name: 'one category over the cap: not frozen', counts: Array.from({ length: MAX_FROZEN_CATEGORIES + 1 }, (_, index) => count(`c${index}`, 1, 0)), expected: null },
  { name: 'current-only categories do not count toward the cap', counts: Array.from({ length: MAX_FROZEN_CATEGORIES + 5 }, (_, index) => count(`c${index}`, index < 3 ? 1 : 0, 1)), expected: ['c0', 'c1', 'c2'] },
  { name: 'too much text: not frozen', counts: [count('a'.repeat(MAX_FROZEN_CATEGORY_CHARS), 1, 0), count('b', 1, 0)], expected: null },
];

for (const { name, counts, expected } of VOCABULARIES) {
  test(`referenceVocabulary: ${name}`, () => {
    assert.deepEqual(referenceVocabulary(counts), expected);
  });
}

const RESTRICTED: Array<{ name: string; counts: CategoryCount[]; vocabulary: string[]; expected: CategoryCount[]; excluded: number }> = [
  {
    name: 'inside the vocabulary: counts unchanged',
    counts: [count('DE', 4, 2), count('FR', 6, 8)], vocabulary: ['DE', 'FR'],
    expected: [count('DE', 4, 2), count('FR', 6, 8)], excluded: 0,
  },
  {
    name: 'a late reference category is left out of the reference, its current values stay (unseen)',
    counts: [count('FR', 6, 8), count('IT', 3, 5)], vocabulary: ['FR'],
    expected: [count('FR', 6, 8), count('IT', 0, 5)], excluded: 3,
  },
  {
    name: 'a late reference category absent from the current window disappears',
    counts: [count('FR', 6, 8), count('IT', 3, 0)], vocabulary: ['FR'],
    expected: [count('FR', 6, 8)], excluded: 3,
  },
  {
    name: 'a frozen category no row holds any more is still listed',
    counts: [count('FR', 6, 8)], vocabulary: ['DE', 'FR'],
    expected: [count('DE', 0, 0), count('FR', 6, 8)], excluded: 0,
  },
  {
    name: 'a frozen category only the current window holds keeps its current count',
    counts: [count('DE', 0, 4), count('FR', 6, 8)], vocabulary: ['DE', 'FR'],
    expected: [count('DE', 0, 4), count('FR', 6, 8)], excluded: 0,
  },
  {
    name: 'an empty vocabulary: every reference value left out',
    counts: [count('FR', 6, 8)], vocabulary: [],
    expected: [count('FR', 0, 8)], excluded: 6,
  },
  { name: 'nothing counted', counts: [], vocabulary: ['FR'], expected: [count('FR', 0, 0)], excluded: 0 },
];

for (const { name, counts, vocabulary, expected, excluded } of RESTRICTED) {
  test(`restrictToVocabulary: ${name}`, () => {
    const restricted = restrictToVocabulary(counts, vocabulary);
    assert.deepEqual(byCategory(restricted.categories), byCategory(expected));
    assert.equal(restricted.excludedReference, excluded);
  });
}

test('restrictToVocabulary: the late category is unseen and the reference sample is what was kept', () => {
  const counts = [count('DE', 40, 30), count('FR', 60, 50), count('IT', 25, 20)];
  const frozen = analyzeCategoricalFromCounts(restrictToVocabulary(counts, ['DE', 'FR']).categories);
  assert.equal(frozen.unseenShare, 20 / 100);
  assert.equal(frozen.profile.referenceCount, 100);
  assert.equal(frozen.profile.currentCount, 100);
  // The same counts without the frozen vocabulary: IT is in the reference and nothing is unseen.
  const live = analyzeCategoricalFromCounts(counts);
  assert.equal(live.unseenShare, 0);
  assert.equal(live.profile.referenceCount, 125);
  assert.notEqual(frozen.psi, live.psi);
});

const KINDS: Array<{ name: string; numeric: number; categorical: number; frozen: ColumnKind | null; expected: ColumnKind }> = [
  { name: 'nothing frozen, mostly numbers', numeric: 10, categorical: 3, frozen: null, expected: 'numeric' },
  { name: 'nothing frozen, mostly strings', numeric: 3, categorical: 10, frozen: null, expected: 'categorical' },
  { name: 'nothing frozen, a tie goes to numeric', numeric: 5, categorical: 5, frozen: null, expected: 'numeric' },
  { name: 'frozen numeric, now mostly strings: stays numeric', numeric: 3, categorical: 10, frozen: 'numeric', expected: 'numeric' },
  { name: 'frozen numeric, no number left at all: stays numeric', numeric: 0, categorical: 10, frozen: 'numeric', expected: 'numeric' },
  { name: 'frozen categorical, now mostly numbers: stays categorical', numeric: 10, categorical: 3, frozen: 'categorical', expected: 'categorical' },
  { name: 'frozen categorical, no string left at all: stays categorical', numeric: 10, categorical: 0, frozen: 'categorical', expected: 'categorical' },
];

for (const { name, numeric, categorical, frozen, expected } of KINDS) {
  test(`columnKind: ${name}`, () => {
    assert.equal(columnKind(numeric, categorical, frozen), expected);
  });
}

/**
 * Categorical column metrics against scipy (chi2_contingency without
 * correction, jensenshannon) and the PSI definition computed with numpy.
 * Tolerances: chi-square statistic relative 1e-12; p-value relative 1e-9 or
 * |error| <= 1e-15; PSI and JS relative 1e-12; unseen share exact to 1e-15.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCategoricalColumn } from '../../analyzer/stats/categorical-column.js';
import { assertClose, generateSample, readFixture, type SampleSpec } from './stats-fixture-rng.js';

interface CategoricalCase {
  name: string;
  note: string;
  reference?: unknown[];
  current?: unknown[];
  /** Large cases: integers from the fixture PRNG, as categories `${prefix}${value}`. */
  reference_spec?: SampleSpec;
  current_spec?: SampleSpec;
  category_prefix?: string;
  expected: {
    reference_count: number;
    current_count: number;
    reference_missing: number;
    current_missing: number;
    chi2_statistic: number | null;
    chi2_dof: number | null;
    chi2_p_value: number | null;
    psi: number | null;
    jensen_shannon: number | null;
    unseen_share: number | null;
  };
}

const cases = readFixture<{ cases: CategoricalCase[] }>('categorical-cases.json').cases;

function values(c: CategoricalCase, side: 'reference' | 'current'): unknown[] {
  const spec = side === 'reference' ? c.reference_spec : c.current_spec;
  if (spec === undefined) return c[side] ?? [];
  return Array.from(generateSample(spec), (v) => `${c.category_prefix ?? ''}${v}`);
}

for (const c of cases) {
  test(`categorical: ${c.name} (${c.note})`, () => {
    const metrics = analyzeCategoricalColumn(values(c, 'reference'), values(c, 'current'));
    const e = c.expected;
    assert.equal(metrics.profile.referenceCount, e.reference_count);
    assert.equal(metrics.profile.currentCount, e.current_count);
    assert.equal(metrics.profile.referenceMissing, e.reference_missing);
    assert.equal(metrics.profile.currentMissing, e.current_missing);
    assertClose(metrics.chiSquareStatistic, e.chi2_statistic, { relative: 1e-12, absolute: 1e-13 }, 'chi2 statistic');
    assert.equal(metrics.chiSquareDegreesOfFreedom, e.chi2_dof);
    assertClose(metrics.chiSquarePValue, e.chi2_p_value, { relative: 1e-9, absolute: 1e-15 }, 'chi2 p-value');
    assertClose(metrics.psi, e.psi, { relative: 1e-12, absolute: 1e-15 }, 'PSI');
    assertClose(metrics.jensenShannon, e.jensen_shannon, { relative: 1e-12, absolute: 1e-15 }, 'JS');
    assertClose(metrics.unseenShare, e.unseen_share, { absolute: 1e-15 }, 'unseen share');
    assert.equal(metrics.profile.outOfRangeShare, null, 'out-of-range does not apply to categories');
  });
}

test('objects and non-finite numbers in a categorical column are type errors', () => {
  const metrics = analyzeCategoricalColumn(['a', 'b', { x: 1 }, NaN], ['a', 1, [2], Infinity, null]);
  assert.equal(metrics.profile.referenceTypeErrors, 2);
  assert.equal(metrics.profile.currentTypeErrors, 2);
  assert.equal(metrics.profile.currentMissing, 1);
  assert.equal(metrics.unseenShare, 0.5, 'the number 1 is the category "1", unseen in the reference');
});

/**
 * Numeric column metrics against scipy/numpy reference values
 * (scripts/gen_drift_fixtures.py -> test/fixtures/drift/numeric-cases.json).
 *
 * Tolerances:
 *   KS statistic: |error| <= 1e-14 (both are the same rational, rounded once)
 *   KS p-value:   |error| <= 1e-9  (the issue allows 1e-3)
 *   PSI, Jensen-Shannon: relative 1e-12 (same bins, same formula, summation order differs)
 *   Wasserstein, normalised Wasserstein: relative 1e-10 (scipy sums with a dot product,
 *     we with compensated summation; relative differences seen are ~1e-14)
 *   bin edges and counts: exact
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeNumericColumn, type NumericColumnMetrics } from '../../analyzer/stats/numeric-column.js';
import { assertClose, caseSamples, numericCases, type NumericExpected } from './stats-fixture-rng.js';

function assertMatchesScipy(actual: NumericColumnMetrics, e: NumericExpected, label: string): void {
  assert.equal(actual.profile.referenceCount, e.reference_count, `${label}: reference count`);
  assert.equal(actual.profile.currentCount, e.current_count, `${label}: current count`);
  assertClose(actual.ksStatistic, e.ks_statistic, { absolute: 1e-14 }, `${label}: KS statistic`);
  assertClose(actual.ksPValue, e.ks_p_value, { absolute: 1e-9 }, `${label}: KS p-value`);
  assert.equal(actual.ksMethod, e.ks_method, `${label}: KS method`);
  assertClose(actual.psi, e.psi, { relative: 1e-12, absolute: 1e-15 }, `${label}: PSI`);
  assertClose(actual.jensenShannon, e.jensen_shannon, { relative: 1e-12, absolute: 1e-15 }, `${label}: JS`);
  assertClose(actual.wasserstein, e.wasserstein, { relative: 1e-10, absolute: 1e-15 }, `${label}: Wasserstein`);
  assertClose(actual.wassersteinNormed, e.wasserstein_normed, { relative: 1e-10, absolute: 1e-15 }, `${label}: W normed`);
  assertClose(actual.profile.outOfRangeShare, e.out_of_range_share, { absolute: 1e-15 }, `${label}: out of range`);
  assert.deepEqual(actual.binEdges, e.bin_edges, `${label}: bin edges`);
  if (e.reference_bin_counts) assert.deepEqual(actual.referenceBinCounts, e.reference_bin_counts, `${label}: ref bins`);
  if (e.current_bin_counts) assert.deepEqual(actual.currentBinCounts, e.current_bin_counts, `${label}: cur bins`);
}

test('fixture covers the required situations', () => {
  const names = numericCases.map((c) => c.name).join('\n');
  for (const needle of ['tiny', 'ties', 'missing', 'identical', 'constant', 'entirely missing', 'nan', 'large']) {
    assert.match(names, new RegExp(needle), `a case about ${needle}`);
  }
  assert.ok(numericCases.some((c) => (c.reference_spec?.n ?? 0) > 100_000 && (c.current_spec?.n ?? 0) > 100_000));
});

for (const c of numericCases) {
  test(`numeric: ${c.name} (${c.note})`, () => {
    const { reference, current } = caseSamples(c);
    const metrics = analyzeNumericColumn(reference, current);
    assertMatchesScipy(metrics, c.expected, c.name);
    assert.equal(metrics.profile.referenceMissing, c.expected.reference_missing);
    assert.equal(metrics.profile.currentMissing, c.expected.current_missing);
    assert.equal(metrics.profile.referenceTypeErrors, c.expected.reference_type_errors);
    assert.equal(metrics.profile.currentTypeErrors, c.expected.current_type_errors);
    for (const value of [metrics.ksPValue, metrics.psi, metrics.wasserstein, metrics.wassersteinNormed]) {
      assert.ok(value === null || Number.isFinite(value), 'metrics are finite numbers or null, never NaN');
    }
    if (metrics.ksPValue === null) assert.ok(metrics.notes.length > 0, 'a null p-value comes with a note');
  });
}

test('missing share counts missing values over all rows of the current side', () => {
  const metrics = analyzeNumericColumn([1, 2, 3], [1, null, undefined, '', NaN, 4]);
  assert.equal(metrics.profile.currentMissing, 3);
  assert.equal(metrics.profile.currentTypeErrors, 1);
  assert.equal(metrics.profile.missingShare, 3 / 6);
  assert.equal(metrics.profile.currentCount, 2);
});

test('strings in a numeric column are type errors, not parsed', () => {
  const metrics = analyzeNumericColumn([1, 2, '3'], [true, 2, { x: 1 }]);
  assert.equal(metrics.profile.referenceTypeErrors, 1);
  assert.equal(metrics.profile.currentTypeErrors, 2);
  assert.equal(metrics.profile.referenceCount, 2);
});

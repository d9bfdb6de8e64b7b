/**
 * Benjamini-Hochberg against scipy.stats.false_discovery_control (relative
 * 1e-12), and the drift decision as a table of situations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg } from '../../analyzer/stats/benjamini-hochberg.js';
import { analyzeCategoricalColumn } from '../../analyzer/stats/categorical-column.js';
import { decideRun, DEFAULT_THRESHOLDS, resolveThresholds, type ThresholdOverrides } from '../../analyzer/stats/decision.js';
import type { NumericColumnMetrics } from '../../analyzer/stats/numeric-column.js';
import { assertClose, readFixture } from './stats-fixture-rng.js';

const bhCases = readFixture<{ cases: Array<{ p: number[]; adjusted: number[] }> }>('benjamini-hochberg.json').cases;

test('Benjamini-Hochberg matches scipy', () => {
  for (const { p, adjusted } of bhCases) {
    const actual = benjaminiHochberg(p);
    actual.forEach((value, i) => assertClose(value, adjusted[i]!, { relative: 1e-12, absolute: 1e-300 }, `BH ${p}`));
  }
});

test('Benjamini-Hochberg leaves untestable columns out of the family', () => {
  assert.deepEqual(benjaminiHochberg([0.01, null, 0.04]), [0.02, null, 0.04]);
  assert.deepEqual(benjaminiHochberg([null, null]), [null, null]);
});

function numeric(p: number | null, psi: number | null, wassersteinNormed: number | null): NumericColumnMetrics {
  return {
    kind: 'numeric',
    profile: {
      referenceCount: 100, currentCount: 100, referenceMissing: 0, currentMissing: 0,
      referenceTypeErrors: 0, currentTypeErrors: 0, referenceMissingShare: 0, missingShare: 0, outOfRangeShare: 0,
    },
    ksStatistic: p === null ? null : 0.2, ksPValue: p, ksMethod: p === null ? null : 'exact',
    psi, jensenShannon: psi === null ? null : 0.1, wasserstein: 0.1, wassersteinNormed,
    binEdges: [], referenceBinCounts: [], currentBinCounts: [], notes: [],
  };
}

const table: Array<{
  situation: string;
  columns: NumericColumnMetrics[];
  overrides?: ThresholdOverrides;
  drifted: boolean[];
  driftShare: number | null;
  datasetDrifted: boolean;
}> = [
  {
    situation: 'significant with a large PSI drifts',
    columns: [numeric(1e-6, 0.3, 0.02)], drifted: [true], driftShare: 1, datasetDrifted: true,
  },
  {
    situation: 'significant but tiny effect (huge window) does not drift',
    columns: [numeric(1e-12, 0.01, 0.02)], drifted: [false], driftShare: 0, datasetDrifted: false,
  },
  {
    situation: 'a mean shift visible in normalised Wasserstein drifts though PSI < 0.1',
    columns: [numeric(1e-20, 0.06, 0.25)], drifted: [true], driftShare: 1, datasetDrifted: true,
  },
  {
    situation: 'large effect but not significant (tiny sample) does not drift',
    columns: [numeric(0.3, 0.8, 0.9)], drifted: [false], driftShare: 0, datasetDrifted: false,
  },
  {
    situation: 'BH adjustment: p = 0.03 alone in a family of 4 is not significant',
    columns: [numeric(0.03, 0.5, 0.5), numeric(0.9, 0.5, 0.5), numeric(0.8, 0.5, 0.5), numeric(0.7, 0.5, 0.5)],
    drifted: [false, false, false, false], driftShare: 0, datasetDrifted: false,
  },
  {
    situation: 'without adjustment the same column drifts',
    columns: [numeric(0.03, 0.5, 0.5), numeric(0.9, 0.5, 0.5), numeric(0.8, 0.5, 0.5), numeric(0.7, 0.5, 0.5)],
    overrides: { multipleTesting: 'none' },
    drifted: [true, false, false, false], driftShare: 0.25, datasetDrifted: false,
  },
  {
    situation: 'dataset drifts at exactly half the tested columns',
    columns: [numeric(1e-9, 0.5, 0.5), numeric(0.9, 0.01, 0.01)],
    drifted: [true, false], driftShare: 0.5, datasetDrifted: true,
  },
  {
    situation: 'a column without p-value is not tested and not in the share',
    columns: [numeric(1e-9, 0.5, 0.5), numeric(null, null, null)],
    drifted: [true, false], driftShare: 1, datasetDrifted: true,
  },
  {
    situation: 'no testable column: no share, no dataset drift',
    columns: [numeric(null, null, null)], drifted: [false], driftShare: null, datasetDrifted: false,
  },
  {
    situation: 'all effect floors disabled: significance alone decides',
    columns: [numeric(1e-9, 0.001, 0.001)],
    overrides: { numericEffect: { psi: null, wassersteinNormed: null } },
    drifted: [true], driftShare: 1, datasetDrifted: true,
  },
  {
    situation: 'stricter PSI floor and W floor off',
    columns: [numeric(1e-9, 0.15, 0.9)],
    overrides: { numericEffect: { psi: 0.2, wassersteinNormed: null } },
    drifted: [false], driftShare: 0, datasetDrifted: false,
  },
  {
    situation: 'configurable dataset share',
    columns: [numeric(1e-9, 0.5, 0.5), numeric(0.9, 0.01, 0.01), numeric(0.9, 0.01, 0.01)],
    overrides: { datasetDriftShare: 0.3 },
    drifted: [true, false, false], driftShare: 1 / 3, datasetDrifted: true,
  },
];

for (const row of table) {
  test(`decision: ${row.situation}`, () => {
    const run = decideRun(row.columns.map((metrics, i) => ({ name: `c${i}`, metrics })), row.overrides);
    assert.deepEqual(run.columns.map((c) => c.drifted), row.drifted);
    assert.equal(run.driftShare, row.driftShare);
    assert.equal(run.datasetDrifted, row.datasetDrifted);
  });
}

test('categorical columns use the chi-square p-value and their own floors', () => {
  const reference = [...Array(500).fill('a'), ...Array(500).fill('b')];
  const current = [...Array(700).fill('a'), ...Array(300).fill('b')];
  const metrics = analyzeCategoricalColumn(reference, current);
  const run = decideRun([{ name: 'segment', metrics }]);
  assert.equal(run.columns[0]!.pValue, metrics.chiSquarePValue);
  assert.equal(run.columns[0]!.drifted, true);
  assert.deepEqual(run.columns[0]!.effectsPassed, ['psi']);
  const lenient = decideRun([{ name: 'segment', metrics }], { categoricalEffect: { psi: 0.5 } });
  assert.equal(lenient.columns[0]!.drifted, false);
});

test('defaults are as documented and invalid thresholds are refused', () => {
  assert.equal(DEFAULT_THRESHOLDS.alpha, 0.05);
  assert.equal(DEFAULT_THRESHOLDS.numericEffect.psi, 0.1);
  assert.equal(DEFAULT_THRESHOLDS.datasetDriftShare, 0.5);
  assert.throws(() => resolveThresholds({ alpha: 0 }), /alpha/);
  assert.throws(() => resolveThresholds({ datasetDriftShare: 1.5 }), /datasetDriftShare/);
  assert.throws(() => resolveThresholds({ numericEffect: { psi: -1 } }), /psi/);
});

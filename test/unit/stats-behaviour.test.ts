/**
 * Statistical behaviour of the whole engine on simulated data (fixed seeds, so
 * these are deterministic; the bounds are wide enough that any correct
 * implementation passes for any seed with overwhelming probability, so a
 * change of seed does not make them flaky).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRun } from '../../analyzer/stats/decision.js';
import { analyzeNumericSamples } from '../../analyzer/stats/numeric-column.js';
import { Mulberry32 } from './stats-fixture-rng.js';

function normalSample(rng: Mulberry32, n: number, mean = 0, sd = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal(mean, sd);
  return out;
}

test('no drift: 200 windows x 20 columns stay at the configured rate', (t) => {
  // Each window: fresh reference and current of 500 rows per column, same
  // distribution, so all 4,000 column tests are independent nulls.
  const rng = new Mulberry32(20240601);
  const windows = 200;
  const columns = 20;
  let rawRejections = 0;
  let flagged = 0;
  let windowsWithAnyFlag = 0;
  let datasetDrifts = 0;
  for (let w = 0; w < windows; w++) {
    const metrics = Array.from({ length: columns }, (_, c) => ({
      name: `c${c}`,
      metrics: analyzeNumericSamples(normalSample(rng, 500), normalSample(rng, 500)),
    }));
    rawRejections += metrics.filter((m) => (m.metrics.ksPValue ?? 1) < 0.05).length;
    const significanceOnly = decideRun(metrics, { numericEffect: { psi: null, wassersteinNormed: null } });
    flagged += significanceOnly.driftedColumns;
    if (significanceOnly.driftedColumns > 0) windowsWithAnyFlag++;
    if (decideRun(metrics).datasetDrifted) datasetDrifts++;
  }
  const tests = windows * columns;
  // Unadjusted KS: P(p < 0.05) is 0.05 minus the discreteness of D (about 0.04
  // for n = m = 500). Binomial sd over 4,000 tests is 0.0034; the band is
  // about +-4 sd around the range 0.035..0.05.
  const rawRate = rawRejections / tests;
  t.diagnostic(`unadjusted ${rawRate}, flagged ${flagged / tests}, windows with a flag ${windowsWithAnyFlag / windows}`);
  assert.ok(rawRate > 0.02 && rawRate < 0.065, `unadjusted rejection rate ${rawRate}`);
  // BH under the global null controls the chance of any flag per window at
  // alpha, so the per-column flag rate is at most 0.05 and in practice ~0.05/20.
  // Bound: share of windows with a flag <= 0.05 + 4 sd (sd = 0.015 over 200 windows).
  assert.ok(windowsWithAnyFlag / windows <= 0.11, `windows with a flag ${windowsWithAnyFlag}`);
  assert.ok(flagged / tests <= 0.05, `column flag rate ${flagged / tests}`);
  assert.equal(datasetDrifts, 0, 'no dataset-level drift verdict on null data');
});

test('a 0.25 standard-deviation mean shift is flagged in the first 5,000-row window', () => {
  const rng = new Mulberry32(77);
  const reference = Array.from({ length: 20 }, () => normalSample(rng, 5000, 10, 3));
  const current = Array.from({ length: 20 }, (_, c) => normalSample(rng, 5000, c === 7 ? 10 + 0.25 * 3 : 10, 3));
  const run = decideRun(reference.map((ref, c) => ({ name: `c${c}`, metrics: analyzeNumericSamples(ref, current[c]!) })));
  const shifted = run.columns[7]!;
  assert.equal(shifted.drifted, true, 'shifted column flagged');
  assert.ok(shifted.adjustedPValue! < 1e-10);
  assert.deepEqual(shifted.effectsPassed, ['wassersteinNormed'], 'PSI of a 0.25 sd shift stays below 0.1');
  assert.equal(run.driftedColumns, 1, 'and only that column');
  assert.equal(run.datasetDrifted, false);
});

test('with 10^5 rows per window tiny shifts are significant but not flagged', () => {
  const rng = new Mulberry32(99);
  const metrics = analyzeNumericSamples(normalSample(rng, 100_000), normalSample(rng, 100_000, 0.05));
  const run = decideRun([{ name: 'x', metrics }]);
  assert.ok(metrics.ksPValue! < 1e-4, 'significant');
  assert.equal(run.columns[0]!.drifted, false, 'effect below the floors');
});

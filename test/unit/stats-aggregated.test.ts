/**
 * The aggregated-input paths (what a database can return) give the same
 * numbers as the raw-array path, on every numeric and categorical fixture case.
 * Value-stream path: bit-identical (same fold, same integers). Fine-bin path:
 * KS identical; Wasserstein within relative 1e-9 (it uses per-bin sums).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binCounts, decileEdgesFromRanks, decileRanks, referenceDecileEdges } from '../../analyzer/stats/binning.js';
import {
  analyzeCategoricalColumn,
  analyzeCategoricalFromCounts,
  type CategoryCount,
} from '../../analyzer/stats/categorical-column.js';
import { countCategoricalValues, splitNumericValues } from '../../analyzer/stats/column-profile.js';
import { fineBinsToRefine, foldFineBins, type FineBin } from '../../analyzer/stats/fine-bins.js';
import {
  analyzeNumericColumn,
  analyzeNumericFromCounts,
  analyzeNumericFromSummary,
} from '../../analyzer/stats/numeric-column.js';
import { foldNumericStream, foldNumericStreamAsync, type ValueCount } from '../../analyzer/stats/numeric-stream.js';
import { valueCountStream } from '../../analyzer/stats/sorted-samples.js';
import { assertClose, caseSamples, numericCases, readFixture } from './stats-fixture-rng.js';

/** What `SELECT x, countIf(ref), countIf(cur) GROUP BY x ORDER BY x` would return, as plain rows. */
function databaseRows(reference: Float64Array, current: Float64Array): ValueCount[] {
  const sortedReference = Float64Array.from(reference).sort();
  const sortedCurrent = Float64Array.from(current).sort();
  return Array.from(valueCountStream(sortedReference, sortedCurrent));
}

function withoutNotes<T extends { notes: string[] }>(metrics: T): Omit<T, 'notes'> {
  const { notes: _notes, ...rest } = metrics;
  return rest;
}

for (const c of numericCases) {
  test(`aggregated numeric path equals raw path: ${c.name}`, async () => {
    const { reference, current } = caseSamples(c);
    const raw = analyzeNumericColumn(reference, current);
    const referenceSplit = splitNumericValues(reference);
    const currentSplit = splitNumericValues(current);
    const rows = databaseRows(referenceSplit.values, currentSplit.values);
    // Edges as the service would fetch them (reference quantiles), bins counted row by row
    // (multiIf in SQL), not by the sorted-array search the raw path uses.
    const edges = referenceDecileEdges(Float64Array.from(referenceSplit.values).sort());
    const totals = { referenceCount: referenceSplit.values.length, currentCount: currentSplit.values.length };
    const aggregated = analyzeNumericFromCounts({
      ...totals,
      valueCounts: rows,
      bins: {
        edges,
        referenceCounts: binCounts(referenceSplit.values, edges),
        currentCounts: binCounts(currentSplit.values, edges),
      },
      reference: referenceSplit,
      current: currentSplit,
    });
    assert.deepEqual(aggregated, raw);

    async function* cursor(): AsyncGenerator<ValueCount> {
      for (const row of rows) yield row;
    }
    assert.deepEqual(await foldNumericStreamAsync(cursor(), totals), foldNumericStream(rows, totals));
  });
}

/** Fine bins of equal width over the merged range, as `GROUP BY intDiv(x - lo, width)` would give. */
function fineBins(rows: ValueCount[], binCount: number): { bins: FineBin[]; members: ValueCount[][] } {
  const lo = rows[0]![0];
  const hi = rows[rows.length - 1]![0];
  const width = (hi - lo) / binCount || 1;
  const groups = new Map<number, ValueCount[]>();
  for (const row of rows) {
    const key = Math.min(binCount - 1, Math.floor((row[0] - lo) / width));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(row);
  }
  const members = [...groups.keys()].sort((a, b) => a - b).map((key) => groups.get(key)!);
  const bins = members.map((group) => ({
    min: group[0]![0],
    max: group[group.length - 1]![0],
    referenceCount: group.reduce((s, [, r]) => s + r, 0),
    currentCount: group.reduce((s, [, , c]) => s + c, 0),
    referenceSum: group.reduce((s, [x, r]) => s + x * r, 0),
    currentSum: group.reduce((s, [x, , c]) => s + x * c, 0),
  }));
  return { bins, members };
}

for (const c of numericCases.filter((x) => x.expected.reference_count > 0 && x.expected.current_count > 0)) {
  test(`fine-bin path equals the value stream: ${c.name}`, () => {
    const { reference, current } = caseSamples(c);
    const rows = databaseRows(splitNumericValues(reference).values, splitNumericValues(current).values);
    const totals = { referenceCount: c.expected.reference_count, currentCount: c.expected.current_count };
    const exact = foldNumericStream(rows, totals);
    const { bins, members } = fineBins(rows, 4096);
    const refine = fineBinsToRefine(bins, totals);
    const refined = new Map(refine.map((index) => [index, members[index]!] as const));
    const result = foldFineBins(bins, totals, refined);
    assert.equal(result.ksMaxDiff, exact.ksMaxDiff, 'KS numerator');
    assertClose(result.wasserstein, exact.wasserstein, { relative: 1e-9, absolute: 1e-12 }, 'Wasserstein');
    if (totals.referenceCount > 100_000) {
      const refinedValues = refine.reduce((s, index) => s + members[index]!.length, 0);
      assert.ok(refinedValues < rows.length / 2, `refined ${refinedValues} of ${rows.length} distinct values`);
    }
    // And the summary route gives the metrics the raw path gives.
    const summary = { ...exact, ksMaxDiff: result.ksMaxDiff };
    const raw = analyzeNumericColumn(reference, current);
    const viaSummary = analyzeNumericFromSummary(summary, {
      edges: raw.binEdges,
      referenceCounts: raw.referenceBinCounts,
      currentCounts: raw.currentBinCounts,
    }, { reference: splitNumericValues(reference), current: splitNumericValues(current) });
    assert.deepEqual(withoutNotes(viaSummary), withoutNotes(raw));
  });
}

test('fine-bin fold refuses to guess a bin it needs', () => {
  const rows: ValueCount[] = [[1, 1, 0], [2, 0, 1], [3, 1, 0], [4, 0, 1]];
  const { bins } = fineBins(rows, 1);
  const totals = { referenceCount: 2, currentCount: 2 };
  assert.deepEqual(fineBinsToRefine(bins, totals), [0]);
  assert.throws(() => foldFineBins(bins, totals, new Map()), /needs its value counts/);
});

interface CategoricalFixture {
  cases: Array<{ name: string; reference?: unknown[]; current?: unknown[] }>;
}

for (const c of readFixture<CategoricalFixture>('categorical-cases.json').cases.filter((x) => x.reference !== undefined)) {
  test(`aggregated categorical path equals raw path: ${c.name}`, () => {
    const raw = analyzeCategoricalColumn(c.reference!, c.current!);
    const reference = countCategoricalValues(c.reference!);
    const current = countCategoricalValues(c.current!);
    // A database returns categories in its own order; the result must not depend on it.
    const rows: CategoryCount[] = [...new Set([...current.counts.keys(), ...reference.counts.keys()])]
      .sort()
      .reverse()
      .map((category) => ({
        category,
        referenceCount: reference.counts.get(category) ?? 0,
        currentCount: current.counts.get(category) ?? 0,
      }));
    const aggregated = analyzeCategoricalFromCounts(rows, { reference, current });
    for (const key of ['chiSquareStatistic', 'chiSquarePValue', 'psi', 'jensenShannon'] as const) {
      assertClose(aggregated[key], raw[key], { relative: 1e-13, absolute: 1e-16 }, key);
    }
    assert.deepEqual(aggregated.profile, raw.profile);
    assert.equal(aggregated.unseenShare, raw.unseenShare);
  });
}

test('stream fold rejects unsorted input and wrong totals', () => {
  assert.throws(() => foldNumericStream([[2, 1, 0], [1, 0, 1]], { referenceCount: 1, currentCount: 1 }), /increasing/);
  assert.throws(() => foldNumericStream([[1, 1, 0]], { referenceCount: 2, currentCount: 0 }), /differ/);
  assert.throws(() => foldNumericStream([[NaN, 1, 0]], { referenceCount: 1, currentCount: 0 }), /finite/);
});

test('decile edges from the few order statistics a database returns equal the raw edges', () => {
  for (const c of numericCases) {
    const { reference } = caseSamples(c);
    const sorted = Float64Array.from(splitNumericValues(reference).values).sort();
    const ranks = decileRanks(sorted.length);
    assert.ok(ranks.length <= 18);
    const fetched = new Map(ranks.map((rank) => [rank, sorted[rank]!] as const));
    assert.deepEqual(decileEdgesFromRanks(sorted.length, fetched), referenceDecileEdges(sorted), c.name);
  }
});

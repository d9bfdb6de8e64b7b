// The per-column fine-bin engine of the service (analyzer/service/numeric-fine-bins.ts)
// against the offline engine on the same values. The complete-stream path must be
// bit-identical; the fine-bin path too, except Wasserstein-1 (exact integral summed in
// another order: 1e-13 relative) and the normalised Wasserstein (per-bin moments for the
// reference standard deviation instead of Welford: 1e-9 relative).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeColumnValues, COMPLETE_REFINEMENT_LIMIT, type ColumnValues } from '../../analyzer/service/numeric-fine-bins.js';
import { analyzeNumericColumn, binCounts, type NumericColumnMetrics } from '../../analyzer/stats/index.js';
import { createRandom, normal } from '../../demo/traffic.js';

/** In-memory column, read in chunks like the spill files (odd chunk size on purpose). */
function inMemory(reference: ArrayLike<number>, current: ArrayLike<number>, chunk = 9_973): ColumnValues {
  const sides = [Float64Array.from(reference), Float64Array.from(current)] as const;
  return {
    referenceCount: sides[0].length,
    currentCount: sides[1].length,
    forEachChunk(side, visit) {
      const values = sides[side];
      for (let i = 0; i < values.length; i += chunk) visit(values.slice(i, i + chunk));
    },
  };
}

function sampleOf(reference: ArrayLike<number>, current: ArrayLike<number>): number[] {
  const all = [...Array.from(reference), ...Array.from(current)];
  const step = Math.max(1, Math.floor(all.length / 4096));
  return all.filter((_, index) => index % step === 0);
}

function analyze(reference: number[], current: number[], frozenEdges: number[] | null = null) {
  return analyzeColumnValues(inMemory(reference, current), { sample: sampleOf(reference, current), frozenEdges });
}

function relative(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : Infinity;
  return Object.is(a, b) || a === b ? 0 : Math.abs(a - b) / Math.abs(b);
}

function assertFineEqualsOffline(actual: NumericColumnMetrics, expected: NumericColumnMetrics): void {
  const { wasserstein, wassersteinNormed, ...rest } = actual;
  const { wasserstein: w, wassersteinNormed: normed, ...expectedRest } = expected;
  assert.deepEqual(rest, expectedRest);
  assert.ok(relative(wasserstein, w) <= 1e-13, `Wasserstein ${wasserstein} vs ${w}`);
  assert.ok(relative(wassersteinNormed, normed) <= 1e-9, `normalised Wasserstein ${wassersteinNormed} vs ${normed}`);
}

function draws(count: number, seed: number, value: (random: () => number) => number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => value(random));
}

const continuous = (mean: number, sd: number) => (random: () => number) => mean + sd * normal(random);

test('small columns take the complete stream and equal the offline engine bit for bit', () => {
  const reference = draws(3_000, 1, continuous(0, 1));
  const current = draws(2_000, 2, continuous(0.3, 1));
  const result = analyze(reference, current);
  assert.equal(result.path, 'complete');
  assert.deepEqual(result.metrics, analyzeNumericColumn(reference, current));
});

test('a large discrete column (few distinct values) is still complete and bit-identical', () => {
  const reference = draws(150_000, 3, (random) => Math.floor(20 + 60 * random()));
  const current = draws(120_000, 4, (random) => Math.floor(22 + 60 * random()));
  const result = analyze(reference, current);
  assert.equal(result.path, 'complete');
  assert.deepEqual(result.metrics, analyzeNumericColumn(reference, current));
  assert.deepEqual(result.edges, result.metrics.binEdges);
});

const fineCases: Array<[name: string, reference: number[], current: number[], maxRefinedShare: number]> = [
  ['normal, shifted 0.1 sd', draws(100_000, 5, continuous(50, 10)), draws(100_000, 6, continuous(51, 10)), 0.05],
  ['normal, no shift', draws(100_000, 7, continuous(50, 10)), draws(80_000, 8, continuous(50, 10)), 0.25],
  ['Cauchy tails, crossing zero', draws(90_000, 9, (r) => Math.tan(Math.PI * (r() + r() * 2 ** -32 - 0.5))), draws(110_000, 10, (r) => 1.2 * Math.tan(Math.PI * (r() + r() * 2 ** -32 - 0.5))), 0.25],
  ['epoch seconds, large offset', draws(100_000, 11, (r) => 1.7e9 + 86_400 * (r() + r() * 2 ** -32)), draws(100_000, 12, (r) => 1.7e9 + 3_600 + 86_400 * (r() + r() * 2 ** -32)), 0.25],
  ['tiny values around zero', draws(100_000, 13, continuous(0, 1e-9)), draws(100_000, 14, continuous(1e-11, 1e-9)), 0.25],
];

for (const [name, reference, current, maxRefinedShare] of fineCases) {
  test(`fine-bin path equals the offline engine: ${name}`, () => {
    const result = analyze(reference, current);
    assert.equal(result.path, 'fine-bins');
    const share = result.refinedValues / (reference.length + current.length);
    assert.ok(result.refinedValues > 0 && share <= maxRefinedShare, `refined ${result.refinedValues} values (${(100 * share).toFixed(1)}%)`);
    assertFineEqualsOffline(result.metrics, analyzeNumericColumn(reference, current));
  });
}

test('frozen edges on the fine-bin path: exact left-closed bin counts, edges used as given', () => {
  const [, reference, current] = fineCases[0]!;
  const edges = [-1e9, 40, 50, 50.000001, 55.5, 60, 1e9];
  const result = analyze(reference, current, edges);
  assert.equal(result.path, 'fine-bins');
  assert.deepEqual(result.metrics.binEdges, edges);
  assert.deepEqual(result.metrics.referenceBinCounts, binCounts(reference, edges));
  assert.deepEqual(result.metrics.currentBinCounts, binCounts(current, edges));
});

test('an empty side and values the bin map cannot scale (overflowing |y|)', () => {
  const reference = draws(80_000, 15, continuous(0, 1));
  assert.deepEqual(analyze([], reference).metrics, analyzeNumericColumn([], reference));
  assert.deepEqual(analyze(reference, []).metrics, analyzeNumericColumn(reference, []));
  // A sample with a tiny spread puts the bins' scale near 1e-300: huge values overflow y.
  const extreme = [...draws(70_000, 16, continuous(0, 1e-300)), 1e300, -1e300, 1.7976931348623157e308];
  const other = [...draws(70_000, 17, continuous(0, 1e-300)), -1.7976931348623157e308];
  const result = analyzeColumnValues(inMemory(extreme, other), { sample: draws(4_096, 18, continuous(0, 1e-300)), frozenEdges: null });
  assertFineEqualsOffline(result.metrics, analyzeNumericColumn(extreme, other));
});

test('the complete path ends where multi-valued bins hold more than COMPLETE_REFINEMENT_LIMIT values', () => {
  const half = Math.floor(COMPLETE_REFINEMENT_LIMIT / 2);
  assert.equal(analyze(draws(half - 10, 19, continuous(0, 1)), draws(half - 10, 20, continuous(0, 1))).path, 'complete');
  // Some bins hold a single value and do not count, so the switch comes a little later.
  assert.equal(analyze(draws(half + 8_000, 21, continuous(0, 1)), draws(half + 8_000, 22, continuous(0, 1))).path, 'fine-bins');
});

test('bins the map puts out of order (rounding at a boundary) are merged, and the results stay exact', () => {
  // With centre 0 and scale 1 (this sample) and 4,096 bins (~100k values), the map sends
  // 0.07619548081975813 to bin 2193 and the next double up to bin 2192: found by scanning
  // adjacent doubles around bin boundaries. Both values present make two bins overlap.
  const low = 0.07619548081975813;
  const high = 0.07619548081975815;
  const reference = [...draws(60_000, 23, continuous(0, 1)), low, 0.0761954808197, 0.07619548082];
  const current = [...draws(50_000, 24, continuous(0.01, 1)), high, low, high];
  const result = analyzeColumnValues(inMemory(reference, current), { sample: [-1, -1, 0, 1], frozenEdges: null });
  assert.equal(result.bins, 4_096);
  assert.equal(result.path, 'fine-bins');
  assertFineEqualsOffline(result.metrics, analyzeNumericColumn(reference, current));
});

// (The spill files are written once; these guards catch a file that changed under the analysis.
// A change confined to groups folded from their aggregates is not seen by the second read.)
test('values of refined groups that differ between the two reads are refused, never folded into wrong numbers', () => {
  const reference = draws(100_000, 21, continuous(0, 1));
  const current = draws(100_000, 22, continuous(0, 1));
  /** The first read sees `current`, every later one `later`. */
  const changing = (later: number[]): ColumnValues => {
    const first = inMemory(reference, current);
    const second = inMemory(reference, later);
    let reads = 0;
    return {
      referenceCount: reference.length,
      currentCount: current.length,
      forEachChunk(side, visit) {
        (reads++ < 2 ? first : second).forEachChunk(side, visit);
      },
    };
  };
  const cases: Array<[string, number[]]> = [
    ['every value moved', current.map((x) => x + 0.25)],
    ['values swapped for others of the same bins', current.map((x) => x * (1 + 1e-12))],
  ];
  for (const [name, later] of cases) {
    assert.throws(
      () => analyzeColumnValues(changing(later), { sample: sampleOf(reference, current), frozenEdges: null }),
      (error: unknown) => error instanceof RangeError && /the data changed between the two reads|do not add up/.test(error.message),
      name,
    );
  }
});

test('the second read in runs of a small budget gives the same numbers as one read, on every path', () => {
  const cases: Array<[string, number[], number[], number[] | null]> = [
    ...fineCases.map(([name, reference, current]): [string, number[], number[], null] => [name, reference, current, null]),
    ['frozen edges', fineCases[0]![1], fineCases[0]![2], [30, 40, 45, 50, 55, 60, 70]],
    ['complete path', draws(3_000, 1, continuous(0, 1)), draws(2_000, 2, continuous(0.3, 1)), null],
  ];
  for (const [name, reference, current, frozenEdges] of cases) {
    const sample = sampleOf(reference, current);
    const whole = analyzeColumnValues(inMemory(reference, current), { sample, frozenEdges });
    for (const budget of [1, 500, 5_000]) {
      let reads = 0;
      const counted = inMemory(reference, current);
      const values: ColumnValues = { ...counted, forEachChunk: (side, visit) => { if (side === 0) reads++; counted.forEachChunk(side, visit); } };
      const inRuns = analyzeColumnValues(values, { sample, frozenEdges, refinementBudget: budget });
      assert.deepEqual(inRuns.metrics, whole.metrics, `${name}, budget ${budget}`);
      assert.deepEqual(inRuns.edges, whole.edges, `${name}, budget ${budget}`);
      assert.equal(inRuns.refinedValues, whole.refinedValues);
      // One read for the bins, then one per run: more than one run when the refined values exceed the budget.
      if (whole.refinedValues > 4 * budget) assert.ok(reads > 3, `${name}, budget ${budget}: ${reads} reads`);
    }
  }
});

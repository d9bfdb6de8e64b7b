// The column engine on continuous data large enough for the fine-bin path (50k + 50k
// events, so 100k values per column, above COMPLETE_REFINEMENT_LIMIT): every statistic
// against the offline engine on the same raw values. Exact equality everywhere except
// two numbers the fine-bin path computes in another order than the offline fold:
// Wasserstein-1 (the exact integral, summed differently: equal in practice, allowed
// 1e-13 relative) and the reference standard deviation behind the normalised Wasserstein
// (per-bin moments instead of Welford in sorted order; 1e-9 relative, because Welford
// itself is off by ~4e-11 on epoch-like values, 1.7e9 +- 2.5e4, where the fine-bin
// value agrees with numpy's np.std and with exact rational arithmetic).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { analyzeColumnDrift, countSideRows } from '../../analyzer/service/column-drift.js';
import type { SideSource } from '../../analyzer/service/sources.js';
import { analyzeCategoricalColumn, analyzeNumericColumn, type ColumnMetrics, type NumericColumnMetrics } from '../../analyzer/stats/index.js';
import { createRandom, normal } from '../../demo/traffic.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { insertPredictions } from '../helpers/seed.js';
import { EMPTY_PROFILE } from '../../analyzer/service/reference-profiles.js';

const config = testConfig('finebins');
let client: ClickHouseClient;

const EVENTS = 50_000;
const REFERENCE_START = Date.UTC(2026, 10, 3);
const CURRENT_START = Date.UTC(2026, 10, 4);
const HOUR = 3_600_000;

type Row = Record<string, number | string | null>;

/**
 * Feature values of one event; `current` shifts some columns. Continuous columns draw two
 * 32-bit uniforms per value: one alone repeats a value now and then among 100k draws,
 * and scattered repeats are the one thing the fine-bin path does not look for (see the
 * last test).
 */
function featureRow(random: () => number, current: boolean): Row {
  const uniform = (): number => random() + random() * 2 ** -32;
  const row: Row = {
    shifted: 100 + 15 * (normal(random) + (current ? 0.2 : 0)),
    unshifted: 100 + 15 * normal(random),
    // Negative and positive values, crossing zero.
    negative: -3 + 4 * uniform(),
    // Heavy tails: Cauchy outliers up to ~1e9 next to a dense centre.
    heavy: Math.tan(Math.PI * (uniform() - 0.5)) * (current ? 1.1 : 1),
    // Large offset, small spread: the bins must not collapse.
    epoch: 1.7e9 + 86_400 * uniform() + (current ? 60 : 0),
    // Dense ties: few distinct values, every bin holds one value (the exact stream path).
    rounded: Math.round((20 + 5 * normal(random)) * 10) / 10,
    plan: random() < (current ? 0.5 : 0.6) ? 'basic' : random() < 0.5 ? 'pro' : 'team',
  };
  if (random() < 0.02) row.unshifted = null;
  if (random() < 0.01) row.negative = 'n/a';
  return row;
}

function events(start: number, count: number, seed: number, current: boolean): PredictionEvent[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, index): PredictionEvent => ({
    event_id: `e-${start}-${index}`,
    model_id: 'fine',
    model_version: 'v1',
    timestamp: start + Math.floor((index / count) * HOUR),
    features: featureRow(random, current),
    prediction: random() < 0.3 ? 'yes' : 'no',
    score: Math.round(random() * 1e6) / 1e6,
  }));
}

const referenceEvents = events(REFERENCE_START, EVENTS, 101, false);
const currentEvents = events(CURRENT_START, EVENTS, 202, true);

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  for (const list of [referenceEvents, currentEvents]) {
    for (let i = 0; i < list.length; i += 10_000) await insertPredictions(client, list.slice(i, i + 10_000));
  }
});

after(async () => {
  await client?.close();
  await dropTestDatabase(config);
});

const reference: SideSource = { kind: 'traffic', modelId: 'fine', modelVersion: 'v1', from: REFERENCE_START, to: REFERENCE_START + HOUR, segment: null };
const current: SideSource = { kind: 'traffic', modelId: 'fine', modelVersion: 'v1', from: CURRENT_START, to: CURRENT_START + HOUR, segment: null };

function column(list: PredictionEvent[], name: string): unknown[] {
  return list.map((event) => (name === 'prediction' ? event.prediction : name === 'score' ? event.score : event.features?.[name]));
}

function relativeDifference(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : Infinity;
  return Object.is(a, b) || a === b ? 0 : Math.abs(a - b) / Math.abs(b);
}

/** deepEqual except the two numbers documented above, which get their tolerances. */
function assertMatchesOffline(actual: ColumnMetrics, expected: ColumnMetrics, name: string): void {
  if (actual.kind !== 'numeric' || expected.kind !== 'numeric') {
    assert.deepEqual(actual, expected, `column ${name}`);
    return;
  }
  const { wasserstein, wassersteinNormed, ...rest } = actual;
  const { wasserstein: expectedWasserstein, wassersteinNormed: expectedNormed, ...expectedRest } = expected as NumericColumnMetrics;
  assert.deepEqual(rest, expectedRest, `column ${name}`);
  assert.ok(relativeDifference(wasserstein, expectedWasserstein) <= 1e-13, `column ${name}: Wasserstein ${wasserstein} vs ${expectedWasserstein}`);
  assert.ok(relativeDifference(wassersteinNormed, expectedNormed) <= 1e-9, `column ${name}: normalised Wasserstein ${wassersteinNormed} vs ${expectedNormed}`);
}

test('continuous columns through the fine-bin path equal the offline engine', async () => {
  const rows = await countSideRows(client, reference, current);
  assert.deepEqual(rows, { reference: EVENTS, current: EVENTS });
  const result = await analyzeColumnDrift(client, { reference, current, selection: { features: null, prediction: true, score: true }, rows, frozen: EMPTY_PROFILE });
  const names = result.columns.map((c) => c.name);
  assert.deepEqual(names, ['epoch', 'heavy', 'negative', 'plan', 'rounded', 'shifted', 'unshifted', 'prediction', 'score']); // by key: f.* first
  for (const { name, metrics } of result.columns) {
    const referenceValues = column(referenceEvents, name);
    const currentValues = column(currentEvents, name);
    const expected = metrics.kind === 'numeric' ? analyzeNumericColumn(referenceValues, currentValues) : analyzeCategoricalColumn(referenceValues, currentValues);
    assertMatchesOffline(metrics, expected, name);
  }
  const byName = new Map(result.columns.map((c) => [c.name, c.metrics]));
  const shifted = byName.get('shifted')!;
  const unshifted = byName.get('unshifted')!;
  assert.ok(shifted.kind === 'numeric' && shifted.ksPValue! < 1e-10, 'the shift is visible');
  assert.ok(unshifted.kind === 'numeric' && unshifted.ksPValue! > 1e-4, 'no shift, no tiny p-value');
  // Ties in the rounded column are seen, and computed edges come back for freezing.
  assert.ok(byName.get('rounded')!.notes.some((note) => note.startsWith('tied values')));
  assert.deepEqual([...result.computedEdges.keys()].sort(), ['f.epoch', 'f.heavy', 'f.negative', 'f.rounded', 'f.shifted', 'f.unshifted', 'score']);
});

test('frozen edges straddling many fine bins give the exact bin counts', async () => {
  const rows = await countSideRows(client, reference, current);
  // Edges that are not data values and sit in dense regions (refined bins).
  const frozen = new Map<string, number[]>([['f.shifted', [80, 99.99, 100, 100.5, 130]], ['f.heavy', [-1e6, -0.3, 0, 1e-9, 2]]]);
  const result = await analyzeColumnDrift(client, { reference, current, selection: { features: ['shifted', 'heavy', 'unshifted'], prediction: false, score: false }, rows, frozen: { edges: frozen, categories: new Map() } });
  assert.deepEqual(result.columns.map((c) => c.name), ['heavy', 'shifted', 'unshifted']);
  assert.deepEqual([...result.computedEdges.keys()], ['f.unshifted']);
  for (const name of ['heavy', 'shifted']) {
    const metrics = result.columns.find((c) => c.name === name)!.metrics;
    assert.ok(metrics.kind === 'numeric');
    const edges = frozen.get(`f.${name}`)!;
    assert.deepEqual(metrics.binEdges, edges);
    for (const [side, list, counts] of [['reference', referenceEvents, metrics.referenceBinCounts], ['current', currentEvents, metrics.currentBinCounts]] as const) {
      const values = column(list, name).filter((v): v is number => typeof v === 'number');
      const expected = edges.map(() => 0).concat(0);
      for (const v of values) expected[edges.filter((edge) => edge <= v).length]!++;
      assert.deepEqual(counts, expected, `${name} ${side} bin counts`);
    }
  }
});

test('a redelivered event in the window is counted once (FINAL), as offline', async () => {
  // Same event ids again: ReplacingMergeTree keys collapse them; the plain read would not.
  await insertPredictions(client, currentEvents.slice(0, 50));
  const rows = await countSideRows(client, reference, current);
  assert.deepEqual(rows, { reference: EVENTS, current: EVENTS });
  const result = await analyzeColumnDrift(client, { reference, current, selection: { features: ['shifted', 'plan'], prediction: false, score: false }, rows, frozen: EMPTY_PROFILE });
  for (const { name, metrics } of result.columns) {
    const expected = metrics.kind === 'numeric'
      ? analyzeNumericColumn(column(referenceEvents, name), column(currentEvents, name))
      : analyzeCategoricalColumn(column(referenceEvents, name), column(currentEvents, name));
    assertMatchesOffline(metrics, expected, name);
  }
});

test('scattered repeats among continuous values: at most the ties note differs', async () => {
  // A column of 100k distinct continuous values in which three values occur twice, far
  // apart in dense regions. The offline engine notes the ties; the fine-bin path sees a
  // repeat only where it is visible (a refined bin, a single-valued bin, the sample),
  // since finding every one would cost a lookup per value. Everything else is exact.
  const random = createRandom(303);
  const make = (start: number, count: number, prefix: string): PredictionEvent[] =>
    Array.from({ length: count }, (_, index) => ({
      event_id: `${prefix}-${index}`, model_id: 'ties', model_version: 'v1', timestamp: start + Math.floor((index / count) * HOUR),
      features: { x: 10 + normal(random) }, prediction: 'no',
    }));
  const tiesReference = make(REFERENCE_START, EVENTS, 'r');
  const tiesCurrent = make(CURRENT_START, EVENTS, 'c');
  for (const [from, to] of [[10, 20_000], [30_000, 41_000], [49_000, 5]] as const) tiesCurrent[to]!.features!.x = tiesReference[from]!.features!.x!;
  for (const list of [tiesReference, tiesCurrent]) {
    for (let i = 0; i < list.length; i += 10_000) await insertPredictions(client, list.slice(i, i + 10_000));
  }
  const source = (from: number): SideSource => ({ kind: 'traffic', modelId: 'ties', modelVersion: 'v1', from, to: from + HOUR, segment: null });
  const rows = await countSideRows(client, source(REFERENCE_START), source(CURRENT_START));
  const result = await analyzeColumnDrift(client, { reference: source(REFERENCE_START), current: source(CURRENT_START), selection: { features: ['x'], prediction: false, score: false }, rows, frozen: EMPTY_PROFILE });
  const metrics = result.columns[0]!.metrics;
  const expected = analyzeNumericColumn(column(tiesReference, 'x'), column(tiesCurrent, 'x'));
  assert.ok(expected.notes.some((note) => note.startsWith('tied values')));
  const tiesNote = (notes: string[]): string[] => notes.filter((note) => !note.startsWith('tied values'));
  assertMatchesOffline({ ...metrics, notes: tiesNote(metrics.notes) }, { ...expected, notes: tiesNote(expected.notes) }, 'x');
});

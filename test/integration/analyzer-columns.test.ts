// The in-ClickHouse column engine against the offline engine on the same rows: every
// statistic of every column must be identical, whatever the rows hold (ties, -0, missing
// values, values of the wrong kind, redelivered duplicates).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { analyzeColumnDrift, countSideRows, type ColumnResult } from '../../analyzer/service/column-drift.js';
import { ColumnSpill } from '../../analyzer/service/column-spill.js';
import { discoverFeatures, MAX_PATTERNS, RowsChangedError, sideQuery, streamNumericValues } from '../../analyzer/service/column-streams.js';
import type { SideSource } from '../../analyzer/service/sources.js';
import { analyzeCategoricalColumn, analyzeNumericColumn, type ColumnMetrics } from '../../analyzer/stats/index.js';
import { createRandom, normal } from '../../demo/traffic.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { fragment } from '../../storage/sql.js';
import { patternsNotKept } from '../helpers/feature-patterns.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { insertPredictions } from '../helpers/seed.js';
import { EMPTY_PROFILE } from '../../analyzer/service/reference-profiles.js';

const config = testConfig('columns');
let client: ClickHouseClient;

const REFERENCE_START = Date.UTC(2026, 10, 1);
const CURRENT_START = Date.UTC(2026, 10, 2);
const HOUR = 3_600_000;

function events(start: number, count: number, shift: number, seed: number, version = 'v1'): PredictionEvent[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, index): PredictionEvent => {
    const features: Record<string, number | string | boolean | null> = {
      income: Math.round((50 + 10 * normal(random) + 3 * shift) * 100) / 100,
      age: Math.floor(20 + 40 * random() + shift),
      // A zero of either sign: one value for every statistic.
      zeros: random() < 0.5 ? 0 : -0,
      plan: random() < 0.6 + shift / 50 ? 'basic' : random() < 0.5 ? 'pro' : 'team',
      active: random() < 0.7,
    };
    if (random() < 0.1) features.income = null;
    if (random() < 0.05) delete features.age;
    if (random() < 0.03) features.income = 'n/a';
    return {
      event_id: `${version}-${start}-${index}`,
      model_id: 'churn',
      model_version: version,
      timestamp: start + Math.floor((index / count) * HOUR),
      features,
      prediction: random() < 0.3 + shift / 40 ? 'churn' : 'stay',
      score: Math.round(random() * 1000) / 1000,
    };
  });
}

const referenceEvents = events(REFERENCE_START, 3000, 0, 11);
const currentEvents = events(CURRENT_START, 2000, 2, 12);

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  await insertPredictions(client, referenceEvents);
  await insertPredictions(client, currentEvents);
  // Redelivered events (same event_id) must not count twice.
  await insertPredictions(client, currentEvents.slice(0, 500));
  await insertPredictions(client, events(CURRENT_START, 100, 0, 13, 'v2'));
});

after(async () => {
  await client?.close();
  await dropTestDatabase(config);
});

const reference: SideSource = { kind: 'traffic', modelId: 'churn', modelVersion: 'v1', from: REFERENCE_START, to: REFERENCE_START + HOUR, segment: null };
const current: SideSource = { kind: 'traffic', modelId: 'churn', modelVersion: 'v1', from: CURRENT_START, to: CURRENT_START + HOUR, segment: null };

function column(list: PredictionEvent[], name: string): unknown[] {
  return list.map((event) => (name === 'prediction' ? event.prediction : name === 'score' ? event.score : event.features?.[name]));
}

function offline(name: string, kind: ColumnMetrics['kind']): ColumnMetrics {
  const referenceValues = column(referenceEvents, name);
  const currentValues = column(currentEvents, name);
  return kind === 'numeric' ? analyzeNumericColumn(referenceValues, currentValues) : analyzeCategoricalColumn(referenceValues, currentValues);
}

test('every statistic of every column equals the offline engine on the same rows', async () => {
  const rows = await countSideRows(client, reference, current);
  assert.deepEqual(rows, { reference: 3000, current: 2000 });
  const result = await analyzeColumnDrift(client, {
    reference,
    current,
    selection: { features: null, prediction: true, score: true },
    rows,
    frozen: EMPTY_PROFILE,
  });
  const expectedKinds: Record<string, ColumnMetrics['kind']> = {
    active: 'categorical', age: 'numeric', income: 'numeric', plan: 'categorical', prediction: 'categorical', score: 'numeric', zeros: 'numeric',
  };
  assert.deepEqual(Object.fromEntries(result.columns.map((c) => [c.name, c.metrics.kind])), expectedKinds);
  for (const { name, metrics, role } of result.columns) {
    assert.equal(role, name === 'prediction' ? 'prediction' : name === 'score' ? 'score' : 'feature');
    assert.deepEqual(metrics, offline(name, metrics.kind), `column ${name}`);
  }
  // The shift is visible where it was put.
  const income = result.columns.find((c) => c.name === 'income')!.metrics;
  assert.ok(income.kind === 'numeric' && income.ksPValue !== null && income.ksPValue < 1e-6);
  assert.equal(income.profile.currentTypeErrors, currentEvents.filter((e) => e.features?.income === 'n/a').length);
});

test('frozen categories hold the reference to them, and a column frozen as one kind keeps it', async () => {
  const rows = await countSideRows(client, reference, current);
  const result = await analyzeColumnDrift(client, {
    reference,
    current,
    selection: { features: ['plan', 'active', 'age', 'income'], prediction: true, score: false },
    rows,
    // active holds booleans only, age numbers only: each frozen as the other kind.
    frozen: { edges: new Map([['f.active', [0.5]]]), categories: new Map([['f.plan', ['basic', 'pro']], ['f.age', ['20', '21']]]) },
  });
  const byName = new Map(result.columns.map((c) => [c.name, c]));
  assert.deepEqual([...byName.keys()], ['active', 'age', 'income', 'plan', 'prediction']);

  // plan: 'team' is not in the frozen categories, so only the current window counts it (unseen).
  const plan = byName.get('plan')!;
  assert.ok(plan.metrics.kind === 'categorical');
  const withoutTeam = column(referenceEvents, 'plan').filter((value) => value !== 'team');
  const expected = analyzeCategoricalColumn(withoutTeam, column(currentEvents, 'plan'));
  const teamInReference = referenceEvents.length - withoutTeam.length;
  assert.ok(teamInReference > 0 && expected.unseenShare! > 0);
  assert.equal(plan.metrics.unseenShare, expected.unseenShare);
  assert.equal(plan.metrics.psi, expected.psi);
  assert.equal(plan.metrics.chiSquarePValue, expected.chiSquarePValue);
  assert.equal(plan.metrics.profile.referenceCount, withoutTeam.length);
  assert.deepEqual(plan.categories!.find((c) => c.category === 'team'), { category: 'team', referenceCount: 0, currentCount: column(currentEvents, 'plan').filter((value) => value === 'team').length });
  assert.ok(plan.metrics.notes.includes(`${teamInReference} reference value(s) outside the categories frozen with the reference (late events) left out`));

  // age: numbers, frozen categorical: every number is a type error; the frozen categories show with zero counts.
  const age = byName.get('age')!;
  assert.ok(age.metrics.kind === 'categorical');
  assert.equal(age.metrics.profile.referenceCount, 0);
  assert.equal(age.metrics.profile.referenceTypeErrors, column(referenceEvents, 'age').filter((value) => typeof value === 'number').length);
  assert.deepEqual(age.categories, [{ category: '20', referenceCount: 0, currentCount: 0 }, { category: '21', referenceCount: 0, currentCount: 0 }]);

  // active: booleans, frozen numeric: no number on either side, the frozen edges kept.
  const active = byName.get('active')!;
  assert.ok(active.metrics.kind === 'numeric');
  assert.deepEqual(active.metrics.binEdges, [0.5]);
  assert.deepEqual(active.metrics.referenceBinCounts, [0, 0]);
  assert.equal(active.metrics.profile.referenceTypeErrors, referenceEvents.length);
  assert.equal(active.metrics.profile.currentTypeErrors, currentEvents.length);

  // Only what was not frozen is offered for freezing.
  assert.deepEqual([...result.computedEdges.keys()], ['f.income']);
  assert.deepEqual([...result.computedCategories], [['prediction', ['churn', 'stay']]]);
  assert.deepEqual(result.categoriesTooManyToFreeze, []);
});

test('frozen edges are used as given, and a feature selection limits the columns', async () => {
  const rows = await countSideRows(client, reference, current);
  const frozen = new Map([['f.income', [40, 50, 60]]]);
  const result = await analyzeColumnDrift(client, {
    reference,
    current,
    selection: { features: ['income'], prediction: false, score: false },
    rows,
    frozen: { edges: frozen, categories: new Map() },
  });
  assert.deepEqual(result.columns.map((c) => c.name), ['income']);
  const income = result.columns[0]!.metrics;
  assert.ok(income.kind === 'numeric');
  assert.deepEqual(income.binEdges, [40, 50, 60]);
  assert.equal(result.computedEdges.size, 0);
  const valid = currentEvents.map((e) => e.features?.income).filter((v): v is number => typeof v === 'number');
  assert.deepEqual(income.currentBinCounts, [
    valid.filter((v) => v < 40).length,
    valid.filter((v) => v >= 40 && v < 50).length,
    valid.filter((v) => v >= 50 && v < 60).length,
    valid.filter((v) => v >= 60).length,
  ]);
});

test('a side with more feature-name patterns than MAX_PATTERNS is read by per-value ids, the other by pattern, with the same numbers', async () => {
  // Ten features each present in half the rows: ~1,000 distinct name lists in the reference.
  const sparse = (start: number, count: number, shift: number, seed: number): PredictionEvent[] => {
    const random = createRandom(seed);
    return Array.from({ length: count }, (_, index): PredictionEvent => {
      const features: Record<string, number> = {};
      for (let f = 0; f < 10; f++) if (random() < 0.5) features[`s${f}`] = Math.round((f + normal(random) + shift) * 1000) / 1000;
      return { event_id: `sparse-${start}-${index}`, model_id: 'sparse', model_version: 'v1', timestamp: start + Math.floor((index / count) * HOUR), features, prediction: random() };
    });
  };
  const referenceRows = sparse(REFERENCE_START, 3000, 0, 21);
  // The current side keeps to 3 patterns: one side by id, the other by pattern, in one analysis.
  const currentRows = sparse(CURRENT_START, 1500, 0.3, 22).map((event, index) => ({ ...event, features: Object.fromEntries(Object.entries(event.features!).filter(([name]) => name < `s${3 + (index % 3)}`)) }));
  await insertPredictions(client, referenceRows);
  await insertPredictions(client, currentRows);
  const side = (from: number): SideSource => ({ kind: 'traffic', modelId: 'sparse', modelVersion: 'v1', from, to: from + HOUR, segment: null });
  const patterns = new Set(referenceRows.map((event) => Object.keys(event.features!).join(','))).size;
  assert.ok(patterns > MAX_PATTERNS, `${patterns} patterns in the reference`);
  const rows = await countSideRows(client, side(REFERENCE_START), side(CURRENT_START));
  const result = await analyzeColumnDrift(client, { reference: side(REFERENCE_START), current: side(CURRENT_START), selection: { features: null, prediction: true, score: false }, rows, frozen: EMPTY_PROFILE });
  const values = (list: PredictionEvent[], name: string): unknown[] => list.map((event) => (name === 'prediction' ? event.prediction : event.features?.[name]));
  assert.deepEqual(result.columns.map((c) => c.name), [...Array.from({ length: 10 }, (_, f) => `s${f}`), 'prediction']);
  for (const { name, metrics } of result.columns) assert.deepEqual(metrics, analyzeNumericColumn(values(referenceRows, name), values(currentRows, name)), `column ${name}`);
});

test('rows of a pattern discovery did not see (stored in between) stop the value stream with RowsChangedError, on which analyzeColumnDrift reads the window again', async () => {
  const queries = [sideQuery(reference, 0, false), sideQuery(current, 1, false)] as const;
  const discovery = await discoverFeatures(client, queries, null);
  const currentPatterns = new Map(discovery.patterns[1]!);
  assert.ok(currentPatterns.size >= 2);
  // As if the rows of one pattern had arrived after discovery.
  currentPatterns.delete([...currentPatterns.keys()][0]!);
  const spill = new ColumnSpill();
  try {
    await assert.rejects(
      streamNumericValues(client, queries, { ...discovery, patterns: [discovery.patterns[0], currentPatterns] }, { features: null, prediction: true, score: true }, spill),
      (error: Error) => error instanceof RowsChangedError && /feature names not seen at discovery/.test(error.message),
    );
  } finally {
    spill.dispose();
  }
});

// Last in this file: it empties feature_patterns.
test("each pattern's names are kept as rows arrive; patterns missing there (rows older than migration 0007) are found by scanning, with the same numbers", async () => {
  assert.deepEqual(await patternsNotKept(client, 'predictions', fragment`model_id = 'churn'`), []);
  const analyze = async (): Promise<ColumnResult[]> => {
    const rows = await countSideRows(client, reference, current);
    return (await analyzeColumnDrift(client, { reference, current, selection: { features: null, prediction: true, score: true }, rows, frozen: EMPTY_PROFILE })).columns;
  };
  const withKeptNames = await analyze();
  await client.command({ query: 'TRUNCATE TABLE feature_patterns' });
  assert.ok((await patternsNotKept(client, 'predictions', fragment`model_id = 'churn'`)).length >= 2, 'the churn rows have several patterns, none kept now');
  const scanned = await analyze();
  assert.deepEqual(scanned, withKeptNames);
  for (const { name, metrics } of scanned) assert.deepEqual(metrics, offline(name, metrics.kind), `column ${name}`);
});

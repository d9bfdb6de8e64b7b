// The analyzer as a service on real ClickHouse: a monitor's window analysed by the job
// runner stores the offline engine's numbers; every reference kind; too few events; late
// labels recompute accuracy and coverage; results come back through the API queries.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseMonitor, type Monitor } from '../../analyzer/monitors/index.js';
import { classificationAggregates, classificationMetrics } from '../../analyzer/performance/index.js';
import { readReferenceText } from '../../analyzer/references/dataset-rows.js';
import { uploadReferenceDataset } from '../../analyzer/references/reference-store.js';
import { JobRunner } from '../../analyzer/service/job-runner.js';
import { jobId, type AnalysisJob } from '../../analyzer/service/jobs.js';
import { listMonitors, saveMonitor, syncConfigMonitors } from '../../analyzer/service/monitor-store.js';
import { driftSeries, performanceSeries, windowSummaries } from '../../analyzer/service/result-queries.js';
import { AnalysisScheduler } from '../../analyzer/service/scheduler.js';
import { freezeReferenceAtRegistration } from '../../analyzer/service/window-analysis.js';
import { getReferenceDataset } from '../../analyzer/references/reference-store.js';
import { analyzeCategoricalColumn, analyzeNumericColumn, decideRun } from '../../analyzer/stats/index.js';
import { createRandom, normal } from '../../demo/traffic.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import type { LabelEvent, PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { insertFeatureLogs, insertLabels, insertPredictions } from '../helpers/seed.js';

const config = testConfig('analyzer');
const log = createLogger('error');
let client: ClickHouseClient;
let kafka: KafkaAdapter;
let runner: JobRunner;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CURRENT = Date.UTC(2026, 10, 20, 12); // the analysed window: 12:00-13:00
const CURRENT_WINDOW = { start: CURRENT, end: CURRENT + HOUR };

interface Seeded {
  predictions: PredictionEvent[];
  labels: LabelEvent[];
}

/** Events spread over [start, start + span), with a shift in amount and country. */
function traffic(model: string, version: string, start: number, span: number, count: number, shift: number, seed: number): Seeded {
  const random = createRandom(seed);
  const predictions: PredictionEvent[] = [];
  const labels: LabelEvent[] = [];
  for (let index = 0; index < count; index++) {
    const amount = Math.round((100 + 20 * normal(random) + 20 * shift) * 100) / 100;
    const country = random() < 0.5 + 0.3 * shift ? 'FR' : random() < 0.5 ? 'DE' : 'ES';
    const score = Math.round(Math.min(1, Math.max(0, (amount - 60) / 100 + 0.2 * normal(random))) * 1000) / 1000;
    const event: PredictionEvent = {
      event_id: `${model}-${version}-${start}-${index}`,
      model_id: model,
      model_version: version,
      timestamp: start + Math.floor((index / count) * span),
      features: { amount, country, items: Math.floor(random() * 5) },
      prediction: score >= 0.5 ? 1 : 0,
      score,
      segments: { channel: index % 3 === 0 ? 'web' : 'app' },
    };
    predictions.push(event);
    // Ground truth drifts too: the model gets worse under the shift.
    const truth = random() < (shift > 0 ? 0.5 : 0.85) ? event.prediction : 1 - (event.prediction as number);
    labels.push({ event_id: event.event_id, model_id: model, timestamp: (event.timestamp as number) + DAY, label: truth });
  }
  return { predictions, labels };
}

const referenceTraffic = traffic('fraud', 'v1', CURRENT - DAY, DAY, 4000, 0, 1);
const currentTraffic = traffic('fraud', 'v1', CURRENT, HOUR, 1500, 1, 2);
const challengerTraffic = traffic('fraud', 'v2', CURRENT, HOUR, 1200, 0, 3);
// Older traffic for the fixed reference, outside every trailing reference.
const FIXED_FROM = CURRENT - 3 * DAY;
const fixedTraffic = traffic('fraud', 'v1', FIXED_FROM, DAY, 2000, 0, 4);

function monitor(definition: Record<string, unknown>): Monitor {
  return parseMonitor({ model_id: 'fraud', model_version: 'v1', window: '1h', ...definition });
}

function job(monitorId: string, window = CURRENT_WINDOW, reason: AnalysisJob['reason'] = 'manual'): AnalysisJob {
  const requestedMs = Date.now();
  return { jobId: jobId(monitorId, window.start, reason, requestedMs), monitorId, windowStart: window.start, windowEnd: window.end, reason, requestedMs };
}

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'analyzer-test' }, log);
  await insertPredictions(client, [...fixedTraffic.predictions, ...referenceTraffic.predictions, ...currentTraffic.predictions, ...challengerTraffic.predictions]);
  await insertLabels(client, referenceTraffic.labels);
  runner = new JobRunner({
    client,
    kafka,
    settings: { jobsTopic: config.kafka.topics.jobs, groupId: config.analyzer.groupId, maxAttempts: 2, retryInitialMs: 10, instance: 'test' },
    findDataset: async (name) => {
      const dataset = await getReferenceDataset(client, name);
      return dataset === null ? null : { uploadId: dataset.upload_id };
    },
    log,
  });
});

after(async () => {
  await kafka?.close();
  await client?.close();
  await dropTestDatabase(config);
});

function values(events: PredictionEvent[], column: string): unknown[] {
  return events.map((event) => (column === 'prediction' ? event.prediction : column === 'score' ? event.score : event.features?.[column]));
}

test('a trailing-reference monitor stores exactly what the offline engine computes on the same rows', async () => {
  const trailing = monitor({ id: 'trailing', reference: { type: 'trailing', length: '1d', offset: '0s' } });
  await saveMonitor(client, trailing, 'api');
  assert.equal(await runner.runJob(job('trailing')), 'succeeded');

  const filter = { modelId: 'fraud', monitorId: 'trailing', limit: 10 };
  const [window] = await windowSummaries(client, filter);
  assert.equal(window?.status, 'ok');
  assert.equal(window?.reference.count, 4000);
  assert.equal(window?.current_count, 1500);
  assert.equal(window?.reference.kind, 'trailing');
  // Volume: the reference ran at 4000 per day, so 166.7 per hour were expected.
  assert.ok(Math.abs(window!.expected_count! - 4000 / 24) < 1e-9);
  assert.ok(Math.abs(window!.volume_change! - (1500 / (4000 / 24) - 1)) < 1e-12);

  const series = await driftSeries(client, filter, true);
  const byColumn = new Map(series.map((entry) => [entry.column, entry]));
  assert.deepEqual([...byColumn.keys()].sort(), ['amount', 'country', 'items', 'prediction', 'score']);
  const offline = {
    amount: analyzeNumericColumn(values(referenceTraffic.predictions, 'amount'), values(currentTraffic.predictions, 'amount')),
    items: analyzeNumericColumn(values(referenceTraffic.predictions, 'items'), values(currentTraffic.predictions, 'items')),
    score: analyzeNumericColumn(values(referenceTraffic.predictions, 'score'), values(currentTraffic.predictions, 'score')),
    prediction: analyzeNumericColumn(values(referenceTraffic.predictions, 'prediction'), values(currentTraffic.predictions, 'prediction')),
    country: analyzeCategoricalColumn(values(referenceTraffic.predictions, 'country'), values(currentTraffic.predictions, 'country')),
  };
  const decision = decideRun(Object.entries(offline).map(([name, metrics]) => ({ name, metrics })));
  for (const [name, expected] of Object.entries(offline)) {
    const point = byColumn.get(name)!.points[0]!;
    assert.equal(point.metrics.psi, expected.psi, `${name} psi`);
    assert.equal(point.metrics.jensen_shannon, expected.jensenShannon, `${name} js`);
    assert.equal(point.metrics.missing_share, expected.profile.missingShare, `${name} missing`);
    if (expected.kind === 'numeric') {
      assert.equal(point.metrics.ks_statistic, expected.ksStatistic, `${name} ks`);
      assert.equal(point.metrics.ks_p_value, expected.ksPValue, `${name} ks p`);
      assert.equal(point.metrics.wasserstein, expected.wasserstein, `${name} wasserstein`);
      assert.equal(point.metrics.out_of_range_share, expected.profile.outOfRangeShare, `${name} out of range`);
      assert.deepEqual(point.histogram?.bin_edges, expected.binEdges);
      assert.deepEqual(point.histogram?.current_counts, expected.currentBinCounts);
    } else {
      assert.equal(point.metrics.chi_square_p_value, expected.chiSquarePValue, `${name} chi2 p`);
      assert.equal(point.metrics.unseen_share, expected.unseenShare);
    }
    const columnDecision = decision.columns.find((candidate) => candidate.name === name)!;
    assert.equal(point.metrics.adjusted_p_value, columnDecision.adjustedPValue, `${name} adjusted p`);
    assert.equal(point.drifted, columnDecision.drifted, `${name} drifted`);
  }
  assert.equal(byColumn.get('amount')!.points[0]!.drifted, true);
  assert.equal(window?.drifted_columns, decision.driftedColumns);

  // Accuracy: no labels for the current window yet.
  const performance = await performanceSeries(client, filter);
  const accuracy = performance.find((entry) => entry.metric === 'accuracy')!.points[0]!;
  assert.equal(accuracy.status, 'insufficient_labels');
  assert.equal(accuracy.value, null);
  assert.equal(accuracy.label_coverage, 0);
  assert.equal(accuracy.reference_labeled_count, 4000);
});

test('re-running a window replaces its results instead of adding to them', async () => {
  assert.equal(await runner.runJob(job('trailing')), 'succeeded');
  const windows = await windowSummaries(client, { modelId: 'fraud', monitorId: 'trailing', limit: 10 });
  assert.equal(windows.length, 1);
  const series = await driftSeries(client, { modelId: 'fraud', monitorId: 'trailing', limit: 10 }, false);
  assert.ok(series.every((entry) => entry.points.length === 1));
  // A scheduled job for a window already analysed is skipped.
  assert.equal(await runner.runJob(job('trailing', CURRENT_WINDOW, 'schedule')), 'skipped');
});

test('a fixed reference freezes its bin edges; a version reference compares champion and challenger in the same window', async () => {
  const fixed = monitor({ id: 'fixed', reference: { type: 'fixed', from: new Date(FIXED_FROM).toISOString(), to: new Date(FIXED_FROM + DAY).toISOString() } });
  await saveMonitor(client, fixed, 'api');
  assert.equal(await runner.runJob(job('fixed')), 'succeeded');
  const frozen = await queryRows<{ column_name: string; kind: string; categories: string[] }>(
    client, 'SELECT column_name, any(column_kind) AS kind, any(categories) AS categories FROM reference_profiles GROUP BY column_name ORDER BY column_name',
  );
  assert.deepEqual(frozen.map((row) => [row.column_name, row.kind, row.categories]), [
    ['f.amount', 'numeric', []], ['f.country', 'categorical', ['DE', 'ES', 'FR']], ['f.items', 'numeric', []], ['prediction', 'numeric', []], ['score', 'numeric', []],
  ]);
  const [fixedWindow] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'fixed', limit: 1 });
  assert.equal(fixedWindow?.reference.count, 2000);
  assert.equal(fixedWindow?.reference.kind, 'fixed');

  // Late events inside the fixed span do not move the frozen edges.
  const amountEdges = async () => (await driftSeries(client, { modelId: 'fraud', monitorId: 'fixed', column: 'amount', limit: 1 }, true))[0]!.points[0]!.histogram!.bin_edges;
  const before = await amountEdges();
  await insertPredictions(client, traffic('fraud', 'v1', FIXED_FROM, HOUR, 300, 3, 9).predictions.map((event) => ({ ...event, event_id: `late-${event.event_id}` })));
  assert.equal(await runner.runJob(job('fixed')), 'succeeded');
  assert.deepEqual(await amountEdges(), before);
  const [rerun] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'fixed', limit: 1 });
  assert.equal(rerun?.reference.count, 2300);

  const challenger = monitor({ id: 'challenger', model_version: 'v2', reference: { type: 'version', model_version: 'v1' } });
  await saveMonitor(client, challenger, 'api');
  assert.equal(await runner.runJob(job('challenger')), 'succeeded');
  const [versus] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'challenger', limit: 1 });
  assert.equal(versus?.reference.kind, 'version');
  assert.equal(versus?.reference.count, 1500);
  assert.equal(versus?.current_count, 1200);
  assert.equal(versus?.model_version, 'v2');
});

const REGISTERED_FROM = FIXED_FROM + 12 * HOUR;
const REGISTERED_TO = FIXED_FROM + DAY;
// Windows after the one the other tests analyse, so their current traffic stays as seeded.
const UNSEEN_WINDOW = { start: CURRENT + HOUR, end: CURRENT + 2 * HOUR };
const KIND_CHANGE_WINDOW = { start: CURRENT + 2 * HOUR, end: CURRENT + 3 * HOUR };
/** Shifted events that arrive inside the registered reference span after registration; every 4th from a new country. */
const lateRegistered = traffic('fraud', 'v1', REGISTERED_FROM, HOUR, 400, 3, 11).predictions.map((event, index) => ({
  ...event, event_id: `late-registered-${event.event_id}`, features: { ...event.features, ...(index % 4 === 0 ? { country: 'IT' } : {}) },
}));

test('a fixed reference registered before late events keeps the bins and categories frozen at registration', async () => {
  const registered = monitor({ id: 'fixed-registered', reference: { type: 'fixed', from: new Date(REGISTERED_FROM).toISOString(), to: new Date(REGISTERED_TO).toISOString() } });
  await saveMonitor(client, registered, 'api');
  const context = { client, findDataset: async () => null, nowMs: Date.now() };
  assert.equal(await freezeReferenceAtRegistration(context, registered), 'frozen');
  assert.equal(await freezeReferenceAtRegistration(context, registered), 'already_frozen');
  assert.equal(await freezeReferenceAtRegistration(context, monitor({ id: 'trailing-one' })), 'not_frozen_kind');
  const [atRegistration] = await queryRows<{ edges: number[] }>(client, "SELECT argMax(bin_edges, frozen_ms) AS edges FROM reference_profiles WHERE column_name = 'f.amount'");
  assert.ok(atRegistration !== undefined && atRegistration.edges.length > 0);
  const [countries] = await queryRows<{ categories: string[] }>(client, "SELECT argMax(categories, frozen_ms) AS categories FROM reference_profiles WHERE column_name = 'f.country' AND column_kind = 'categorical'");
  assert.deepEqual(countries?.categories, ['DE', 'ES', 'FR']);
  // A reference with categorical columns only is frozen too, and found frozen again.
  const categoricalOnly = monitor({
    id: 'fixed-countries', features: ['country'], analyze_prediction: false, analyze_score: false,
    reference: { type: 'fixed', from: new Date(REGISTERED_FROM + HOUR).toISOString(), to: new Date(REGISTERED_TO).toISOString() },
  });
  assert.equal(await freezeReferenceAtRegistration(context, categoricalOnly), 'frozen');
  assert.equal(await freezeReferenceAtRegistration(context, categoricalOnly), 'already_frozen');

  // Shifted events, some from a new country, arrive inside the reference span before the first window is analysed.
  await insertPredictions(client, lateRegistered);
  assert.equal(await runner.runJob(job('fixed-registered')), 'succeeded');
  const [series] = await driftSeries(client, { modelId: 'fraud', monitorId: 'fixed-registered', column: 'amount', limit: 1 }, true);
  assert.deepEqual(series!.points[0]!.histogram!.bin_edges, atRegistration.edges.map(Number));

  // A window whose traffic also comes from the new country: unseen, and still absent from the reference.
  const current = traffic('fraud', 'v1', UNSEEN_WINDOW.start, HOUR, 600, 0, 12).predictions.map((event, index) => ({
    ...event, event_id: `unseen-${event.event_id}`, features: { ...event.features, ...(index % 5 === 0 ? { country: 'IT' } : {}) },
  }));
  await insertPredictions(client, current);
  assert.equal(await runner.runJob(job('fixed-registered', UNSEEN_WINDOW)), 'succeeded');
  const filter = { modelId: 'fraud', monitorId: 'fixed-registered', from: UNSEEN_WINDOW.start, to: UNSEEN_WINDOW.end, limit: 1 };
  const [window] = await windowSummaries(client, filter);
  const referenceEvents = [...fixedTraffic.predictions.filter((event) => (event.timestamp as number) >= REGISTERED_FROM), ...lateRegistered];
  assert.equal(window?.reference.count, referenceEvents.length, 'late events still count as reference rows');
  const [country] = await driftSeries(client, { ...filter, column: 'country' }, true);
  const point = country!.points[0]!;
  const histogram = point.histogram!;
  const lateItaly = lateRegistered.filter((event) => event.features?.country === 'IT').length;
  const currentItaly = current.filter((event) => event.features?.country === 'IT').length;
  assert.ok(lateItaly > 0 && currentItaly > 0);
  // (a) The late country has no reference count: the frozen categories are the reference's.
  const italy = histogram.categories.indexOf('IT');
  assert.ok(italy >= 0, 'the current-only country is in the histogram');
  assert.equal(histogram.reference_counts[italy], 0);
  assert.equal(histogram.current_counts[italy], currentItaly);
  assert.deepEqual([...histogram.categories].sort(), ['DE', 'ES', 'FR', 'IT']);
  assert.equal(point.reference_count, referenceEvents.length - lateItaly);
  assert.equal(histogram.reference_counts.reduce((total, n) => total + n, 0), point.reference_count);
  assert.ok(point.notes.includes(`${lateItaly} reference value(s) outside the categories frozen with the reference (late events) left out`));
  // (b) The unseen-category share counts it, equal to the offline engine on the reference without it.
  const referenceCountries = values(referenceEvents, 'country').filter((value) => value !== 'IT');
  const expected = analyzeCategoricalColumn(referenceCountries, values(current, 'country'));
  assert.equal(point.metrics.unseen_share, currentItaly / current.length);
  assert.equal(point.metrics.unseen_share, expected.unseenShare);
  assert.equal(point.metrics.psi, expected.psi);
  assert.equal(point.metrics.chi_square_p_value, expected.chiSquarePValue);
  // (c) The numeric edges have not moved.
  const [amount] = await driftSeries(client, { ...filter, column: 'amount' }, true);
  assert.deepEqual(amount!.points[0]!.histogram!.bin_edges, atRegistration.edges.map(Number));
});

test('a column of a frozen reference keeps the kind it was frozen with when its values change kind', async () => {
  // Upstream starts sending items as text and country as a code, in more events than the
  // reference holds: by the majority of values, both columns would change kind.
  const current = traffic('fraud', 'v1', KIND_CHANGE_WINDOW.start, HOUR, 1500, 0, 13).predictions.map((event) => ({
    ...event, event_id: `kind-${event.event_id}`, features: { ...event.features, items: 'many', country: 33 },
  }));
  await insertPredictions(client, current);
  assert.equal(await runner.runJob(job('fixed-registered', KIND_CHANGE_WINDOW)), 'succeeded');
  const filter = { modelId: 'fraud', monitorId: 'fixed-registered', from: KIND_CHANGE_WINDOW.start, to: KIND_CHANGE_WINDOW.end, limit: 1 };
  const [window] = await windowSummaries(client, filter);
  assert.ok(window!.reference.count < current.length);
  const stored = await queryRows<{ column_name: string; column_kind: string; current_count: string; current_type_errors: string }>(
    client,
    sql`SELECT column_name, column_kind, current_count, current_type_errors FROM drift_results FINAL
        WHERE monitor_id = 'fixed-registered' AND window_start = toDateTime(${KIND_CHANGE_WINDOW.start / 1000}) AND column_name IN ('items', 'country') ORDER BY column_name`,
  );
  assert.deepEqual(stored.map((row) => [row.column_name, row.column_kind, Number(row.current_count), Number(row.current_type_errors)]), [
    ['country', 'categorical', 0, current.length],
    ['items', 'numeric', 0, current.length],
  ]);
  const [items] = await driftSeries(client, { ...filter, column: 'items' }, true);
  const [atRegistration] = await queryRows<{ edges: number[] }>(
    client, sql`SELECT bin_edges AS edges FROM reference_profiles WHERE reference_key = ${`fixed:fraud:v1:${REGISTERED_FROM}:${REGISTERED_TO}`} AND column_name = 'f.items'`,
  );
  assert.deepEqual(items!.points[0]!.histogram!.bin_edges, atRegistration!.edges.map(Number));
  // Nothing new was frozen for the columns that changed kind.
  const profiles = await queryRows<{ n: string }>(client, "SELECT count() AS n FROM reference_profiles WHERE column_name IN ('f.items', 'f.country') GROUP BY reference_key, column_name HAVING n > 1");
  assert.deepEqual(profiles, []);
});

test('a dataset reference compares live traffic with an uploaded training set', async () => {
  const dataset = monitor({ id: 'vs-training', reference: { type: 'dataset', dataset: 'fraud-train' } });
  await saveMonitor(client, dataset, 'api');
  // Not uploaded yet: the window says so instead of guessing.
  assert.equal(await runner.runJob(job('vs-training')), 'succeeded');
  let [window] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'vs-training', limit: 1 });
  assert.equal(window?.status, 'no_reference');
  assert.match(window!.message, /fraud-train/);

  const training = referenceTraffic.predictions.slice(0, 3000);
  const ndjson = training
    .map((event, index) => JSON.stringify({ ...event.features, prediction: event.prediction, score: event.score, label: referenceTraffic.labels[index]!.label }))
    .join('\n');
  const { rows } = readReferenceText(ndjson, 'ndjson');
  await uploadReferenceDataset(client, { datasetName: 'fraud-train', modelId: 'fraud', columns: ['amount', 'country', 'items'], rows });
  assert.equal(await runner.runJob(job('vs-training')), 'succeeded');
  [window] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'vs-training', limit: 1 });
  assert.equal(window?.status, 'ok');
  assert.equal(window?.reference.count, 3000);
  assert.equal(window?.expected_count, null);
  const [amount] = await driftSeries(client, { modelId: 'fraud', monitorId: 'vs-training', column: 'amount', limit: 1 }, false);
  const expected = analyzeNumericColumn(values(training, 'amount'), values(currentTraffic.predictions, 'amount'));
  assert.equal(amount?.points[0]?.metrics.ks_statistic, expected.ksStatistic);
  assert.equal(amount?.points[0]?.metrics.psi, expected.psi);
});

test('too few events in a window: insufficient_data, no statistics', async () => {
  const strict = monitor({ id: 'strict', min_events: 2000, reference: { type: 'trailing', length: '1d', offset: '0s' } });
  await saveMonitor(client, strict, 'api');
  assert.equal(await runner.runJob(job('strict')), 'succeeded');
  const [window] = await windowSummaries(client, { modelId: 'fraud', monitorId: 'strict', limit: 1 });
  assert.equal(window?.status, 'insufficient_data');
  assert.match(window!.message, /current 1500, min_events 2000/);
  assert.equal(window?.tested_columns, 0);
  assert.deepEqual(await driftSeries(client, { modelId: 'fraud', monitorId: 'strict', limit: 1 }, false), []);
});

test('segments are analysed separately', async () => {
  const segmented = monitor({ id: 'segmented', segments: ['channel'], reference: { type: 'trailing', length: '1d', offset: '0s' } });
  await saveMonitor(client, segmented, 'api');
  assert.equal(await runner.runJob(job('segmented')), 'succeeded');
  const windows = await windowSummaries(client, { modelId: 'fraud', monitorId: 'segmented', segment: { name: 'channel' }, limit: 1 });
  assert.deepEqual(windows.map((window) => [window.segment?.value, window.current_count]).sort(), [['app', 1000], ['web', 500]]);
  const web = currentTraffic.predictions.filter((event) => event.segments?.channel === 'web');
  const webReference = referenceTraffic.predictions.filter((event) => event.segments?.channel === 'web');
  const [amount] = await driftSeries(client, { modelId: 'fraud', monitorId: 'segmented', segment: { name: 'channel', value: 'web' }, column: 'amount', limit: 1 }, false);
  assert.equal(amount?.points[0]?.metrics.ks_statistic, analyzeNumericColumn(values(webReference, 'amount'), values(web, 'amount')).ksStatistic);
});

test('late labels: the scheduler recomputes windows within the grace period, and accuracy and coverage follow', async () => {
  const now = CURRENT_WINDOW.end + 2 * HOUR;
  const enqueued: AnalysisJob[] = [];
  const scheduler = new AnalysisScheduler({ client, enqueue: async (jobs) => void enqueued.push(...jobs), log, defaultMonitors: false, sweepIntervalMs: 60_000, now: () => now });
  const trailing = monitor({ id: 'trailing', reference: { type: 'trailing', length: '1d', offset: '0s' } });

  // No labels arrived since the last run: nothing to recompute.
  await scheduler.enqueueLateLabels(trailing);
  assert.deepEqual(enqueued, []);

  // 60% of the window's labels arrive (late, as ground truth does).
  const arriving = currentTraffic.labels.slice(0, 900);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // ingested_at has whole seconds
  await insertLabels(client, arriving);
  await scheduler.enqueueLateLabels(trailing);
  assert.deepEqual((enqueued as AnalysisJob[]).map((queued) => [queued.monitorId, queued.windowStart, queued.reason]), [['trailing', CURRENT, 'late_labels']]);
  assert.equal(await runner.runJob(enqueued[0]!), 'succeeded');

  const series = await performanceSeries(client, { modelId: 'fraud', monitorId: 'trailing', limit: 1 });
  const point = (metric: string) => series.find((entry) => entry.metric === metric)!.points[0]!;
  assert.equal(point('accuracy').status, 'ok');
  assert.equal(point('accuracy').labeled_count, 900);
  assert.equal(point('accuracy').label_coverage, 900 / 1500);
  // Equal to the metrics on the same rows (which sklearn's fixtures pin down).
  const rows = arriving.map((label, index) => ({ label: String(label.label), prediction: String(currentTraffic.predictions[index]!.prediction), score: currentTraffic.predictions[index]!.score ?? null }));
  const expected = classificationMetrics(classificationAggregates(rows, '1'));
  for (const metric of expected) {
    const stored = point(metric.name).value;
    assert.ok(metric.value === null ? stored === null : Math.abs(stored! - metric.value) <= 1e-12, `${metric.name}: ${stored} vs ${metric.value}`);
  }
  const referenceRows = referenceTraffic.labels.map((label, index) => ({ label: String(label.label), prediction: String(referenceTraffic.predictions[index]!.prediction), score: referenceTraffic.predictions[index]!.score ?? null }));
  const referenceAccuracy = classificationMetrics(classificationAggregates(referenceRows, '1')).find((metric) => metric.name === 'accuracy')!.value!;
  assert.ok(Math.abs(point('accuracy').reference_value! - referenceAccuracy) < 1e-12);
  assert.ok(Math.abs(point('accuracy').decay! - (referenceAccuracy - point('accuracy').value!)) < 1e-12);
  assert.ok(point('accuracy').decay! > 0.2, 'the shifted window is less accurate');

  // Once recomputed, the same labels do not trigger again.
  enqueued.length = 0;
  await scheduler.enqueueLateLabels(trailing);
  assert.deepEqual(enqueued, []);
  await scheduler.stop();
});

test('features logged separately (feature logs) are joined to their predictions by event_id', async () => {
  // The serving stack logs the request's features apart from the response.
  const split = (seeded: Seeded) => ({
    predictions: seeded.predictions.map((event) => ({ ...event, model_id: 'split', event_id: `split-${event.event_id}`, features: { in_prediction: 1 } })),
    logs: seeded.predictions.map((event) => ({ event_id: `split-${event.event_id}`, model_id: 'split', timestamp: event.timestamp, features: event.features! })),
  });
  const reference = split(referenceTraffic);
  const current = split(currentTraffic);
  await insertPredictions(client, [...reference.predictions, ...current.predictions]);
  await insertFeatureLogs(client, [...reference.logs, ...current.logs.slice(0, 1400)]); // 100 requests were never logged
  await saveMonitor(client, parseMonitor({ id: 'split', model_id: 'split', window: '1h', reference: { type: 'trailing', length: '1d', offset: '0s' } }), 'api');
  assert.equal(await runner.runJob(job('split')), 'succeeded');
  const series = await driftSeries(client, { modelId: 'split', monitorId: 'split', limit: 1 }, false);
  assert.deepEqual(series.map((entry) => entry.column).sort(), ['amount', 'country', 'in_prediction', 'items', 'prediction', 'score']);
  const amount = series.find((entry) => entry.column === 'amount')!.points[0]!;
  const currentAmounts = values(currentTraffic.predictions, 'amount').map((value, index) => (index < 1400 ? value : null));
  const expected = analyzeNumericColumn(values(referenceTraffic.predictions, 'amount'), currentAmounts);
  assert.equal(amount.metrics.ks_statistic, expected.ksStatistic);
  assert.equal(amount.metrics.psi, expected.psi);
  assert.equal(amount.metrics.missing_share, 100 / 1500);
});

test('monitors as code: the config file\'s monitors are written once, and removed when they leave the file', async () => {
  const first = monitor({ id: 'code-a', reference: { type: 'trailing', length: '1d', offset: '0s' } });
  const second = monitor({ id: 'code-b', window: '1d', reference: { type: 'trailing', length: '7d', offset: '0s' } });
  assert.deepEqual(await syncConfigMonitors(client, [first, second]), { written: 2, deleted: 0 });
  assert.deepEqual(await syncConfigMonitors(client, [first, second]), { written: 0, deleted: 0 });
  assert.deepEqual(await syncConfigMonitors(client, [first]), { written: 0, deleted: 1 });
  const stored = await listMonitors(client, 'fraud');
  const sources = Object.fromEntries(stored.map((entry) => [entry.monitor.id, entry.source]));
  assert.equal(sources['code-a'], 'config');
  assert.equal(sources['code-b'], undefined);
  assert.equal(sources.trailing, 'api', 'monitors from the API are left alone');
});

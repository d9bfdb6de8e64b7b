// The analyzer through Driftwatch itself (every role in one process) and its CLI: monitors
// over the API with validation that names the field, run-now through the jobs topic,
// results and performance endpoints, default monitors for new models, backfill, metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startDriftwatch, type RunningDriftwatch } from '../../app/driftwatch.js';
import { createRandom, normal } from '../../demo/traffic.js';
import { silentLogger } from '../../observability/logger.js';
import type { LabelEvent, PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { loadConfig } from '../../config/config.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testEnv } from '../helpers/environment.js';
import { insertLabels, insertPredictions } from '../helpers/seed.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-token-0123456789';
const READER = 'read-token-0123456789ab';
const env = testEnv('analyzer_api', {
  DRIFTWATCH_API_TOKENS: `${ADMIN}:admin+read,${READER}:read`,
  DRIFTWATCH_ANALYZER_SWEEP_MS: '500',
  DRIFTWATCH_ANALYZER_RETRY_INITIAL_MS: '50',
  DRIFTWATCH_ROLES: 'analyzer,api',
});
const config = loadConfig(env, undefined);
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
let driftwatch: RunningDriftwatch;
let client: ClickHouseClient;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOW = Date.UTC(2026, 10, 10, 9);

function events(model: string, start: number, span: number, count: number, shift: number, seed: number): { predictions: PredictionEvent[]; labels: LabelEvent[] } {
  const random = createRandom(seed);
  const predictions = Array.from({ length: count }, (_, index): PredictionEvent => {
    const x = normal(random) + shift;
    return {
      event_id: `${model}-${start}-${index}`, model_id: model, model_version: 'v1', timestamp: start + Math.floor((index / count) * span),
      features: { x, tier: random() < 0.5 + shift / 4 ? 'gold' : 'basic' }, prediction: x > 0.3 ? 'yes' : 'no', score: Math.round(1000 / (1 + Math.exp(-x))) / 1000,
    };
  });
  const labels = predictions.map((event): LabelEvent => ({ event_id: event.event_id, model_id: model, timestamp: event.timestamp, label: random() < 0.8 ? event.prediction : event.prediction === 'yes' ? 'no' : 'yes' }));
  return { predictions, labels };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function api(method: string, path: string, body?: unknown, token = ADMIN): Promise<{ status: number; json: any }> {
  const response = await fetch(`${driftwatch.url}${path}`, { method, headers: auth(token), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  const reference = events('shop', WINDOW - DAY, DAY, 2400, 0, 1);
  const current = events('shop', WINDOW, HOUR, 600, 1.5, 2);
  await insertPredictions(client, [...reference.predictions, ...current.predictions]);
  await insertLabels(client, [...reference.labels, ...current.labels]);
  driftwatch = await startDriftwatch(config, silentLogger);
});

after(async () => {
  await driftwatch?.stop();
  await client?.close();
  await dropTestDatabase(config);
});

test('monitors over the API: validation names the field, ids are unique, scopes are enforced', async () => {
  const invalid = await api('POST', '/v1/monitors', { id: 'shop-hourly', model_id: 'shop', reference: { type: 'trailing', length: '7 days' } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.error.code, 'DW_INVALID_MONITOR');
  assert.match(invalid.json.error.message, /^reference\.length: /);

  const definition = { id: 'shop-hourly', model_id: 'shop', model_version: 'v1', window: '1h', reference: { type: 'trailing', length: '1d', offset: '0s' }, catch_up: '2h', performance: { positive_class: 'yes', min_labels: 50 } };
  assert.equal((await api('POST', '/v1/monitors', definition, READER)).status, 403);
  const created = await api('POST', '/v1/monitors', definition);
  assert.equal(created.status, 201);
  assert.equal(created.json.source, 'api');
  assert.equal(created.json.window, '1h');
  assert.equal((await api('POST', '/v1/monitors', definition)).json.error.code, 'DW_MONITOR_EXISTS');

  const replaced = await api('PUT', '/v1/monitors/shop-hourly', { ...definition, id: undefined, min_events: 50 });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.json.min_events, 50);
  const mismatch = await api('PUT', '/v1/monitors/shop-hourly', { ...definition, id: 'other' });
  assert.equal(mismatch.json.error.code, 'DW_INVALID_MONITOR');
  const listed = await api('GET', '/v1/monitors?model_id=shop', undefined, READER);
  // The analyzer also gave the model its default monitor when it first saw it.
  assert.deepEqual(listed.json.monitors.map((monitor: { id: string; source: string }) => [monitor.id, monitor.source]), [['default:shop', 'default'], ['shop-hourly', 'api']]);
  assert.equal((await api('GET', '/v1/monitors/nope', undefined, READER)).json.error.code, 'DW_MONITOR_NOT_FOUND');
});

test('a monitor with a fixed reference has its bins frozen when it is registered, before any window is analysed', async () => {
  const from = WINDOW - DAY;
  const created = await api('POST', '/v1/monitors', {
    id: 'shop-fixed', model_id: 'shop', model_version: 'v1', window: '1h', catch_up: '2h',
    reference: { type: 'fixed', from: new Date(from).toISOString(), to: new Date(from + 12 * HOUR).toISOString() },
  });
  assert.equal(created.status, 201);
  const frozen = await waitFor(async () => {
    const rows = await queryRows<{ column_name: string }>(client, 'SELECT DISTINCT column_name FROM reference_profiles ORDER BY column_name');
    return rows.length > 0 ? rows.map((row) => row.column_name) : undefined;
  }, { timeoutMs: 30_000, what: 'the reference profile frozen at registration' });
  assert.deepEqual(frozen, ['f.tier', 'f.x', 'prediction', 'score']);
  // The scheduler may analyse the monitor's recent (empty) windows meanwhile; none has enough events to freeze anything.
  const analysed = await queryRows<{ n: string }>(client, "SELECT count() AS n FROM window_results WHERE monitor_id = 'shop-fixed' AND status = 'ok'");
  assert.equal(Number(analysed[0]!.n), 0, 'frozen by the registration, not by an analysis');
  const deleted = await fetch(`${driftwatch.url}/v1/monitors/shop-fixed`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(deleted.status, 204);
});

test('run now: the job goes through Kafka, and drift and performance come back shaped per column and metric', async () => {
  const rule = await api('POST', '/v1/rules', { preset: 'any_feature_drifts', params: { model_id: 'shop', monitor_id: 'shop-hourly' }, id: 'shop-drift' });
  assert.equal(rule.status, 201);
  const queued = await api('POST', '/v1/monitors/shop-hourly/run', { window_start: new Date(WINDOW + 5 * 60_000).toISOString() });
  assert.equal(queued.status, 202);
  assert.equal(queued.json.window_start, new Date(WINDOW).toISOString());
  const drift = await waitFor(async () => {
    const response = await api('GET', `/v1/models/shop/drift?monitor=shop-hourly&histograms=true&from=${WINDOW}&to=${WINDOW + HOUR}`, undefined, READER);
    return response.json.windows.length === 1 ? response.json : undefined;
  }, { timeoutMs: 60_000, what: 'the analysed window' });
  const [window] = drift.windows;
  assert.equal(window.status, 'ok');
  assert.equal(window.current_count, 600);
  assert.equal(window.reference.count, 2400);
  assert.equal(window.reference.description, 'trailing 1d ending at window start');
  assert.deepEqual(drift.series.map((series: { column: string }) => series.column).sort(), ['prediction', 'score', 'tier', 'x']);
  const x = drift.series.find((series: { column: string }) => series.column === 'x');
  assert.equal(x.kind, 'numeric');
  assert.equal(x.points[0].drifted, true);
  assert.equal(x.points[0].histogram.bin_edges.length, 9);
  assert.equal(x.points[0].histogram.current_counts.reduce((a: number, b: number) => a + b, 0), 600);
  const tier = drift.series.find((series: { column: string }) => series.column === 'tier');
  assert.deepEqual([...tier.points[0].histogram.categories].sort(), ['basic', 'gold']);

  const performance = await api('GET', `/v1/models/shop/performance?monitor=shop-hourly&from=${WINDOW}&to=${WINDOW + HOUR}`, undefined, READER);
  const metrics = Object.fromEntries(performance.json.series.map((series: { metric: string; points: unknown[] }) => [series.metric, series.points[0]]));
  assert.deepEqual(Object.keys(metrics).sort(), ['accuracy', 'f1', 'log_loss', 'precision', 'recall', 'roc_auc']);
  assert.equal(metrics.accuracy.status, 'ok');
  assert.equal(metrics.accuracy.label_coverage, 1);
  assert.ok(metrics.accuracy.value > 0.7 && metrics.accuracy.value < 0.9);

  // The run is recorded as succeeded just after its results are stored: wait for that record.
  const manual = await waitFor(async () => {
    const runs = await api('GET', '/v1/monitors/shop-hourly/runs', undefined, READER);
    const found = runs.json.runs.filter((run: { reason: string }) => run.reason === 'manual');
    return found.some((run: { status: string }) => run.status === 'running') ? undefined : found;
  }, { timeoutMs: 30_000, what: 'the manual run recorded as finished' });
  assert.deepEqual(manual.map((run: { status: string; window_start: string }) => [run.status, run.window_start]), [['succeeded', new Date(WINDOW).toISOString()]]);
  const metricsText = await (await fetch(`${driftwatch.url}/metrics`)).text();
  assert.match(metricsText, /driftwatch_analysis_runs_total\{status="succeeded"\} [1-9]/);
  assert.match(metricsText, /driftwatch_analysis_windows_behind \d+/);

  // The analyzer role evaluated the stored window: the drift rule fired once, with the UI link.
  const alerts = await waitFor(async () => {
    const response = await api('GET', '/v1/alerts?rule=shop-drift', undefined, READER);
    return response.json.alerts.length > 0 ? response.json.alerts : undefined;
  }, { timeoutMs: 30_000, what: 'the alert of the analysed window' });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].kind, 'firing');
  assert.ok(alerts[0].items.some((item: { column: string }) => item.column === 'x'));
  assert.match(alerts[0].link, /^http:\/\/127\.0\.0\.1:8080\/ui\/models\/shop\?window=2026-11-10T09%3A00%3A00Z$/);
});

test('a model seen for the first time gets a default monitor, and its complete windows are analysed', async () => {
  const lastHour = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const traffic = events('newcomer', lastHour - DAY, DAY + HOUR, 2500, 0, 5);
  await insertPredictions(client, traffic.predictions);
  const monitor = await waitFor(async () => {
    const listed = await api('GET', '/v1/monitors?model_id=newcomer', undefined, READER);
    return listed.json.monitors[0];
  }, { timeoutMs: 30_000, what: 'the default monitor' });
  assert.equal(monitor.id, 'default:newcomer');
  assert.equal(monitor.source, 'default');
  assert.equal(monitor.window, '1h');
  assert.deepEqual(monitor.reference, { type: 'trailing', length: '7d', offset: '0s' });
  const drift = await waitFor(async () => {
    const response = await api('GET', `/v1/models/newcomer/drift?from=${lastHour}`, undefined, READER);
    return response.json.windows.find((window: { window_start: string }) => window.window_start === new Date(lastHour).toISOString());
  }, { timeoutMs: 60_000, what: 'the newest complete hour of the new model analysed' });
  assert.equal(drift.status, 'ok');
  assert.ok(drift.current_count > 50);
});

test('driftwatch backfill --local analyses every complete window of a range', () => {
  const result = spawnSync(process.execPath, [CLI, 'backfill', '--monitor', 'shop-hourly', '--from', new Date(WINDOW - 3 * HOUR).toISOString(), '--to', new Date(WINDOW + HOUR).toISOString(), '--local'], {
    env: { PATH: process.env.PATH, ...env, DRIFTWATCH_LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 120_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /4 of 4 windows analysed/);
  return queryRows<{ n: string }>(client, `SELECT count() AS n FROM window_results FINAL WHERE monitor_id = 'shop-hourly' AND window_start < toDateTime(${(WINDOW + HOUR) / 1000})`).then((rows) => {
    assert.equal(Number(rows[0]?.n), 4);
  });
});

test('driftwatch backfill refuses an unknown monitor and a reversed range', () => {
  const unknown = spawnSync(process.execPath, [CLI, 'backfill', '--monitor', 'nope', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z', '--local'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no monitor "nope"/);
  const reversed = spawnSync(process.execPath, [CLI, 'backfill', '--monitor', 'shop-hourly', '--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.equal(reversed.status, 2);
  assert.match(reversed.stderr, /--to must be after --from/);
});

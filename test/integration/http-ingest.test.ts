// HTTP ingest round trip (JSON array and NDJSON), per-record errors, auth scopes, and the
// operational endpoints, against the real Kafka and ClickHouse.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDriftwatch, type RunningDriftwatch } from '../../app/driftwatch.js';
import type { DriftwatchConfig } from '../../config/config.js';
import { silentLogger } from '../../observability/logger.js';
import { dropTestDatabase, rows, scalar, testConfig } from '../helpers/environment.js';
import { waitFor } from '../helpers/wait.js';

const INGEST_TOKEN = 'ingest-token-0123456789';
const READ_TOKEN = 'read-token-0123456789ab';
let config: DriftwatchConfig;
let driftwatch: RunningDriftwatch;

const ingestHeaders = (contentType: string) => ({ 'content-type': contentType, authorization: `Bearer ${INGEST_TOKEN}` });

function prediction(i: number, extra: Record<string, unknown> = {}) {
  return { event_id: `h-${i}`, model_id: 'churn', model_version: '2026.11', timestamp: '2026-11-26T08:00:00.125Z', features: { tenure: i, plan: 'pro' }, prediction: i % 2 === 0, ...extra };
}

before(async () => {
  config = testConfig('http', { DRIFTWATCH_API_TOKENS: `${INGEST_TOKEN}:ingest,${READ_TOKEN}:read` });
  driftwatch = await startDriftwatch(config, silentLogger);
});

after(async () => {
  await driftwatch?.stop();
  if (config) await dropTestDatabase(config);
});

test('a JSON array is accepted record by record, with errors by index', async () => {
  const body = [prediction(0), prediction(1, { timestamp: 'yesterday noon' }), prediction(2), { ...prediction(3), extra_field: 1 }, prediction(4, { score: 1.5 })];
  const response = await fetch(`${driftwatch.url}/v1/ingest/predictions`, { method: 'POST', headers: ingestHeaders('application/json'), body: JSON.stringify(body) });
  assert.equal(response.status, 202);
  const result = await response.json() as { accepted: number; rejected: number; errors: Array<{ index: number; code: string; message: string }> };
  assert.equal(result.accepted, 2);
  assert.equal(result.rejected, 3);
  assert.deepEqual(result.errors.map((error) => [error.index, error.code]), [[1, 'invalid_timestamp'], [3, 'schema_violation'], [4, 'schema_violation']]);
  assert.match(result.errors[1]!.message, /unknown field "extra_field"/);
  assert.match(result.errors[2]!.message, /\/score/);
  await waitFor(async () => (await scalar(config, `SELECT count() AS value FROM predictions FINAL WHERE model_id = 'churn'`)) === 2, { what: 'two HTTP predictions in ClickHouse' });
  const stored = await rows<{ event_id: string; ts_ms: number; prediction_kind: string; prediction_num: number }>(config, `SELECT event_id, ts_ms, prediction_kind, prediction_num FROM predictions FINAL ORDER BY event_id`);
  assert.deepEqual(stored, [
    { event_id: 'h-0', ts_ms: 125, prediction_kind: 'boolean', prediction_num: 1 },
    { event_id: 'h-2', ts_ms: 125, prediction_kind: 'boolean', prediction_num: 1 },
  ]);
});

test('NDJSON labels and feature logs are accepted; a bad line is reported by its index', async () => {
  const labels = [
    JSON.stringify({ event_id: 'h-0', model_id: 'churn', timestamp: 1_795_000_000_000, label: true }),
    '{"event_id": broken',
    JSON.stringify({ event_id: 'h-2', model_id: 'churn', timestamp: 1_795_000_000_000, label: false }),
  ].join('\n');
  const response = await fetch(`${driftwatch.url}/v1/ingest/labels`, { method: 'POST', headers: ingestHeaders('application/x-ndjson'), body: labels });
  assert.equal(response.status, 202);
  const result = await response.json() as { accepted: number; errors: Array<{ index: number; code: string }> };
  assert.equal(result.accepted, 2);
  assert.deepEqual(result.errors.map((error) => [error.index, error.code]), [[1, 'invalid_json']]);

  const features = await fetch(`${driftwatch.url}/v1/ingest/features`, {
    method: 'POST', headers: ingestHeaders('application/json'),
    body: JSON.stringify({ event_id: 'h-0', model_id: 'churn', timestamp: '2026-11-26T08:00:00Z', features: { clicks: 3 } }),
  });
  assert.equal(features.status, 202);

  const models = await waitFor(async () => {
    const response = await fetch(`${driftwatch.url}/v1/models`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    const body = await response.json() as { models: Array<{ model_id: string; labels: number; feature_logs: number; predictions: number; first_event_at: string; versions: Array<{ model_version: string; labels: number; feature_logs: number; first_event_at: string }> }> };
    const churn = body.models.find((model) => model.model_id === 'churn');
    return churn && churn.labels === 2 && churn.feature_logs === 1 ? churn : undefined;
  }, { what: 'labels and feature log counted by /v1/models' });
  assert.equal(models.predictions, 2);
  assert.equal(models.first_event_at, '2026-11-18T11:06:40.000Z', 'the earliest event of any kind (here a label)');
  assert.equal(models.versions[0]?.first_event_at, '2026-11-26T08:00:00.000Z');
  assert.deepEqual(models.versions.map((v) => [v.model_version, v.labels, v.feature_logs]), [['2026.11', 2, 1]]);
});

test('a batch where every record is invalid is refused with 400 and every error', async () => {
  const response = await fetch(`${driftwatch.url}/v1/ingest/predictions`, { method: 'POST', headers: ingestHeaders('application/json'), body: JSON.stringify([{ nope: 1 }, 42]) });
  assert.equal(response.status, 400);
  const body = await response.json() as { error: { code: string; details: Array<{ index: number }> } };
  assert.equal(body.error.code, 'DW_ALL_REJECTED');
  assert.deepEqual(body.error.details.map((d) => d.index), [0, 1]);

  const empty = await fetch(`${driftwatch.url}/v1/ingest/predictions`, { method: 'POST', headers: ingestHeaders('application/json'), body: '[]' });
  assert.equal(empty.status, 400);
  assert.equal(((await empty.json()) as { error: { code: string } }).error.code, 'DW_EMPTY_BATCH');

  const broken = await fetch(`${driftwatch.url}/v1/ingest/predictions`, { method: 'POST', headers: ingestHeaders('application/json'), body: '[{"a":' });
  assert.equal(broken.status, 400);
  assert.equal(((await broken.json()) as { error: { code: string } }).error.code, 'DW_BAD_REQUEST');
});

test('tokens and scopes are enforced', async () => {
  const url = `${driftwatch.url}/v1/ingest/predictions`;
  const noToken = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([prediction(9)]) });
  assert.equal(noToken.status, 401);
  assert.equal(((await noToken.json()) as { error: { code: string } }).error.code, 'DW_UNAUTHORIZED');
  const wrongScope = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${READ_TOKEN}` }, body: JSON.stringify([prediction(9)]) });
  assert.equal(wrongScope.status, 403);
  const unknown = await fetch(`${driftwatch.url}/v1/models`, { headers: { authorization: 'Bearer not-a-configured-token' } });
  assert.equal(unknown.status, 401);
  // Health, readiness, metrics and docs stay public for probes and scrapers.
  assert.equal((await fetch(`${driftwatch.url}/healthz`)).status, 200);
});

test('readiness, metrics and the OpenAPI document', async () => {
  const ready = await fetch(`${driftwatch.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', clickhouse: true, kafka: true });
  const metrics = await (await fetch(`${driftwatch.url}/metrics`)).text();
  assert.match(metrics, /driftwatch_events_rejected_total\{kind="prediction",source="http",reason="schema_violation"\} 4/);
  assert.match(metrics, /driftwatch_ingest_batch_seconds_count\{kind="prediction"\} \d+/);
  assert.match(metrics, /driftwatch_events_ingested_total\{kind="prediction",source="kafka"\} 2/);
  const openapi = await (await fetch(`${driftwatch.url}/docs/json`)).json() as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
  assert.ok(openapi.paths['/v1/ingest/predictions']);
  assert.ok(openapi.paths['/v1/models']);
  assert.ok(openapi.components.schemas.PredictionEvent);
  assert.equal((await fetch(`${driftwatch.url}/docs/`)).status, 200);
});

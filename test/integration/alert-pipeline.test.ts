// Alerting end to end on real ClickHouse: drifted traffic -> analyzer job -> the
// afterWindowStored hook evaluates the rules -> alert history. Exactly one firing event
// per episode, however often a window is re-run or re-evaluated; for: 1 goes pending then
// firing; normal traffic resolves; silences and inhibition mute (muted events are stored,
// flagged); catch-up evaluates a window whose hook never ran, also after a crash between
// writing events and states; and the rules, alerts and silences routes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { NotificationMessage } from '../../alerting/delivery/notification-message.js';
import { evaluateWindow, catchUp, EvaluationQueue } from '../../alerting/service/evaluator.js';
import { listEvents, type AlertEvent } from '../../alerting/store/event-store.js';
import { listActiveStates } from '../../alerting/store/state-store.js';
import { getRule, listRules, syncConfigRules } from '../../alerting/store/rule-store.js';
import { saveSilence } from '../../alerting/store/silence-store.js';
import { parseRule, parseSilence } from '../../alerting/index.js';
import { parseMonitor, type Monitor } from '../../analyzer/monitors/index.js';
import { JobRunner } from '../../analyzer/service/job-runner.js';
import { jobId, type AnalysisJob } from '../../analyzer/service/jobs.js';
import { saveMonitor } from '../../analyzer/service/monitor-store.js';
import { driftSeries } from '../../analyzer/service/result-queries.js';
import { buildApi } from '../../api/server.js';
import { createRandom, normal } from '../../demo/traffic.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { insertPredictions } from '../helpers/seed.js';

const config = testConfig('alerts', { DRIFTWATCH_PUBLIC_URL: 'https://dw.example.com' });
const log = createLogger('error');
let client: ClickHouseClient;
let kafka: KafkaAdapter;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const W1 = Date.UTC(2026, 10, 20, 12);
const W2 = W1 + HOUR;
const W3 = W1 + 2 * HOUR;
const REFERENCE_FROM = W1 - 2 * DAY;

/** Events over [start, start + span): shift moves amount and country; missing blanks income. */
function traffic(model: string, start: number, span: number, count: number, shift: number, seed: number, missing = 0): PredictionEvent[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, index): PredictionEvent => {
    const amount = Math.round((100 + 20 * normal(random) + 20 * shift) * 100) / 100;
    const country = random() < 0.5 + 0.3 * shift ? 'FR' : random() < 0.5 ? 'DE' : 'ES';
    const income = random() < missing ? null : Math.round((50 + 10 * normal(random) + 10 * shift) * 100) / 100;
    return {
      event_id: `${model}-${start}-${index}`,
      model_id: model,
      model_version: 'v1',
      timestamp: start + Math.floor((index / count) * span),
      features: model === 'loans' ? { income, region: country } : { amount, country, items: Math.floor(random() * 5) },
      prediction: random() < 0.5 ? 1 : 0,
      score: Math.round(random() * 1000) / 1000,
    };
  });
}

function monitor(model: string): Monitor {
  return parseMonitor({
    id: `${model}-hourly`, model_id: model, model_version: 'v1', window: '1h',
    reference: { type: 'fixed', from: new Date(REFERENCE_FROM).toISOString(), to: new Date(REFERENCE_FROM + DAY).toISOString() },
  });
}

function job(monitorId: string, start: number): AnalysisJob {
  const requestedMs = Date.now();
  return { jobId: jobId(monitorId, start, 'manual', requestedMs), monitorId, windowStart: start, windowEnd: start + HOUR, reason: 'manual', requestedMs };
}

const evaluations = new EvaluationQueue();
/** What the evaluator handed to the dispatchers (the notifications topic). */
const published: NotificationMessage[] = [];
const hookErrors: string[] = [];

function runner(withHook: boolean): JobRunner {
  return new JobRunner({
    client,
    kafka,
    settings: { jobsTopic: config.kafka.topics.jobs, groupId: config.analyzer.groupId, maxAttempts: 1, retryInitialMs: 10, instance: 'test' },
    findDataset: async () => null,
    log: { ...log, error: (message: string, fields?: Record<string, unknown>) => hookErrors.push(`${message} ${JSON.stringify(fields)}`) } as typeof log,
    ...(withHook ? {
      afterWindowStored: ({ monitor: analysed, window, runId }) =>
        evaluations.run(() => evaluateWindow({
          client, monitor: analysed, window, runId, now: Date.now(), publicUrl: config.http.publicUrl,
          publish: async (messages) => { published.push(...messages); },
        })).then(() => undefined),
    } : {}),
  });
}

async function events(filter: { ruleId?: string; modelId?: string; muted?: boolean } = {}): Promise<AlertEvent[]> {
  return (await listEvents(client, { ...filter, limit: 1000 })).reverse();
}

/** A client whose inserts into `table` fail: the process "dies" at that write. */
function crashingAt(table: string): ClickHouseClient {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'insert') {
        return (args: { table: string }) => (args.table === table ? Promise.reject(new Error(`simulated crash before writing ${table}`)) : target.insert(args as never));
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'alerts-test' }, log);
  await insertPredictions(client, [
    ...traffic('fraud', REFERENCE_FROM, DAY, 4000, 0, 1),
    ...traffic('fraud', W1, HOUR, 1500, 1, 2),
    ...traffic('fraud', W2, HOUR, 1500, 1, 3),
    ...traffic('fraud', W3, HOUR, 1500, 0, 4),
    ...traffic('loans', REFERENCE_FROM, DAY, 4000, 0, 5),
    // loans: region drifts; income drifts and is missing in half the rows.
    ...traffic('loans', W1, HOUR, 1500, 1, 6, 0.5),
  ]);
  await saveMonitor(client, monitor('fraud'), 'api');
  await saveMonitor(client, monitor('loans'), 'api');
  const rules = [
    parseRule({ preset: 'any_feature_drifts', params: { model_id: 'fraud' }, id: 'fraud-drift' }),
    parseRule({ id: 'fraud-share', name: 'Most columns drift', model_id: 'fraud', metric: 'drift_share', condition: { operator: '>', threshold: 0.3 }, for: 1 }),
    parseRule({ preset: 'any_feature_drifts', params: { model_id: 'loans' }, id: 'loans-drift' }),
    parseRule({ preset: 'missing_values_above', params: { model_id: 'loans', threshold: 0.2 }, id: 'loans-missing' }),
  ];
  assert.deepEqual(await syncConfigRules(client, rules), { written: 4, deleted: 0 });
});

after(async () => {
  await kafka?.close();
  await client?.close();
  await dropTestDatabase(config);
});

test('config rules are written once, rewritten when changed, deleted when removed from the file', async () => {
  const rules = (await listRules(client)).map((stored) => stored.rule);
  assert.deepEqual(await syncConfigRules(client, rules), { written: 0, deleted: 0 });
  const extra = parseRule({ id: 'temporary', name: 'Temporary', metric: 'psi', condition: { operator: '>', threshold: 0.2 }, model_id: 'nobody' });
  assert.deepEqual(await syncConfigRules(client, [...rules, extra]), { written: 1, deleted: 0 });
  assert.deepEqual(await syncConfigRules(client, rules), { written: 0, deleted: 1 });
  assert.equal(await getRule(client, 'temporary'), null);
});

test('a drifted window fires "any feature drifts" once, listing every drifted feature with its numbers; re-runs add nothing', async () => {
  const analyzer = runner(true);
  assert.equal(await analyzer.runJob(job('fraud-hourly', W1)), 'succeeded');
  assert.deepEqual(hookErrors, []);

  const series = await driftSeries(client, { modelId: 'fraud', monitorId: 'fraud-hourly', from: W1, to: W1 + 1000, limit: 1 }, false);
  const drifted = series.filter((entry) => entry.role === 'feature' && entry.points[0]!.drifted);
  assert.ok(drifted.length >= 2, `amount and country drift (got ${drifted.map((entry) => entry.column).join(', ')})`);

  const fired = await events({ ruleId: 'fraud-drift' });
  assert.equal(fired.length, 1);
  const [event] = fired;
  assert.equal(event!.notification.kind, 'firing');
  assert.equal(event!.muted, false);
  assert.equal(event!.notification.window.start, W1);
  assert.equal(event!.notification.link, `https://dw.example.com/ui/models/fraud?window=${encodeURIComponent(new Date(W1).toISOString().replace('.000Z', 'Z'))}`);
  assert.deepEqual(event!.notification.items.map((item) => item.column).sort(), drifted.map((entry) => entry.column).sort());
  for (const item of event!.notification.items) {
    const point = drifted.find((entry) => entry.column === item.column)!.points[0]!;
    assert.equal(item.value, 1);
    assert.equal(item.details.alert, 'new');
    for (const [metric, value] of Object.entries(point.metrics)) {
      if (value !== null && metric !== 'reference_missing_share') assert.equal(item.details[metric], value, `${item.column}.${metric} is stored exactly`);
    }
  }
  // The for: 1 rule is pending, not firing, and sent nothing.
  assert.equal((await events({ ruleId: 'fraud-share' })).length, 0);
  const active = await listActiveStates(client, { ruleId: 'fraud-share' });
  assert.deepEqual(active.map((stored) => stored.state.status), ['pending']);

  // The same run evaluated again (hook redelivered, or a new process): the ledger skips it.
  const [run] = await queryRows<{ run_id: string }>(client, `SELECT run_id FROM alert_evaluations WHERE monitor_id = 'fraud-hourly'`);
  const again = await evaluateWindow({ client, monitor: { id: 'fraud-hourly', modelId: 'fraud' }, window: { start: W1, end: W2 }, runId: run!.run_id, now: Date.now() });
  assert.equal(again.skipped, true);
  // The window re-run (a new run id): evaluated, but the state machine ignores the replay.
  assert.equal(await analyzer.runJob(job('fraud-hourly', W1)), 'succeeded');
  assert.equal(Number((await queryRows<{ n: string }>(client, `SELECT count() AS n FROM alert_evaluations WHERE monitor_id = 'fraud-hourly'`))[0]!.n), 2);
  assert.equal((await events({ modelId: 'fraud' })).length, 1);
});

test('a window whose hook never ran, then a crash between events and states: catch-up evaluates it once; for: 1 fires on the second window', async () => {
  // Results stored, process killed before evaluating (no hook).
  assert.equal(await runner(false).runJob(job('fraud-hourly', W2)), 'succeeded');
  const [pending] = await queryRows<{ run_id: string }>(client, `SELECT argMax(run_id, computed_ms) AS run_id FROM window_results WHERE monitor_id = 'fraud-hourly' AND window_start = toDateTime(${W2 / 1000})`);
  // A first evaluation dies after writing its events, before its states and ledger row.
  await assert.rejects(
    evaluateWindow({ client: crashingAt('alert_states'), monitor: { id: 'fraud-hourly', modelId: 'fraud' }, window: { start: W2, end: W3 }, runId: pending!.run_id, now: Date.now() }),
    /simulated crash/,
  );
  const partial = await events({ ruleId: 'fraud-share' });
  assert.equal(partial.length, 1);

  // The fixed test windows lie in November 2026: look back far enough to reach them.
  const lookbackMs = Date.now() - W1 + DAY;
  assert.equal(await catchUp({ client, now: Date.now(), graceMs: 0, lookbackMs, publicUrl: config.http.publicUrl }), 1);
  assert.equal(await catchUp({ client, now: Date.now(), graceMs: 0, lookbackMs }), 0);
  const fired = await events({ ruleId: 'fraud-share' });
  assert.equal(fired.length, 1, 'the replayed evaluation wrote the same idempotency key');
  assert.equal(fired[0]!.notification.kind, 'firing');
  assert.equal(fired[0]!.notification.window.start, W2);
  assert.equal(fired[0]!.idempotencyKey, partial[0]!.idempotencyKey);
  assert.deepEqual((await listActiveStates(client, { ruleId: 'fraud-share' })).map((stored) => stored.state.status), ['firing']);
  // The drift rule's group is still firing and its repeat interval (4h) is not due: no message.
  assert.equal((await events({ ruleId: 'fraud-drift' })).length, 1);
});

test('normal traffic resolves: one resolved event per rule', async () => {
  assert.equal(await runner(true).runJob(job('fraud-hourly', W3)), 'succeeded');
  const drift = await events({ ruleId: 'fraud-drift' });
  assert.deepEqual(drift.map((event) => event.notification.kind), ['firing', 'resolved']);
  const resolved = drift[1]!.notification;
  assert.equal(resolved.window.start, W3);
  assert.deepEqual(resolved.items.map((item) => item.column).sort(), drift[0]!.notification.items.map((item) => item.column).sort());
  assert.ok(resolved.items.every((item) => item.details.alert === 'resolved'));
  assert.deepEqual((await events({ ruleId: 'fraud-share' })).map((event) => event.notification.kind), ['firing', 'resolved']);
  assert.deepEqual(await listActiveStates(client, { modelId: 'fraud' }), []);
});

test('a silence and an inhibiting missing-values alert mute drift alerts: stored, flagged muted, with the reason', async () => {
  const now = Date.now();
  await saveSilence(client, parseSilence({ id: 'quiet-region', matchers: [{ name: 'model_id', value: 'loans' }, { name: 'column', value: 'region' }], ends_at: new Date(now + DAY).toISOString(), created_by: 'test' }, now));
  assert.equal(await runner(true).runJob(job('loans-hourly', W1)), 'succeeded');

  const missing = await events({ ruleId: 'loans-missing' });
  assert.equal(missing.length, 1);
  assert.equal(missing[0]!.muted, false);
  assert.deepEqual(missing[0]!.notification.items.map((item) => item.column), ['income']);
  assert.ok(Math.abs(missing[0]!.notification.items[0]!.value! - 0.5) < 0.05);

  const drift = await events({ ruleId: 'loans-drift' });
  assert.equal(drift.filter((event) => !event.muted).length, 0, 'every drifted column is muted: nothing to deliver');
  const muted = drift.filter((event) => event.muted);
  assert.equal(muted.length, 1);
  assert.deepEqual(muted[0]!.notification.items.map((item) => item.column).sort(), ['income', 'region']);
  const publishedKeys = new Set(published.map((message) => message.notification.idempotencyKey));
  assert.ok(publishedKeys.has(missing[0]!.idempotencyKey), 'the unmuted alert goes to the dispatchers');
  assert.ok(!publishedKeys.has(muted[0]!.idempotencyKey), 'the muted one does not');
  assert.equal(published.filter((message) => message.notification.ruleId === 'loans-drift').length, 0, 'nothing of the muted rule is delivered');
  assert.match(muted[0]!.muteReason, /silenced by quiet-region/);
  assert.match(muted[0]!.muteReason, /inhibited: missing_share alert \(rule loans-missing\) is firing on column income/);
  // Muted alerts still move through their states.
  const active = await listActiveStates(client, { ruleId: 'loans-drift' });
  assert.deepEqual(active.map((stored) => [stored.column, stored.state.status]).sort(), [['income', 'firing'], ['region', 'firing']]);
});

test('API: rules (presets, validation naming the field), alert history filters, active alerts, silences', async () => {
  const app = await buildApi({ config, clickhouse: client, kafka, metrics: new Metrics(), log });
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const response = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, json: response.body === '' ? null : response.json() };
  };
  try {
    const presets = await call('GET', '/v1/rules/presets');
    assert.equal(presets.status, 200);
    assert.ok(presets.json.presets.some((preset: { name: string; params: { properties: object } }) => preset.name === 'accuracy_dropped' && 'by' in preset.params.properties));

    const bad = await call('POST', '/v1/rules', { id: 'bad', name: 'Bad', metric: 'ks_p_value', condition: { operator: '<', threshold: 5 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'DW_INVALID_RULE');
    assert.equal(bad.json.error.details.field, 'condition.threshold');
    const badPreset = await call('POST', '/v1/rules', { preset: 'dataset_drift_share_above', params: { threshold: 2 } });
    assert.equal(badPreset.status, 400);
    assert.equal(badPreset.json.error.details.field, 'params.threshold');

    const created = await call('POST', '/v1/rules', { preset: 'accuracy_dropped', params: { by: 0.05, model_id: 'fraud' }, id: 'fraud-accuracy', severity: 'critical' });
    assert.equal(created.status, 201);
    assert.equal(created.json.metric, 'accuracy');
    assert.equal(created.json.value_field, 'decay');
    assert.equal(created.json.source, 'api');
    assert.equal((await call('POST', '/v1/rules', { preset: 'accuracy_dropped', params: { by: 0.05 }, id: 'fraud-accuracy' })).json.error.code, 'DW_RULE_EXISTS');
    const replaced = await call('PUT', '/v1/rules/fraud-accuracy', { ...created.json, source: undefined, updated_at: undefined, enabled: false });
    assert.equal(replaced.status, 200);
    assert.equal((await call('GET', '/v1/rules/fraud-accuracy')).json.enabled, false);
    assert.equal((await call('PUT', '/v1/rules/other', { ...created.json, source: undefined, updated_at: undefined })).json.error.details.field, 'id');
    assert.equal((await call('DELETE', '/v1/rules/fraud-accuracy')).status, 204);
    assert.equal((await call('GET', '/v1/rules/fraud-accuracy')).json.error.code, 'DW_RULE_NOT_FOUND');
    assert.ok((await call('GET', '/v1/rules')).json.rules.some((rule: { id: string; source: string }) => rule.id === 'fraud-drift' && rule.source === 'config'));

    const resolved = await call('GET', '/v1/alerts?state=resolved&model=fraud');
    assert.equal(resolved.status, 200);
    assert.deepEqual(resolved.json.alerts.map((alert: { kind: string; rule_id: string }) => `${alert.rule_id}:${alert.kind}`).sort(), ['fraud-drift:resolved', 'fraud-share:resolved']);
    const firing = await call('GET', `/v1/alerts?state=firing&rule=fraud-drift&from=${new Date(W1).toISOString()}&to=${W2}`);
    assert.equal(firing.json.alerts.length, 1);
    assert.equal(firing.json.alerts[0].window_start, new Date(W1).toISOString().replace('.000Z', 'Z'));
    assert.equal((await call('GET', '/v1/alerts?model=loans&muted=true')).json.alerts.length, 1);
    assert.equal((await call('GET', '/v1/alerts?severity=critical')).json.alerts.length, 0);
    assert.equal((await call('GET', '/v1/alerts?limit=1')).json.alerts.length, 1);
    const badKind = await call('GET', '/v1/alerts?kind=exploded');
    assert.equal(badKind.status, 400);
    assert.match(badKind.json.error.message, /^kind: must be one of firing, repeat, resolved/);
    assert.match((await call('GET', '/v1/alerts?from=yesterday')).json.error.message, /^from: /);

    const active = await call('GET', '/v1/alerts/active?model=loans');
    assert.deepEqual(active.json.alerts.map((alert: { rule_id: string; column: string; status: string }) => `${alert.rule_id}:${alert.column}:${alert.status}`).sort(),
      ['loans-drift:income:firing', 'loans-drift:region:firing', 'loans-missing:income:firing']);

    const badSilence = await call('POST', '/v1/silences', { id: 's1', matchers: [{ name: 'model_id', value: 'fraud' }], ends_at: 'tomorrow', created_by: 'me' });
    assert.equal(badSilence.status, 400);
    assert.equal(badSilence.json.error.code, 'DW_INVALID_SILENCE');
    assert.equal(badSilence.json.error.details.field, 'ends_at');
    const silence = await call('POST', '/v1/silences', { id: 's1', matchers: [{ name: 'model_id', value: 'fraud' }], ends_at: new Date(Date.now() + HOUR).toISOString(), created_by: 'me' });
    assert.equal(silence.status, 201);
    assert.equal(silence.json.status, 'active');
    assert.equal((await call('DELETE', '/v1/silences/s1')).json.status, 'expired');
    const listed = (await call('GET', '/v1/silences')).json.silences as Array<{ id: string; status: string }>;
    assert.deepEqual(listed.map((entry) => `${entry.id}:${entry.status}`), ['quiet-region:active', 's1:expired']);
    assert.equal((await call('DELETE', '/v1/silences/nope')).json.error.code, 'DW_SILENCE_NOT_FOUND');
  } finally {
    await app.close();
  }
});

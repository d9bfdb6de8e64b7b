// Alerting end to end, every part real: Driftwatch started with all its roles, drifted
// traffic produced to Kafka, the scheduler's 1-minute windows analysed, the rule firing, and
// email (SMTP), Slack (Web API stand-in) and webhook each receiving the alert exactly once,
// with one retraining request; then Driftwatch restarted while the alert fires (no
// duplicate), normal traffic in the next window, and exactly one resolve notice each.
// It also measures the latency from the end of the window to each notification against
// the analysis time of that window (goal: at most the analysis time + 5 s).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDriftwatch, type RunningDriftwatch } from '../../app/driftwatch.js';
import { IDEMPOTENCY_HEADER } from '../../alerting/render/webhook.js';
import { createRandom, normal } from '../../demo/traffic.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { startHttpReceiver, startSlackReceiver, startSmtpReceiver, type HttpReceiver } from '../helpers/receivers.js';
import { insertPredictions } from '../helpers/seed.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MODEL = 'e2e-fraud';
const log = createLogger('error');

let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let slack: Awaited<ReturnType<typeof startSlackReceiver>>;
let hook: HttpReceiver;
let pipeline: HttpReceiver;
let config: ReturnType<typeof testConfig>;
let client: ClickHouseClient;
let kafka: KafkaAdapter;
let driftwatch: RunningDriftwatch | undefined;

/** `count` predictions spread over [start, start + span); `shift` moves amount and country. */
function predictions(start: number, span: number, count: number, shift: number, seed: number): PredictionEvent[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, index): PredictionEvent => ({
    event_id: `${MODEL}-${start}-${index}`,
    model_id: MODEL,
    model_version: 'v1',
    timestamp: start + Math.floor((index / count) * span),
    features: {
      amount: Math.round((100 + 20 * normal(random) + 25 * shift) * 100) / 100,
      country: random() < 0.5 + 0.3 * shift ? 'FR' : random() < 0.5 ? 'DE' : 'ES',
    },
    prediction: random() < 0.5 ? 1 : 0,
    score: Math.round(random() * 1000) / 1000,
  }));
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

before(async () => {
  [smtp, slack, hook, pipeline] = await Promise.all([startSmtpReceiver(), startSlackReceiver(), startHttpReceiver(), startHttpReceiver('/retrain')]);
  config = testConfig('e2e', {
    DRIFTWATCH_SLACK_API_URL: slack.url,
    DRIFTWATCH_OUTGOING_ALLOW_PRIVATE: 'true',
    DRIFTWATCH_DEFAULT_MONITORS: 'false',
    DRIFTWATCH_ANALYZER_SWEEP_MS: '2000',
    DRIFTWATCH_DELIVERY_RETRY_INITIAL_MS: '50',
    DRIFTWATCH_KAFKA_TOPIC_PARTITIONS: '1',
  });
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'e2e-test' }, log);
});

after(async () => {
  await driftwatch?.stop();
  await Promise.all([smtp?.close(), slack?.close(), hook?.close(), pipeline?.close()]);
  await kafka?.close();
  await client?.close();
  await dropTestDatabase(config);
});

test('drifted traffic through Kafka alerts email, Slack and webhook exactly once, survives a restart, and resolves', { timeout: 6 * MINUTE }, async (t) => {
  // The reference: an hour of normal traffic two hours ago, written straight to ClickHouse.
  const referenceFrom = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
  await insertPredictions(client, predictions(referenceFrom, HOUR, 4000, 0, 1));

  driftwatch = await startDriftwatch(config, log);
  const base = driftwatch.url!;
  for (const channel of [
    { id: 'email', kind: 'email', host: '127.0.0.1', port: smtp.port, security: 'none', from: 'alerts@driftwatch.test', to: ['ml-oncall@example.com'] },
    { id: 'slack', kind: 'slack', channel: 'C0MLOPS', token: 'xoxb-e2e' },
    { id: 'hook', kind: 'webhook', url: hook.url, secret: 'e2e-secret' },
  ]) {
    await call(base, 'POST', '/v1/channels', channel);
    await call(base, 'POST', '/v1/subscriptions', { id: `all-${channel.id}`, channel_id: channel.id, models: [MODEL] });
  }
  await call(base, 'POST', '/v1/retraining-targets', { id: 'retrain-e2e', target: { kind: 'webhook', url: pipeline.url } });
  await call(base, 'POST', '/v1/rules', {
    id: 'e2e-drift', name: 'Features drift', model_id: MODEL, metric: 'psi', column_roles: ['feature'],
    condition: { operator: '>', threshold: 0.2 }, severity: 'critical', retrain: 'retrain-e2e',
  });

  // Window A (drifted) is the first whole minute ending at least 20 s from now; window B,
  // right after it, is back to normal. Both go to Kafka now; ingest writes them.
  const windowA = Math.ceil((Date.now() + 20_000) / MINUTE) * MINUTE - MINUTE;
  const windowB = windowA + MINUTE;
  await kafka.send(config.kafka.topics.predictions, [...predictions(windowA, MINUTE, 1500, 1, 2), ...predictions(windowB, MINUTE, 1500, 0, 3)]
    .map((event) => ({ key: event.event_id, value: JSON.stringify(event) })));
  await call(base, 'POST', '/v1/monitors', {
    id: 'e2e-minutely', model_id: MODEL, model_version: 'v1', window: '1m', delay: '0s', catch_up: '2m',
    reference: { type: 'fixed', from: new Date(referenceFrom).toISOString(), to: new Date(referenceFrom + HOUR).toISOString() },
  });

  // Firing: each channel once, the pipeline once.
  const windowEndA = windowA + MINUTE;
  await waitFor(() => smtp.mails.length >= 1 && slack.posts.length >= 1 && hook.requests.length >= 1 && pipeline.requests.length >= 1,
    { what: 'the firing notification on every channel', timeoutMs: windowEndA - Date.now() + 60_000, intervalMs: 100 });
  const runs = await queryRows<{ started_ms: string; finished_ms: string }>(client,
    `SELECT started_ms, finished_ms FROM analysis_runs FINAL WHERE monitor_id = 'e2e-minutely' AND window_start = toDateTime(${windowA / 1000}) AND status = 'succeeded'`);
  assert.equal(runs.length, 1, 'window A analysed once');
  const analysisMs = Number(runs[0]!.finished_ms) - Number(runs[0]!.started_ms);
  const latencies = { email: smtp.mails[0]!.at - windowEndA, slack: slack.posts[0]!.at - windowEndA, webhook: hook.requests[0]!.at - windowEndA, retraining: pipeline.requests[0]!.at - windowEndA };
  t.diagnostic(`window end -> notification: ${JSON.stringify(latencies)} ms; analysis of the window took ${analysisMs} ms`);
  for (const [channel, latency] of Object.entries(latencies)) {
    assert.ok(latency <= analysisMs + 5000, `${channel}: ${latency} ms after the window end, more than the analysis time (${analysisMs} ms) + 5 s`);
  }
  assert.match(smtp.mails[0]!.subject, /Features drift/);
  assert.deepEqual(smtp.mails[0]!.to, ['ml-oncall@example.com']);
  assert.ok(smtp.mails[0]!.raw.includes('amount'), 'the email lists the drifted feature');
  assert.ok(JSON.stringify(slack.posts[0]!.blocks).includes('amount'), 'the Slack blocks list the drifted feature');
  const firing = JSON.parse(hook.requests[0]!.body) as { kind: string; model: { id: string } };
  assert.equal(firing.kind, 'firing');
  const firingKey = hook.requests[0]!.headers[IDEMPOTENCY_HEADER.toLowerCase()];

  // Restart while the alert fires: nothing is sent again.
  await driftwatch.stop();
  driftwatch = await startDriftwatch(config, log);
  const restarted = driftwatch.url!;

  // Window B is normal: one resolve notice per channel.
  await waitFor(() => smtp.mails.length >= 2 && slack.posts.length >= 2 && hook.requests.length >= 2,
    { what: 'the resolve notice on every channel', timeoutMs: windowB + MINUTE - Date.now() + 60_000, intervalMs: 200 });
  // Give a duplicate, if any were coming, the time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(smtp.mails.length, 2, 'email: one firing, one resolved');
  assert.equal(slack.posts.length, 2, 'Slack: one firing, one resolved');
  assert.equal(hook.requests.length, 2, 'webhook: one firing, one resolved');
  assert.equal(pipeline.requests.length, 1, 'one retraining request');
  assert.match(smtp.mails[1]!.subject, /resolved/i);
  assert.equal((JSON.parse(hook.requests[1]!.body) as { kind: string }).kind, 'resolved');
  assert.notEqual(hook.requests[1]!.headers[IDEMPOTENCY_HEADER.toLowerCase()], firingKey);

  const alerts = await call(restarted, 'GET', `/v1/alerts?model_id=${MODEL}`);
  assert.deepEqual((alerts.alerts as Array<{ kind: string }>).map((alert) => alert.kind).sort(), ['firing', 'resolved']);
  const deliveries = await call(restarted, 'GET', `/v1/deliveries?model_id=${MODEL}&status=delivered`);
  assert.equal((deliveries.deliveries as unknown[]).length, 6, 'three channels x (firing, resolved), each delivered once');
  const triggers = await call(restarted, 'GET', `/v1/triggers?model_id=${MODEL}`);
  assert.deepEqual((triggers.triggers as Array<{ status: string }>).map((run) => run.status), ['triggered']);
});

// Delivering stored alerts on real ClickHouse to real receivers on loopback: channels,
// subscriptions and retraining targets managed through the API (secrets write-only), the
// dispatcher's exactly-once deliveries with their log, a receiver failing twice then
// succeeding, auto-disable and re-enable, and retraining runs with cooldown, approval and
// the pipeline's callback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildChannel } from '../../alerting/delivery/channel-factory.js';
import { NotificationDispatcher } from '../../alerting/delivery/dispatcher.js';
import { channelSettings, retrainingServiceFrom } from '../../alerting/delivery/from-config.js';
import type { RetrainingService } from '../../alerting/delivery/retraining-service.js';
import type { AlertNotification } from '../../alerting/notification.js';
import { IDEMPOTENCY_HEADER } from '../../alerting/render/webhook.js';
import { listDeliveries } from '../../alerting/store/delivery-log.js';
import { buildApi } from '../../api/server.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { createClickHouse, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { sampleNotification } from '../helpers/notification.js';
import { startHttpReceiver, startSlackReceiver, startSmtpReceiver, type HttpReceiver } from '../helpers/receivers.js';

const config = testConfig('delivery', {
  DRIFTWATCH_OUTGOING_ALLOW_PRIVATE: 'true',
  DRIFTWATCH_DELIVERY_RETRY_INITIAL_MS: '20',
  DRIFTWATCH_DELIVERY_RETRY_MAX_MS: '100',
  DRIFTWATCH_DELIVERY_TIMEOUT_MS: '5000',
  DRIFTWATCH_CHANNEL_DISABLE_AFTER: '2',
  DRIFTWATCH_PUBLIC_URL: 'http://127.0.0.1:1',
});
const log = createLogger('error');
let client: ClickHouseClient;
let kafka: KafkaAdapter;
let api: FastifyInstance;
let retraining: RetrainingService;
let dispatcher: NotificationDispatcher;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let slack: Awaited<ReturnType<typeof startSlackReceiver>>;
let hook: HttpReceiver;
let flaky: HttpReceiver;
let pipeline: HttpReceiver;

let keySeq = 0;
function notification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  keySeq += 1;
  return sampleNotification({ idempotencyKey: `key-${keySeq}-${Date.now()}`, createdAt: Date.now(), ...overrides });
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const response = await api.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: response.statusCode, body: response.body === '' ? null : (response.json() as Record<string, unknown>) };
}

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'delivery-test' }, log);
  [smtp, slack, hook, flaky, pipeline] = await Promise.all([startSmtpReceiver(), startSlackReceiver(), startHttpReceiver(), startHttpReceiver('/flaky'), startHttpReceiver('/pipeline')]);
  const settings = channelSettings({ ...config, alerting: { ...config.alerting, slackApiUrl: slack.url } });
  retraining = retrainingServiceFrom(config, client, log);
  dispatcher = new NotificationDispatcher({
    client,
    settings: { topic: 'unused', groupId: 'unused', instance: 'test', retryPolicy: config.alerting.retryPolicy, autoDisableAfter: config.alerting.autoDisableAfter },
    buildChannel: (definition) => buildChannel(definition, settings),
    retraining,
    log,
  });
  api = await buildApi({ config, clickhouse: client, kafka, metrics: new Metrics({ defaultMetrics: false }), log, retraining });
});

after(async () => {
  await api?.close();
  await Promise.all([smtp?.close(), slack?.close(), hook?.close(), flaky?.close(), pipeline?.close()]);
  await client?.close();
  await kafka?.close();
  await dropTestDatabase(config);
});

describe('channels and subscriptions through the API', () => {
  test('secrets are write-only: views list which are set, never their values', async () => {
    const created = await call('POST', '/v1/channels', { id: 'slack-risk', kind: 'slack', channel: 'C0RISK', token: 'xoxb-first-token' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body!.token, undefined);
    assert.deepEqual(created.body!.secrets_set, ['token']);
    assert.equal(JSON.stringify(created.body).includes('xoxb-first-token'), false);
    // An update without the token keeps it; the delivery below proves the stored token is used.
    const updated = await call('PUT', '/v1/channels/slack-risk', { kind: 'slack', channel: 'C0RISK2', send_resolved: true });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body!.channel, 'C0RISK2');
    assert.deepEqual(updated.body!.secrets_set, ['token']);
    const listed = await call('GET', '/v1/channels');
    assert.equal(JSON.stringify(listed.body).includes('xoxb-first-token'), false);

    for (const channel of [
      { id: 'email-risk', kind: 'email', host: '127.0.0.1', port: smtp.port, security: 'none', from: 'Driftwatch <alerts@driftwatch.test>', to: ['risk@example.com', 'oncall@example.com'] },
      { id: 'hook-risk', kind: 'webhook', url: hook.url, secret: 'hook-signing-secret', send_resolved: false },
    ]) {
      const response = await call('POST', '/v1/channels', channel);
      assert.equal(response.status, 201, JSON.stringify(response.body));
    }
    const webhook = await call('GET', '/v1/channels/hook-risk');
    assert.equal(webhook.body!.secret, undefined);
    assert.deepEqual(webhook.body!.health, { disabled: false, consecutive_failures: 0, reason: null, since: null });
  });

  test('invalid definitions are refused with the field named', async () => {
    const cases: Array<{ url: string; body: unknown; field: string }> = [
      { url: '/v1/channels', body: { id: 'x', kind: 'slack', channel: 'C1' }, field: 'token' },
      { url: '/v1/channels', body: { id: 'x', kind: 'pager', channel: 'C1' }, field: 'kind' },
      { url: '/v1/channels', body: { id: 'x', kind: 'webhook', url: 'ftp://h/x', secret: 's' }, field: 'url' },
      { url: '/v1/subscriptions', body: { id: 's', channel_id: 'nope' }, field: 'channel_id' },
      { url: '/v1/subscriptions', body: { id: 's', channel_id: 'slack-risk', min_severity: 'urgent' }, field: 'min_severity' },
      { url: '/v1/retraining-targets', body: { id: 't', target: { kind: 'github', repository: 'no-slash', token: 'x' } }, field: 'target.repository' },
    ];
    for (const { url, body, field } of cases) {
      const response = await call('POST', url, body);
      assert.equal(response.status, 400, `${url} ${JSON.stringify(body)}`);
      assert.equal((response.body!.error as { details: { field: string } }).details.field, field, JSON.stringify(response.body));
    }
  });

  test('outgoing URLs that the policy can never allow are refused when saved, naming the field', async () => {
    const strict = await buildApi({
      config: { ...config, alerting: { ...config.alerting, urlPolicy: { allowedHosts: ['hooks.example.com'], allowPrivate: false } } },
      clickhouse: client, kafka, metrics: new Metrics({ defaultMetrics: false }), log, retraining,
    });
    try {
      const cases: Array<{ url: string; body: unknown; field: string; code: string }> = [
        { url: '/v1/channels', body: { id: 'p1', kind: 'webhook', url: 'https://10.1.2.3/hook', secret: 's' }, field: 'url', code: 'host_not_allowed' },
        { url: '/v1/channels', body: { id: 'p2', kind: 'webhook', url: 'http://hooks.example.com/hook', secret: 's' }, field: 'url', code: 'insecure_scheme' },
        { url: '/v1/retraining-targets', body: { id: 't1', target: { kind: 'github', repository: 'acme/model', token: 'x' } }, field: 'target.api_url', code: 'host_not_allowed' },
        { url: '/v1/retraining-targets', body: { id: 't2', target: { kind: 'airflow', base_url: 'https://airflow.internal', dag_id: 'retrain' } }, field: 'target.base_url', code: 'host_not_allowed' },
      ];
      for (const { url, body, field, code } of cases) {
        const response = await strict.inject({ method: 'POST', url, payload: body as object });
        assert.equal(response.statusCode, 400, `${url} ${JSON.stringify(body)}: ${response.body}`);
        const error = (response.json() as { error: { message: string; details: { field: string } } }).error;
        assert.equal(error.details.field, field);
        assert.match(error.message, new RegExp(code));
      }
      const allowed = await strict.inject({ method: 'POST', url: '/v1/channels', payload: { id: 'p3', kind: 'webhook', url: 'https://hooks.example.com/driftwatch', secret: 's' } });
      assert.equal(allowed.statusCode, 201, allowed.body);
      assert.equal((await strict.inject({ method: 'DELETE', url: '/v1/channels/p3' })).statusCode, 204);
    } finally {
      await strict.close();
    }
  });

  test('subscriptions: channel + models + minimum severity', async () => {
    for (const subscription of [
      { id: 'risk-slack', channel_id: 'slack-risk', models: ['fraud'], min_severity: 'warning' },
      { id: 'risk-email', channel_id: 'email-risk', models: ['fraud'], min_severity: 'critical' },
      { id: 'risk-hook', channel_id: 'hook-risk' },
      // A second subscription to the same channel: still one message.
      { id: 'risk-hook-again', channel_id: 'hook-risk', models: ['fraud'] },
    ]) {
      const response = await call('POST', '/v1/subscriptions', subscription);
      assert.equal(response.status, 201, JSON.stringify(response.body));
    }
  });
});

describe('dispatching', () => {
  test('each routed channel gets the notification exactly once, however often it is dispatched', async () => {
    const n = notification({ severity: 'critical' });
    const first = await dispatcher.dispatch({ notification: n, retrain: null });
    assert.deepEqual(first.channels.map((c) => [c.channelId, c.status]), [['email-risk', 'delivered'], ['hook-risk', 'delivered'], ['slack-risk', 'delivered']]);
    const again = await dispatcher.dispatch({ notification: n, retrain: null });
    assert.deepEqual(again.channels.map((c) => c.status), ['already_finished', 'already_finished', 'already_finished']);

    assert.equal(smtp.mails.length, 1);
    assert.deepEqual(smtp.mails[0]!.to, ['risk@example.com', 'oncall@example.com']);
    assert.match(smtp.mails[0]!.subject, /Fraud features drift/);
    for (const feature of ['transaction_amount', 'merchant_category', 'customer_age']) assert.ok(smtp.mails[0]!.raw.includes(feature), feature);
    assert.equal(slack.posts.length, 1);
    assert.equal(slack.posts[0]!.authorization, 'Bearer xoxb-first-token', 'the token kept through the update');
    assert.equal(slack.posts[0]!.channel, 'C0RISK2');
    assert.equal(hook.accepted().length, 1);
    assert.equal(hook.requests[0]!.headers[IDEMPOTENCY_HEADER.toLowerCase()], n.idempotencyKey);

    const log = await listDeliveries(client, { idempotencyKey: n.idempotencyKey, limit: 100 });
    assert.deepEqual(log.map((entry) => [entry.channelId, entry.status, entry.attempt]).sort(), [
      ['email-risk', 'delivered', 1], ['hook-risk', 'delivered', 1], ['slack-risk', 'delivered', 1],
    ]);
    const hookEntry = log.find((entry) => entry.channelId === 'hook-risk')!;
    assert.deepEqual(hookEntry.subscriptionIds, ['risk-hook', 'risk-hook-again']);
    assert.equal(hookEntry.responseCode, 200);
  });

  test('minimum severity, models and send_resolved decide who gets what', async () => {
    const before = { mails: smtp.mails.length, posts: slack.posts.length, hooks: hook.requests.length };
    const warning = await dispatcher.dispatch({ notification: notification({ severity: 'warning' }), retrain: null });
    assert.deepEqual(warning.channels.map((c) => c.channelId), ['hook-risk', 'slack-risk'], 'email wants critical only');
    const otherModel = await dispatcher.dispatch({ notification: notification({ severity: 'critical', modelId: 'loans' }), retrain: null });
    assert.deepEqual(otherModel.channels.map((c) => c.channelId), ['hook-risk'], 'only the all-models subscription');
    const resolved = await dispatcher.dispatch({ notification: notification({ kind: 'resolved', severity: 'critical' }), retrain: null });
    assert.deepEqual(resolved.channels.map((c) => c.channelId), ['email-risk', 'slack-risk'], 'the webhook does not send resolve notices');
    assert.equal(smtp.mails.length, before.mails + 1);
    assert.equal(slack.posts.length, before.posts + 2);
    assert.equal(hook.requests.length, before.hooks + 2);
  });

  test('a receiver that fails twice then succeeds gets exactly one successful delivery', async () => {
    await call('POST', '/v1/channels', { id: 'flaky-hook', kind: 'webhook', url: flaky.url, secret: 'flaky-secret' });
    await call('POST', '/v1/subscriptions', { id: 'flaky-all', channel_id: 'flaky-hook', models: ['payments'] });
    flaky.failNext(2, 503);
    const n = notification({ modelId: 'payments' });
    const result = await dispatcher.dispatch({ notification: n, retrain: null });
    assert.deepEqual(result.channels.find((c) => c.channelId === 'flaky-hook'), { channelId: 'flaky-hook', status: 'delivered', attempts: 3 });
    assert.deepEqual(flaky.requests.map((request) => request.status), [503, 503, 200]);
    assert.equal(flaky.accepted().length, 1);
    assert.deepEqual(new Set(flaky.requests.map((request) => request.headers[IDEMPOTENCY_HEADER.toLowerCase()])), new Set([n.idempotencyKey]));
    const log = await listDeliveries(client, { idempotencyKey: n.idempotencyKey, channelId: 'flaky-hook', limit: 10 });
    assert.deepEqual(log.map((entry) => [entry.attempt, entry.status, entry.responseCode]).sort(), [[1, 'retrying', 503], [2, 'retrying', 503], [3, 'delivered', 200]]);
    const hooksBefore = hook.requests.length;
    await dispatcher.dispatch({ notification: n, retrain: null });
    assert.equal(flaky.requests.length, 3, 'a redelivered message sends nothing');
    assert.equal(hook.requests.length, hooksBefore);
  });

  test('consecutive failures disable a channel, the API shows why, and re-enabling resumes deliveries', async () => {
    flaky.failNext(2, 400);
    for (let i = 0; i < 2; i++) {
      const result = await dispatcher.dispatch({ notification: notification({ modelId: 'payments' }), retrain: null });
      assert.equal(result.channels.find((c) => c.channelId === 'flaky-hook')!.status, 'failed');
    }
    const shown = await call('GET', '/v1/channels/flaky-hook');
    const health = shown.body!.health as { disabled: boolean; consecutive_failures: number; reason: string };
    assert.equal(health.disabled, true);
    assert.equal(health.consecutive_failures, 2);
    assert.match(health.reason, /2 consecutive failed deliveries.*HTTP 400/);

    const requests = flaky.requests.length;
    const skipped = notification({ modelId: 'payments' });
    assert.equal((await dispatcher.dispatch({ notification: skipped, retrain: null })).channels.find((c) => c.channelId === 'flaky-hook')!.status, 'skipped');
    assert.equal(flaky.requests.length, requests, 'a disabled channel is not tried');
    const log = await listDeliveries(client, { idempotencyKey: skipped.idempotencyKey, channelId: 'flaky-hook', limit: 10 });
    assert.equal(log.length, 1);
    assert.equal(log[0]!.status, 'skipped');
    assert.equal(log[0]!.errorCode, 'DW_CHANNEL_DISABLED');

    const enabled = await call('POST', '/v1/channels/flaky-hook/enable');
    assert.equal(enabled.status, 200);
    assert.equal((enabled.body!.health as { disabled: boolean }).disabled, false);
    assert.equal((await dispatcher.dispatch({ notification: notification({ modelId: 'payments' }), retrain: null })).channels.find((c) => c.channelId === 'flaky-hook')!.status, 'delivered');
    const list = await call('GET', '/v1/deliveries?channel_id=flaky-hook&status=failed');
    assert.equal((list.body!.deliveries as unknown[]).length, 2);
  });
});

describe('retraining triggers', () => {
  function pipelineRequests(): Array<{ body: Record<string, unknown>; authorization: string | undefined }> {
    return pipeline.requests.map((request) => ({ body: JSON.parse(request.body) as Record<string, unknown>, authorization: request.headers.authorization }));
  }

  test('a firing alert starts one run; the cooldown holds back the next; the pipeline reports back with its token', async () => {
    const target = await call('POST', '/v1/retraining-targets', { id: 'retrain-fraud', target: { kind: 'webhook', url: pipeline.url, token: 'pipeline-token' }, cooldown: '24h' });
    assert.equal(target.status, 201, JSON.stringify(target.body));
    assert.deepEqual(target.body!.secrets_set, ['target.token']);
    assert.equal(JSON.stringify(target.body).includes('pipeline-token'), false);

    const first = notification({ modelId: 'churn' });
    const result = await dispatcher.dispatch({ notification: first, retrain: 'retrain-fraud' });
    assert.ok(result.retrainingRunId);
    assert.equal(pipeline.requests.length, 1);
    const [request] = pipelineRequests();
    assert.equal(request!.authorization, 'Bearer pipeline-token');
    const callback = request!.body.callback as { url: string; token: string };
    assert.equal(callback.url, `http://127.0.0.1:1/v1/triggers/${result.retrainingRunId}/callback`);
    assert.equal((request!.body.model as { id: string }).id, 'churn');

    // The same alert redelivered: the same run, nothing sent.
    assert.equal((await dispatcher.dispatch({ notification: first, retrain: 'retrain-fraud' })).retrainingRunId, result.retrainingRunId);
    // A second incident within the cooldown: recorded as suppressed, nothing sent.
    const second = await dispatcher.dispatch({ notification: notification({ modelId: 'churn' }), retrain: 'retrain-fraud' });
    assert.equal(pipeline.requests.length, 1);
    const suppressed = await call('GET', `/v1/triggers/${second.retrainingRunId}`);
    assert.equal(suppressed.body!.status, 'suppressed');
    assert.match(String(suppressed.body!.reason), new RegExp(`cooldown: run ${result.retrainingRunId}`));

    const path = `/v1/triggers/${result.retrainingRunId}/callback`;
    assert.equal((await call('POST', path, { status: 'started' }, { authorization: 'Bearer wrong-token' })).status, 401);
    assert.equal((await call('POST', path, { status: 'started' })).status, 401);
    const started = await call('POST', path, { status: 'started', url: 'https://ci.example.com/runs/42' }, { authorization: `Bearer ${callback.token}` });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body!.status, 'started');
    const succeeded = await call('POST', path, { status: 'succeeded', model_version: 'v4' }, { authorization: `Bearer ${callback.token}` });
    assert.equal(succeeded.body!.status, 'succeeded');
    assert.equal((await call('POST', path, { status: 'failed' }, { authorization: `Bearer ${callback.token}` })).status, 409);

    const history = await call('GET', '/v1/triggers?model_id=churn');
    const runs = history.body!.triggers as Array<Record<string, unknown>>;
    assert.deepEqual(runs.map((run) => run.status).sort(), ['succeeded', 'suppressed']);
    const done = runs.find((run) => run.status === 'succeeded')!;
    assert.equal(done.pipeline_url, 'https://ci.example.com/runs/42');
    assert.deepEqual((done.callbacks as Array<{ status: string }>).map((c) => c.status), ['started', 'succeeded']);
    assert.equal(JSON.stringify(history.body).includes(callback.token), false, 'the callback token is never shown');
  });

  test('approval: a run waits until approved (sent once) or rejected (sent never)', async () => {
    await call('POST', '/v1/retraining-targets', { id: 'retrain-approved', target: { kind: 'webhook', url: pipeline.url }, require_approval: true, cooldown: '1h' });
    const before = pipeline.requests.length;
    const waiting = await dispatcher.dispatch({ notification: notification({ modelId: 'credit' }), retrain: 'retrain-approved' });
    const run = await call('GET', `/v1/triggers/${waiting.retrainingRunId}`);
    assert.equal(run.body!.status, 'pending_approval');
    assert.equal(pipeline.requests.length, before);
    // While it waits, a second incident is held back by the cooldown.
    const held = await dispatcher.dispatch({ notification: notification({ modelId: 'credit' }), retrain: 'retrain-approved' });
    assert.equal((await call('GET', `/v1/triggers/${held.retrainingRunId}`)).body!.status, 'suppressed');

    const approved = await call('POST', `/v1/triggers/${waiting.retrainingRunId}/approve`, { by: 'alice', comment: 'go' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body!.status, 'triggered');
    assert.deepEqual({ ...(approved.body!.decision as object), at: undefined }, { by: 'alice', at: undefined, approved: true, comment: 'go' });
    assert.equal(pipeline.requests.length, before + 1);
    assert.equal((await call('POST', `/v1/triggers/${waiting.retrainingRunId}/approve`)).status, 409, 'approving twice');
    assert.equal(pipeline.requests.length, before + 1);

    const other = await dispatcher.dispatch({ notification: notification({ modelId: 'mortgage' }), retrain: 'retrain-approved' });
    const rejected = await call('POST', `/v1/triggers/${other.retrainingRunId}/reject`, { by: 'bob', comment: 'known seasonal shift' });
    assert.equal(rejected.body!.status, 'rejected');
    assert.equal(pipeline.requests.length, before + 1);
    // A rejected run does not hold the cooldown: the next incident asks again.
    const next = await dispatcher.dispatch({ notification: notification({ modelId: 'mortgage' }), retrain: 'retrain-approved' });
    assert.equal((await call('GET', `/v1/triggers/${next.retrainingRunId}`)).body!.status, 'pending_approval');
  });
});

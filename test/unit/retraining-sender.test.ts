// alerting/channels/retraining-sender.ts against real HTTP servers on 127.0.0.1: which
// failures are retried for each kind of deduplication (a retry must never start a second
// pipeline run), the exact request each preset sends, the URL policy, and retries driven by
// deliverWithRetries with an instant, recorded sleep.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { deliverWithRetries, type DeliveryAttemptRecord } from '../../alerting/channels/deliver.js';
import { retrainingChannel, RetrainingSender, type RetrainingSenderOptions } from '../../alerting/channels/retraining-sender.js';
import type { DeliveryErrorCode } from '../../alerting/channels/types.js';
import { retrainingRequest, type RetrainingRequest, type RetrainingTarget, type RetrainingTriggerInput } from '../../alerting/render/retraining.js';
import { verifyWebhookSignature } from '../../alerting/render/webhook.js';
import { closedPort, closeHttp, listen, readBody } from '../helpers/loopback.js';
import { may2024Notification } from '../helpers/notification.js';
import { deliveryError } from '../helpers/delivery.js';

const INPUT: RetrainingTriggerInput = {
  notification: may2024Notification(),
  triggerRunId: 'trg-0001',
  callbackUrl: 'https://driftwatch.example.com/v1/retraining/trg-0001/callback',
  callbackToken: 'cb-token-abc',
  nowSeconds: Math.floor(Date.now() / 1000),
};

const LOOPBACK = { allowedHosts: ['*'], allowPrivate: true };
const GENEROUS_MS = 20_000;

// ---------------------------------------------------------------------------------------
// Helpers

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Received { method: string | undefined; path: string; headers: http.IncomingHttpHeaders; body: string }
type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A target answering the n-th request with replies[n] (the last reply repeats; default 204). */
async function target(replies: Reply[] = []) {
  const received: Received[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    received.push({ method: req.method, path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
    const reply = replies[Math.min(received.length, replies.length) - 1] ?? status(204);
    reply(req, res);
    held.push(res);
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const res of held) res.destroy();
    await closeHttp(server);
  });
  return { received, port };
}

const status = (code: number, headers: Record<string, string> = {}): Reply => (_req, res) => { res.writeHead(code, headers); res.end(`status ${code}`); };
const destroySocket: Reply = (req) => { req.socket.destroy(); };
const neverAnswer: Reply = () => {};

function plainRequest(url: string, deduplication: RetrainingRequest['deduplication']): RetrainingRequest {
  return { method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: '{"run":"trg-0001"}', deduplication };
}

function sender(overrides: Partial<RetrainingSenderOptions> = {}): RetrainingSender {
  return new RetrainingSender({ urlPolicy: LOOPBACK, timeoutMs: GENEROUS_MS, ...overrides });
}

// ---------------------------------------------------------------------------------------
// Retry safety per deduplication

type Outcome = { ok: true; alreadyExisted: boolean } | { code: DeliveryErrorCode; retryable: boolean };
interface Behaviour {
  name: string;
  reply: Reply | 'refused';
  timeoutMs?: number;
  responseCode: number | null;
  /** The target may have started the run: without deduplication, the message must say why it is not repeated. */
  mayHaveStarted?: true;
  expect: Record<RetrainingRequest['deduplication'], Outcome>;
}

const ok = (alreadyExisted = false): Outcome => ({ ok: true, alreadyExisted });
const fails = (code: DeliveryErrorCode, retryable: boolean): Outcome => ({ code, retryable });
const same = (outcome: Outcome) => ({ target: outcome, 'idempotency-key': outcome, none: outcome });

const BEHAVIOURS: Behaviour[] = [
  { name: 'HTTP 204', reply: status(204), responseCode: 204, expect: same(ok()) },
  {
    name: 'HTTP 409', reply: status(409), responseCode: 409,
    expect: { target: ok(true), 'idempotency-key': fails('DW_DELIVERY_HTTP_STATUS', false), none: fails('DW_DELIVERY_HTTP_STATUS', false) },
  },
  { name: 'HTTP 429', reply: status(429), responseCode: 429, expect: same(fails('DW_DELIVERY_RATE_LIMITED', true)) },
  {
    name: 'HTTP 500', reply: status(500), responseCode: 500, mayHaveStarted: true,
    expect: { target: fails('DW_DELIVERY_HTTP_STATUS', true), 'idempotency-key': fails('DW_DELIVERY_HTTP_STATUS', true), none: fails('DW_DELIVERY_HTTP_STATUS', false) },
  },
  { name: 'HTTP 401', reply: status(401), responseCode: 401, expect: same(fails('DW_DELIVERY_AUTH', false)) },
  { name: 'HTTP 403', reply: status(403), responseCode: 403, expect: same(fails('DW_DELIVERY_AUTH', false)) },
  { name: 'HTTP 422', reply: status(422), responseCode: 422, expect: same(fails('DW_DELIVERY_HTTP_STATUS', false)) },
  { name: 'HTTP 302 (not followed)', reply: status(302, { Location: 'http://169.254.169.254/' }), responseCode: 302, expect: same(fails('DW_DELIVERY_HTTP_STATUS', false)) },
  { name: 'connection refused', reply: 'refused', responseCode: null, expect: same(fails('DW_DELIVERY_CONNECTION_REFUSED', true)) },
  {
    name: 'socket destroyed after the body was read', reply: destroySocket, responseCode: null, mayHaveStarted: true,
    expect: { target: fails('DW_DELIVERY_CONNECTION_LOST', true), 'idempotency-key': fails('DW_DELIVERY_CONNECTION_LOST', true), none: fails('DW_DELIVERY_OUTCOME_UNKNOWN', false) },
  },
  {
    name: 'no answer within 200 ms', reply: neverAnswer, timeoutMs: 200, responseCode: null, mayHaveStarted: true,
    expect: { target: fails('DW_DELIVERY_TIMEOUT', true), 'idempotency-key': fails('DW_DELIVERY_TIMEOUT', true), none: fails('DW_DELIVERY_TIMEOUT', false) },
  },
];

describe('retry safety: deduplication x target behaviour', () => {
  for (const behaviour of BEHAVIOURS) {
    for (const deduplication of ['target', 'idempotency-key', 'none'] as const) {
      const expected = behaviour.expect[deduplication];
      test(`${behaviour.name}, deduplication ${deduplication}`, async () => {
        const server = behaviour.reply === 'refused' ? null : await target([behaviour.reply]);
        const port = server?.port ?? await closedPort();
        const send = sender({ timeoutMs: behaviour.timeoutMs ?? GENEROUS_MS }).send(plainRequest(`http://127.0.0.1:${port}/trigger`, deduplication));
        if ('ok' in expected) {
          const result = await send;
          assert.equal(result.responseCode, behaviour.responseCode);
          assert.equal(result.alreadyExisted, expected.alreadyExisted);
          assert.match(result.detail, new RegExp(`^HTTP ${behaviour.responseCode} from http://127\\.0\\.0\\.1:${port}/trigger \\(127\\.0\\.0\\.1\\)`));
        } else {
          const error = await deliveryError(send);
          assert.equal(error.code, expected.code, `code (message: ${error.message})`);
          assert.equal(error.retryable, expected.retryable, `retryable (message: ${error.message})`);
          assert.equal(error.responseCode, behaviour.responseCode, 'responseCode');
          if (deduplication === 'none' && behaviour.mayHaveStarted) assert.match(error.message, /not repeated.*second pipeline run/);
        }
        assert.equal(server?.received.length ?? 0, behaviour.reply === 'refused' ? 0 : 1, 'one request, never repeated by the sender');
      });
    }
  }

  test('429 keeps the Retry-After wait', async () => {
    const server = await target([status(429, { 'Retry-After': '7' })]);
    const error = await deliveryError(sender().send(plainRequest(`http://127.0.0.1:${server.port}/t`, 'none')));
    assert.equal(error.retryAfterMs, 7_000);
  });
});

// A body larger than the loopback socket buffers: the write cannot complete while the peer does not read.
const HUGE_BODY = 'x'.repeat(64 * 1024 * 1024);

/** A raw TCP peer that reads nothing, and with `resetAfterMs` resets the connection. */
async function silentPeer(resetAfterMs: number | null) {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.pause();
    socket.on('error', () => {});
    if (resetAfterMs !== null) setTimeout(() => socket.resetAndDestroy(), resetAfterMs);
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return port;
}

describe('a request that was not completely written is retried even without deduplication', () => {
  test('connection reset while the body is still being written', async () => {
    const port = await silentPeer(100);
    const request = { ...plainRequest(`http://127.0.0.1:${port}/t`, 'none' as const), body: HUGE_BODY };
    const error = await deliveryError(sender().send(request));
    assert.equal(error.code, 'DW_DELIVERY_CONNECTION_LOST', error.message);
    assert.equal(error.retryable, true);
  });

  test('timeout while the body is still being written', async () => {
    const port = await silentPeer(null);
    const request = { ...plainRequest(`http://127.0.0.1:${port}/t`, 'none' as const), body: HUGE_BODY };
    const error = await deliveryError(sender({ timeoutMs: 200 }).send(request));
    assert.equal(error.code, 'DW_DELIVERY_TIMEOUT', error.message);
    assert.equal(error.retryable, true);
  });
});

// ---------------------------------------------------------------------------------------
// The presets, as the target receives them

describe('each preset arrives exactly as built', () => {
  const PRESETS: Array<{ name: string; target: (base: string) => RetrainingTarget; path: string; userAgent: string }> = [
    {
      name: 'github',
      target: (base) => ({ kind: 'github', repository: 'acme/fraud-model', token: 'ghp_secretToken123', api_url: `${base}/api/v3` }),
      path: '/api/v3/repos/acme/fraud-model/dispatches',
      userAgent: 'driftwatch',
    },
    {
      name: 'airflow',
      target: (base) => ({ kind: 'airflow', base_url: `${base}/airflow`, dag_id: 'retrain_fraud', auth: { username: 'driftwatch', password: 'p@ss:wörd' } }),
      path: '/airflow/api/v1/dags/retrain_fraud/dagRuns',
      userAgent: 'Driftwatch-Retraining/1',
    },
    {
      name: 'kubeflow',
      target: (base) => ({
        kind: 'kubeflow', base_url: `${base}/pipeline`, pipeline_id: 'p-1', pipeline_version_id: 'pv-2', experiment_id: 'e-3', token: 'kfp-token-789',
      }),
      path: '/pipeline/apis/v2beta1/runs',
      userAgent: 'Driftwatch-Retraining/1',
    },
    {
      name: 'webhook',
      target: (base) => ({ kind: 'webhook', url: `${base}/hooks/retrain?project=fraud`, token: 'hook-bearer-456', secret: 'hook-signing-secret' }),
      path: '/hooks/retrain?project=fraud',
      userAgent: 'Driftwatch-Retraining/1',
    },
  ];

  for (const preset of PRESETS) {
    test(preset.name, async () => {
      const server = await target();
      const request = retrainingRequest(preset.target(`http://127.0.0.1:${server.port}`), INPUT);
      const result = await sender().send(request);
      assert.equal(result.responseCode, 204);

      assert.equal(server.received.length, 1);
      const received = server.received[0]!;
      assert.equal(received.method, 'POST');
      assert.equal(received.path, preset.path);
      assert.equal(received.body, request.body, 'the body byte for byte');
      for (const [name, value] of Object.entries(request.headers)) {
        assert.equal(received.headers[name.toLowerCase()], value, `header ${name}`);
      }
      assert.ok(request.headers.Authorization !== undefined, 'every preset here is configured with credentials');
      assert.equal(received.headers['content-length'], String(Buffer.byteLength(request.body)));
      assert.equal(received.headers['user-agent'], preset.userAgent);
      if (preset.name === 'webhook') {
        const signature = verifyWebhookSignature('hook-signing-secret', received.headers['x-driftwatch-signature'] as string, Buffer.from(received.body), Math.floor(Date.now() / 1000));
        assert.equal(signature.ok, true, JSON.stringify(signature));
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// URL policy

test('a private address is refused when allowPrivate is false; nothing reaches it', async () => {
  const server = await target();
  const publicOnly = { allowedHosts: ['*'], allowPrivate: false };
  const urls: Array<{ url: string; resolver?: (hostname: string) => Promise<string[]> }> = [
    { url: `http://127.0.0.1:${server.port}/t` },
    { url: `https://127.0.0.1:${server.port}/t` },
    { url: `https://[::ffff:127.0.0.1]:${server.port}/t` },
    { url: `https://airflow.internal.test:${server.port}/t`, resolver: async () => ['10.1.2.3'] },
  ];
  for (const { url, resolver } of urls) {
    const error = await deliveryError(sender({ urlPolicy: publicOnly, ...(resolver ? { resolver } : {}) }).send(plainRequest(url, 'target')));
    assert.equal(error.code, 'DW_DELIVERY_URL_REFUSED', url);
    assert.equal(error.retryable, false, url);
    assert.match(error.message, /^retraining target URL refused/);
  }
  assert.equal(server.received.length, 0);
});

// ---------------------------------------------------------------------------------------
// Driven by deliverWithRetries

async function deliverRecorded(request: RetrainingRequest, maxAttempts: number) {
  const records: DeliveryAttemptRecord[] = [];
  const sleeps: number[] = [];
  const channel = retrainingChannel('retrain-fraud', sender(), request);
  const outcome = await deliverWithRetries(channel, may2024Notification(), { initialMs: 1_000, maxMs: 10_000, maxAttempts }, {
    onAttempt: (record) => { records.push(record); },
  }, { sleep: async (ms) => { sleeps.push(ms); } });
  return { outcome, records, sleeps };
}

describe('retries through deliverWithRetries', () => {
  test('Airflow: 503, then 409 for the same dag_run_id: delivered, the run exists once', async () => {
    const server = await target([status(503), status(409)]);
    const request = retrainingRequest({ kind: 'airflow', base_url: `http://127.0.0.1:${server.port}`, dag_id: 'retrain_fraud' }, INPUT);
    const { outcome, records, sleeps } = await deliverRecorded(request, 5);
    assert.equal(outcome.status, 'delivered');
    assert.equal(outcome.attempts, 2);
    assert.match(outcome.status === 'delivered' ? outcome.detail : '', /HTTP 409 .*exists already/);
    assert.deepEqual(sleeps, [1_000]);
    assert.deepEqual(records.map((r) => [r.channelKind, r.status, r.responseCode]), [['retraining', 'retrying', 503], ['retraining', 'delivered', 409]]);
    assert.deepEqual(server.received.map((r) => r.body), [request.body, request.body], 'the same dag_run_id both times');
  });

  test('GitHub: a 500 is final, one request only', async () => {
    const server = await target([status(500)]);
    const request = retrainingRequest({ kind: 'github', repository: 'acme/fraud-model', api_url: `http://127.0.0.1:${server.port}` }, INPUT);
    const { outcome, records } = await deliverRecorded(request, 5);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(records.map((r) => [r.status, r.errorCode, r.retryable]), [['failed', 'DW_DELIVERY_HTTP_STATUS', false]]);
    assert.equal(server.received.length, 1);
  });

  test('GitHub: 429 is retried until accepted', async () => {
    const server = await target([status(429, { 'Retry-After': '3' }), status(204)]);
    const request = retrainingRequest({ kind: 'github', repository: 'acme/fraud-model', api_url: `http://127.0.0.1:${server.port}` }, INPUT);
    const { outcome, sleeps } = await deliverRecorded(request, 5);
    assert.equal(outcome.status, 'delivered');
    assert.deepEqual(sleeps, [3_000]);
    assert.equal(server.received.length, 2);
  });
});

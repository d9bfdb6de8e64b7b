// alerting/channels/retry-policy.ts as tables (backoff, Retry-After, give-up, auto-disable),
// and the delivery loop of alerting/channels/deliver.ts over a scripted in-memory channel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertNotification } from '../../alerting/notification.js';
import { deliverWithRetries, type DeliveryAttemptRecord } from '../../alerting/channels/deliver.js';
import {
  autoDisable, checkRetryPolicy, DEFAULT_MAX_RETRY_AFTER_MS, nextAttemptDelay, type RetryableFailure, type RetryPolicy,
} from '../../alerting/channels/retry-policy.js';
import { DeliveryError, parseRetryAfter, type Channel, type DeliveryAttempt, type DeliverySuccess } from '../../alerting/channels/types.js';
import { sampleNotification } from '../helpers/notification.js';

const POLICY: RetryPolicy = { initialMs: 1_000, maxMs: 30_000, maxAttempts: 8 };
const RETRYABLE: RetryableFailure = { retryable: true };
const PERMANENT: RetryableFailure = { retryable: false };

const DELAY_TABLE: Array<{ name: string; attempt: number; failure: RetryableFailure; policy: RetryPolicy; expected: number | null }> = [
  { name: 'first failure waits initialMs', attempt: 1, failure: RETRYABLE, policy: POLICY, expected: 1_000 },
  { name: 'second failure doubles', attempt: 2, failure: RETRYABLE, policy: POLICY, expected: 2_000 },
  { name: 'third failure doubles again', attempt: 3, failure: RETRYABLE, policy: POLICY, expected: 4_000 },
  { name: 'fifth failure: 16 s', attempt: 5, failure: RETRYABLE, policy: POLICY, expected: 16_000 },
  { name: 'sixth failure: 32 s capped at maxMs', attempt: 6, failure: RETRYABLE, policy: POLICY, expected: 30_000 },
  { name: 'seventh failure stays at the cap', attempt: 7, failure: RETRYABLE, policy: POLICY, expected: 30_000 },
  { name: 'the last allowed attempt failed: give up', attempt: 8, failure: RETRYABLE, policy: POLICY, expected: null },
  { name: 'beyond maxAttempts: give up', attempt: 9, failure: RETRYABLE, policy: POLICY, expected: null },
  { name: 'not retryable: give up at once', attempt: 1, failure: PERMANENT, policy: POLICY, expected: null },
  { name: 'not retryable even with Retry-After', attempt: 1, failure: { retryable: false, retryAfterMs: 1_000 }, policy: POLICY, expected: null },
  { name: 'maxAttempts 1 never retries', attempt: 1, failure: RETRYABLE, policy: { ...POLICY, maxAttempts: 1 }, expected: null },
  { name: 'maxAttempts 2 retries once', attempt: 1, failure: RETRYABLE, policy: { ...POLICY, maxAttempts: 2 }, expected: 1_000 },
  { name: 'Retry-After replaces the backoff', attempt: 1, failure: { retryable: true, retryAfterMs: 7_000 }, policy: POLICY, expected: 7_000 },
  { name: 'Retry-After shorter than the backoff is used as given', attempt: 5, failure: { retryable: true, retryAfterMs: 500 }, policy: POLICY, expected: 500 },
  { name: 'Retry-After above maxMs is honoured', attempt: 1, failure: { retryable: true, retryAfterMs: 120_000 }, policy: POLICY, expected: 120_000 },
  { name: 'Retry-After 0 retries at once', attempt: 1, failure: { retryable: true, retryAfterMs: 0 }, policy: POLICY, expected: 0 },
  { name: 'fractional Retry-After rounds up', attempt: 1, failure: { retryable: true, retryAfterMs: 1500.2 }, policy: POLICY, expected: 1501 },
  { name: 'Retry-After beyond the default limit: give up', attempt: 1, failure: { retryable: true, retryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS + 1 }, policy: POLICY, expected: null },
  { name: 'Retry-After at the default limit is waited for', attempt: 1, failure: { retryable: true, retryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS }, policy: POLICY, expected: DEFAULT_MAX_RETRY_AFTER_MS },
  { name: 'Retry-After beyond a configured limit: give up', attempt: 1, failure: { retryable: true, retryAfterMs: 10_001 }, policy: { ...POLICY, maxRetryAfterMs: 10_000 }, expected: null },
  { name: 'Retry-After null falls back to backoff', attempt: 2, failure: { retryable: true, retryAfterMs: null }, policy: POLICY, expected: 2_000 },
  { name: 'Retry-After with attempts used up: give up', attempt: 8, failure: { retryable: true, retryAfterMs: 1_000 }, policy: POLICY, expected: null },
  { name: 'initialMs 0: immediate retries', attempt: 3, failure: RETRYABLE, policy: { initialMs: 0, maxMs: 0, maxAttempts: 5 }, expected: 0 },
  { name: 'huge attempt number does not overflow', attempt: 2000, failure: RETRYABLE, policy: { ...POLICY, maxAttempts: 5000 }, expected: 30_000 },
];

for (const row of DELAY_TABLE) {
  test(`nextAttemptDelay: ${row.name}`, () => {
    assert.equal(nextAttemptDelay(row.attempt, row.failure, row.policy), row.expected);
  });
}

test('nextAttemptDelay takes a DeliveryError as the failure', () => {
  const rateLimited = new DeliveryError('DW_DELIVERY_RATE_LIMITED', '429', { retryable: true, responseCode: 429, retryAfterMs: 3_000 });
  assert.equal(nextAttemptDelay(1, rateLimited, POLICY), 3_000);
  const rejected = new DeliveryError('DW_DELIVERY_HTTP_STATUS', '400', { retryable: false, responseCode: 400 });
  assert.equal(nextAttemptDelay(1, rejected, POLICY), null);
});

const BAD_POLICIES: Array<{ name: string; policy: RetryPolicy; message: RegExp }> = [
  { name: 'negative initialMs', policy: { initialMs: -1, maxMs: 10, maxAttempts: 3 }, message: /initialMs/ },
  { name: 'NaN maxMs', policy: { initialMs: 1, maxMs: Number.NaN, maxAttempts: 3 }, message: /maxMs/ },
  { name: 'maxMs below initialMs', policy: { initialMs: 10, maxMs: 5, maxAttempts: 3 }, message: /maxMs \(5\) must not be below initialMs/ },
  { name: 'maxAttempts 0', policy: { initialMs: 1, maxMs: 10, maxAttempts: 0 }, message: /maxAttempts/ },
  { name: 'fractional maxAttempts', policy: { initialMs: 1, maxMs: 10, maxAttempts: 2.5 }, message: /maxAttempts/ },
  { name: 'negative maxRetryAfterMs', policy: { initialMs: 1, maxMs: 10, maxAttempts: 2, maxRetryAfterMs: -5 }, message: /maxRetryAfterMs/ },
];

for (const row of BAD_POLICIES) {
  test(`a bad retry policy is refused: ${row.name}`, () => {
    assert.throws(() => checkRetryPolicy(row.policy), row.message);
    assert.throws(() => nextAttemptDelay(1, RETRYABLE, row.policy), row.message);
  });
}

test('nextAttemptDelay refuses attempt numbers below 1 or fractional', () => {
  for (const attempt of [0, -1, 1.5, Number.NaN]) assert.throws(() => nextAttemptDelay(attempt, RETRYABLE, POLICY), /attempt/);
});

const DISABLE_TABLE: Array<{ failures: number; threshold: number; expected: boolean }> = [
  { failures: 0, threshold: 5, expected: false },
  { failures: 4, threshold: 5, expected: false },
  { failures: 5, threshold: 5, expected: true },
  { failures: 6, threshold: 5, expected: true },
  { failures: 0, threshold: 1, expected: false },
  { failures: 1, threshold: 1, expected: true },
  { failures: 99, threshold: 100, expected: false },
];

for (const row of DISABLE_TABLE) {
  test(`autoDisable(${row.failures}, ${row.threshold}) is ${row.expected}`, () => {
    assert.equal(autoDisable(row.failures, row.threshold), row.expected);
  });
}

test('autoDisable defaults to 5 consecutive failures and refuses nonsense', () => {
  assert.equal(autoDisable(4), false);
  assert.equal(autoDisable(5), true);
  assert.throws(() => autoDisable(1, 0), /threshold/);
  assert.throws(() => autoDisable(1, 2.5), /threshold/);
  assert.throws(() => autoDisable(-1, 5), /consecutiveFailures/);
});

const RETRY_AFTER_TABLE: Array<{ header: string | string[] | undefined; expected: number | null }> = [
  { header: undefined, expected: null },
  { header: '', expected: null },
  { header: '0', expected: 0 },
  { header: '7', expected: 7_000 },
  { header: ' 12 ', expected: 12_000 },
  { header: '1.5', expected: 1_500 },
  { header: ['3', '9'], expected: 3_000 },
  { header: 'soon', expected: null },
  { header: '-5', expected: null },
  { header: 'Wed, 01 May 2024 12:00:30 GMT', expected: 30_000 },
  { header: 'Wed, 01 May 2024 11:59:00 GMT', expected: 0 },
];

for (const row of RETRY_AFTER_TABLE) {
  test(`parseRetryAfter(${JSON.stringify(row.header)}) = ${row.expected}`, () => {
    assert.equal(parseRetryAfter(row.header, Date.UTC(2024, 4, 1, 12)), row.expected);
  });
}

// ---------------------------------------------------------------------------------------
// deliverWithRetries over a scripted channel (no I/O).

type Step = DeliverySuccess | DeliveryError | Error;

class ScriptedChannel implements Channel {
  readonly kind = 'webhook' as const;
  readonly id = 'scripted';
  readonly attempts: DeliveryAttempt[] = [];
  constructor(private readonly steps: Step[]) {}
  async send(_n: AlertNotification, attempt: DeliveryAttempt): Promise<DeliverySuccess> {
    this.attempts.push(attempt);
    const step = this.steps[this.attempts.length - 1];
    if (step === undefined) throw new Error('script exhausted');
    if (step instanceof Error) throw step;
    return step;
  }
}

const unavailable = () => new DeliveryError('DW_DELIVERY_HTTP_STATUS', 'HTTP 503', { retryable: true, responseCode: 503 });

function harness() {
  const records: DeliveryAttemptRecord[] = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  return {
    records,
    sleeps,
    hooks: { onAttempt: (r: DeliveryAttemptRecord) => { records.push(r); } },
    options: {
      now: () => clock,
      sleep: async (ms: number) => { sleeps.push(ms); clock += ms; },
    },
  };
}

test('deliverWithRetries: fails twice, then delivers; every attempt recorded with its backoff', async () => {
  const channel = new ScriptedChannel([unavailable(), unavailable(), { responseCode: 200, detail: 'ok' }]);
  const h = harness();
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 100, maxMs: 1_000, maxAttempts: 5 }, h.hooks, h.options);
  assert.deepEqual(outcome, { status: 'delivered', attempts: 3, responseCode: 200, detail: 'ok', hookErrors: [] });
  assert.deepEqual(h.sleeps, [100, 200]);
  assert.deepEqual(channel.attempts.map((a) => a.number), [1, 2, 3]);
  assert.deepEqual(channel.attempts.map((a) => a.startedAt), [1_000_000, 1_000_100, 1_000_300], 'each attempt gets its own start time');
  assert.deepEqual(
    h.records.map((r) => [r.attempt, r.status, r.responseCode, r.errorCode, r.nextDelayMs]),
    [[1, 'retrying', 503, 'DW_DELIVERY_HTTP_STATUS', 100], [2, 'retrying', 503, 'DW_DELIVERY_HTTP_STATUS', 200], [3, 'delivered', 200, null, null]],
  );
  for (const r of h.records) {
    assert.equal(r.channelId, 'scripted');
    assert.equal(r.channelKind, 'webhook');
    assert.equal(r.idempotencyKey, sampleNotification().idempotencyKey);
  }
});

test('deliverWithRetries: a non-retryable failure ends the delivery after one attempt', async () => {
  const rejected = new DeliveryError('DW_DELIVERY_HTTP_STATUS', 'HTTP 400', { retryable: false, responseCode: 400 });
  const channel = new ScriptedChannel([rejected, { responseCode: 200, detail: 'never reached' }]);
  const h = harness();
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 100, maxMs: 1_000, maxAttempts: 5 }, h.hooks, h.options);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.attempts, 1);
  assert.equal(outcome.status === 'failed' ? outcome.error : null, rejected);
  assert.deepEqual(h.sleeps, []);
  assert.deepEqual(h.records.map((r) => [r.status, r.responseCode, r.retryable, r.error]), [['failed', 400, false, 'HTTP 400']]);
});

test('deliverWithRetries: gives up after maxAttempts, the last record says failed', async () => {
  const channel = new ScriptedChannel([unavailable(), unavailable(), unavailable(), unavailable()]);
  const h = harness();
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 10, maxMs: 15, maxAttempts: 3 }, h.hooks, h.options);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.attempts, 3);
  assert.deepEqual(h.sleeps, [10, 15]);
  assert.deepEqual(h.records.map((r) => r.status), ['retrying', 'retrying', 'failed']);
});

test('deliverWithRetries: waits what Retry-After asks', async () => {
  const limited = new DeliveryError('DW_DELIVERY_RATE_LIMITED', '429', { retryable: true, responseCode: 429, retryAfterMs: 4_000 });
  const channel = new ScriptedChannel([limited, { responseCode: 200, detail: 'ok' }]);
  const h = harness();
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 10, maxMs: 100, maxAttempts: 3 }, h.hooks, h.options);
  assert.equal(outcome.status, 'delivered');
  assert.deepEqual(h.sleeps, [4_000]);
});

test('deliverWithRetries: a sender throwing something other than DeliveryError is a bug, not retried', async () => {
  const channel = new ScriptedChannel([new TypeError('undefined is not a function'), { responseCode: 200, detail: 'ok' }]);
  const h = harness();
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 10, maxMs: 100, maxAttempts: 3 }, h.hooks, h.options);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.status === 'failed' ? outcome.error.code : null, 'DW_DELIVERY_INTERNAL');
  assert.equal(channel.attempts.length, 1);
});

test('deliverWithRetries: a throwing hook neither fails nor repeats a sent message', async () => {
  const channel = new ScriptedChannel([{ responseCode: 200, detail: 'ok' }, { responseCode: 200, detail: 'duplicate!' }]);
  const hookError = new Error('ClickHouse down');
  const outcome = await deliverWithRetries(
    channel, sampleNotification(), { initialMs: 10, maxMs: 100, maxAttempts: 3 },
    { onAttempt: async () => { throw hookError; } },
    { sleep: async () => {} },
  );
  assert.equal(outcome.status, 'delivered');
  assert.equal(channel.attempts.length, 1);
  assert.deepEqual(outcome.hookErrors, [hookError]);
});

test('deliverWithRetries: an abort during the wait stops the delivery', async () => {
  const controller = new AbortController();
  const channel = new ScriptedChannel([unavailable(), { responseCode: 200, detail: 'ok' }]);
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 60_000, maxMs: 60_000, maxAttempts: 3 }, {}, {
    signal: controller.signal,
    sleep: (ms, signal) => new Promise((_resolve, reject) => {
      assert.equal(ms, 60_000);
      signal?.addEventListener('abort', () => reject(signal.reason));
      controller.abort(new Error('shutting down'));
    }),
  });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.status === 'failed' ? outcome.error.code : null, 'DW_DELIVERY_ABORTED');
  assert.equal(channel.attempts.length, 1);
});

test('deliverWithRetries: the default sleep is a real timer that an abort cuts short', async () => {
  const controller = new AbortController();
  const channel = new ScriptedChannel([unavailable(), { responseCode: 200, detail: 'ok' }]);
  const started = Date.now();
  setTimeout(() => controller.abort(), 50);
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 600_000, maxMs: 600_000, maxAttempts: 2 }, {}, { signal: controller.signal });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.status === 'failed' ? outcome.error.code : null, 'DW_DELIVERY_ABORTED');
  assert.ok(Date.now() - started < 60_000, 'did not wait the 10 minute backoff');
});

test('deliverWithRetries: an already aborted signal sends nothing', async () => {
  const channel = new ScriptedChannel([{ responseCode: 200, detail: 'ok' }]);
  const outcome = await deliverWithRetries(channel, sampleNotification(), { initialMs: 1, maxMs: 1, maxAttempts: 1 }, {}, { signal: AbortSignal.abort() });
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.attempts, 0);
  assert.equal(channel.attempts.length, 0);
});

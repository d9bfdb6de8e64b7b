// alerting/render/webhook.ts: HMAC-SHA256 signatures against vectors computed outside
// Node, verification as a table of good and bad deliveries, and the v1 body as a golden
// document (field names and order are a contract with receivers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertNotification } from '../../alerting/notification.js';
import {
  IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signWebhook, verifyWebhookSignature, webhookBody, webhookHeaders, webhookPayload,
  webhookRequest, webhookSignatureHeader,
} from '../../alerting/render/webhook.js';
import { may2024Notification } from '../helpers/notification.js';

const notification = (overrides: Partial<AlertNotification> = {}): AlertNotification => may2024Notification({
  segment: { name: 'country', value: 'DE' },
  items: [{ column: 'age', metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: { ks_p_value: 1e-7, note: 'x' } }],
  annotations: { summary: 'drift', description: 'age drifted', runbookUrl: null },
  firingSince: Date.UTC(2024, 4, 1, 11),
  ...overrides,
});

const VECTOR_BODY = '{"version":1,"kind":"firing","idempotency_key":"k-1"}';

// Expected hex computed outside Node, e.g.
//   printf '%s' '1714564800.{"version":1,"kind":"firing","idempotency_key":"k-1"}' | openssl dgst -sha256 -hmac 'whsec_test_secret'
//   python3 -c 'import hmac,hashlib; print(hmac.new(b"rotated-secret-2", b"1714564800." + BODY, hashlib.sha256).hexdigest())'
//   python3 -c 'import hmac,hashlib; print(hmac.new("sécret".encode(), b"0." + "{\"model\":\"Grüße 中文 😀\"}".encode(), hashlib.sha256).hexdigest())'
const SIGNATURE_VECTORS: Array<{ name: string; secret: string; timestamp: number; body: string; hex: string }> = [
  { name: 'ASCII body', secret: 'whsec_test_secret', timestamp: 1714564800, body: VECTOR_BODY, hex: 'c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66' },
  { name: 'second secret', secret: 'rotated-secret-2', timestamp: 1714564800, body: VECTOR_BODY, hex: 'a0bfec5875023fbb9965232f3e3d1dbd059cfb3684c991fbada1b46bda7a3e27' },
  { name: 'UTF-8 secret and body, timestamp 0', secret: 'sécret', timestamp: 0, body: '{"model":"Grüße 中文 😀"}', hex: 'd6de11de55589032f0341e04f9dc87b0ec3b714327c3378a66638d708d28fc61' },
];

for (const v of SIGNATURE_VECTORS) {
  test(`signWebhook matches the independent HMAC: ${v.name}`, () => {
    assert.equal(signWebhook(v.secret, v.timestamp, v.body), v.hex);
    assert.equal(signWebhook(v.secret, v.timestamp, new TextEncoder().encode(v.body)), v.hex, 'bytes sign like the string');
  });
}

test('the signature header: t then one v1 per secret', () => {
  assert.equal(
    webhookSignatureHeader('whsec_test_secret', 1714564800, VECTOR_BODY),
    't=1714564800,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66',
  );
  assert.equal(
    webhookSignatureHeader(['whsec_test_secret', 'rotated-secret-2'], 1714564800, VECTOR_BODY),
    't=1714564800,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66,v1=a0bfec5875023fbb9965232f3e3d1dbd059cfb3684c991fbada1b46bda7a3e27',
  );
  assert.deepEqual(webhookHeaders({ secret: 'whsec_test_secret', timestampSeconds: 1714564800, body: VECTOR_BODY, idempotencyKey: 'k-1' }), {
    'Content-Type': 'application/json',
    'X-Driftwatch-Signature': 't=1714564800,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66',
    'X-Driftwatch-Idempotency-Key': 'k-1',
  });
});

const GOOD = 't=1714564800,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66';
const NOW = 1714564800;

const VERIFY_CASES: Array<{ name: string; secret?: string; header: string | undefined; body?: string; now?: number; tolerance?: number; result: string }> = [
  { name: 'valid', header: GOOD, result: 'ok' },
  { name: 'valid, spaces after commas', header: 't=1714564800, v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66', result: 'ok' },
  { name: 'valid, upper-case hex', header: GOOD.replace(/v1=(\w+)/, (_, h: string) => `v1=${h.toUpperCase()}`), result: 'ok' },
  { name: 'valid, second of two v1 (rotation)', header: `t=1714564800,v1=${'0'.repeat(64)},v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66`, result: 'ok' },
  { name: 'valid, unknown future scheme ignored', header: `${GOOD},v2=abc`, result: 'ok' },
  { name: 'rotated secret verifies its own v1', secret: 'rotated-secret-2', header: 't=1714564800,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66,v1=a0bfec5875023fbb9965232f3e3d1dbd059cfb3684c991fbada1b46bda7a3e27', result: 'ok' },
  { name: 'exactly at the tolerance', header: GOOD, now: NOW + 300, result: 'ok' },
  { name: 'clock skew: receiver behind', header: GOOD, now: NOW - 300, result: 'ok' },
  { name: 'replayed later', header: GOOD, now: NOW + 301, result: 'timestamp_out_of_tolerance' },
  { name: 'from the future', header: GOOD, now: NOW - 301, result: 'timestamp_out_of_tolerance' },
  { name: 'custom tolerance', header: GOOD, now: NOW + 61, tolerance: 60, result: 'timestamp_out_of_tolerance' },
  { name: 'body changed', header: GOOD, body: VECTOR_BODY.replace('firing', 'resolved'), result: 'signature_mismatch' },
  { name: 'body with trailing newline', header: GOOD, body: `${VECTOR_BODY}\n`, result: 'signature_mismatch' },
  { name: 'wrong secret', secret: 'other', header: GOOD, result: 'signature_mismatch' },
  { name: 'timestamp changed (signature binds it)', header: GOOD.replace('t=1714564800', 't=1714564801'), result: 'signature_mismatch' },
  { name: 'no header', header: undefined, result: 'malformed_header' },
  { name: 'empty header', header: '', result: 'malformed_header' },
  { name: 'no timestamp', header: 'v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66', result: 'malformed_header' },
  { name: 'no signature', header: 't=1714564800', result: 'malformed_header' },
  { name: 'timestamp not digits', header: 't=17145648e2,v1=c12ae8055895f5a4b629024bb2fb7c6e3a45dfa1c6d7dbd4caac5cc6ad05bd66', result: 'malformed_header' },
  { name: 'two timestamps', header: `t=1,${GOOD}`, result: 'malformed_header' },
  { name: 'short signature', header: 't=1714564800,v1=c12ae805', result: 'malformed_header' },
  { name: 'non-hex signature', header: `t=1714564800,v1=${'z'.repeat(64)}`, result: 'malformed_header' },
  { name: 'part without =', header: `${GOOD},garbage`, result: 'malformed_header' },
];

for (const c of VERIFY_CASES) {
  test(`verifyWebhookSignature: ${c.name}`, () => {
    const result = verifyWebhookSignature(c.secret ?? 'whsec_test_secret', c.header, c.body ?? VECTOR_BODY, c.now ?? NOW, c.tolerance);
    assert.equal(result.ok ? 'ok' : result.reason, c.result);
    if (result.ok) assert.equal(result.timestampSeconds, NOW);
  });
}

test('bad secrets and timestamps are errors, not silent signatures', () => {
  assert.throws(() => signWebhook('', 1, 'x'), RangeError);
  assert.throws(() => signWebhook('s', -1, 'x'), RangeError);
  assert.throws(() => signWebhook('s', 1.5, 'x'), RangeError);
  assert.throws(() => webhookSignatureHeader([], 1, 'x'), RangeError);
  assert.throws(() => verifyWebhookSignature('', GOOD, VECTOR_BODY, NOW), RangeError);
});

test('the v1 body, field by field and in order', () => {
  assert.equal(webhookBody(notification()), JSON.stringify({
    version: 1,
    kind: 'firing',
    idempotency_key: 'grp-1:firing:1714568400000',
    rule: { id: 'r-1', name: 'any-feature-drifts' },
    severity: 'critical',
    model: { id: 'fraud', version: 'v3' },
    monitor_id: 'fraud-default',
    segment: { name: 'country', value: 'DE' },
    window: { start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T13:00:00.000Z' },
    reference: { kind: 'fixed', description: 'training set' },
    items: [{ column: 'age', metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: { ks_p_value: 1e-7, note: 'x' } }],
    labels: { team: 'risk' },
    annotations: { summary: 'drift', description: 'age drifted', runbook_url: null },
    link: 'https://driftwatch.example.com/m/fraud',
    firing_since: '2024-05-01T11:00:00.000Z',
    created_at: '2024-05-01T13:05:00.000Z',
  }));
});

test('the body: nulls, non-finite numbers, and hostile text survive as data', () => {
  const hostile = '"},"kind":"resolved","x":{"';
  const payload = webhookPayload(notification({
    modelVersion: null,
    segment: null,
    firingSince: null,
    modelId: hostile,
    items: [{ column: null, metric: 'accuracy', value: Number.NaN, operator: '<', threshold: 0.8, details: { psi: Number.POSITIVE_INFINITY } }],
  }));
  assert.equal(payload.model.version, null);
  assert.equal(payload.segment, null);
  assert.equal(payload.firing_since, null);
  assert.equal(payload.items[0]!.value, null);
  assert.equal(payload.items[0]!.details.psi, null);
  const parsed = JSON.parse(webhookBody(notification({ modelId: hostile }))) as { model: { id: string }; kind: string };
  assert.equal(parsed.model.id, hostile);
  assert.equal(parsed.kind, 'firing');
});

test('webhookRequest: a receiver verifies what the sender sent', () => {
  const n = notification();
  const { body, headers } = webhookRequest(n, { secret: ['new-secret', 'old-secret'], nowSeconds: NOW });
  assert.equal(body, webhookBody(n));
  assert.equal(headers[IDEMPOTENCY_HEADER], n.idempotencyKey);
  assert.equal(headers['Content-Type'], 'application/json');
  for (const secret of ['new-secret', 'old-secret']) {
    assert.deepEqual(verifyWebhookSignature(secret, headers[SIGNATURE_HEADER], Buffer.from(body, 'utf8'), NOW + 10), { ok: true, timestampSeconds: NOW });
  }
  assert.equal(verifyWebhookSignature('third-secret', headers[SIGNATURE_HEADER], body, NOW).ok, false);
});

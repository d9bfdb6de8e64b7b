// alerting/delivery/notification-message.ts: the notifications-topic message, keyed by
// model; encode/decode round trips (string and Buffer), and every decode error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeNotificationMessage, encodeNotificationMessage, NOTIFICATION_MESSAGE_VERSION, NotificationMessageError, type NotificationMessage,
} from '../../alerting/delivery/notification-message.js';
import type { AlertNotification } from '../../alerting/notification.js';
import { may2024Notification } from '../helpers/notification.js';

const notification = (overrides: Partial<AlertNotification> = {}): AlertNotification => may2024Notification({
  modelId: 'fraud/v2',
  segment: { name: 'country', value: 'DE' },
  items: [
    { column: 'age', metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: { p_value: 0.001, reference: null, note: 'ü "quoted"\n' } },
    { column: null, metric: 'drift_share', value: null, operator: '>=', threshold: 0.5, details: {} },
  ],
  annotations: { summary: 'drift on fraud', description: '', runbookUrl: 'https://runbooks.example.com/drift' },
  firingSince: Date.UTC(2024, 4, 1, 13),
  ...overrides,
});

test('encode then decode gives the message back, keyed by model id', async (t) => {
  const rows: Array<{ name: string; message: NotificationMessage }> = [
    { name: 'with a retraining target', message: { notification: notification(), retrain: 'gh-retrain' } },
    { name: 'without one', message: { notification: notification(), retrain: null } },
    { name: 'a resolve notice with nulls', message: { notification: notification({ kind: 'resolved', modelVersion: null, segment: null, firingSince: null, items: [] }), retrain: null } },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const encoded = encodeNotificationMessage(row.message);
      assert.equal(encoded.key, row.message.notification.modelId);
      assert.equal(typeof encoded.value, 'string');
      assert.deepEqual(JSON.parse(encoded.value as string), { v: NOTIFICATION_MESSAGE_VERSION, ...row.message });
      assert.deepEqual(decodeNotificationMessage(encoded.value as string), row.message);
      assert.deepEqual(decodeNotificationMessage(Buffer.from(encoded.value as string)), row.message, 'as Kafka hands it over');
    });
  }
});

test('the message version is 1', () => assert.equal(NOTIFICATION_MESSAGE_VERSION, 1));

const VALID = { v: 1, notification: notification(), retrain: null };
const withNotification = (changes: Record<string, unknown>): string => JSON.stringify({ ...VALID, notification: { ...notification(), ...changes } });
const withoutField = (field: keyof AlertNotification): string => {
  const copy: Record<string, unknown> = { ...notification() };
  delete copy[field];
  return JSON.stringify({ ...VALID, notification: copy });
};

test('decode errors', async (t) => {
  const INCOMPLETE = 'notification is missing or incomplete';
  const RETRAIN = 'retrain must be a string or null';
  const rows: Array<{ name: string; value: Buffer | string | null; message: string | RegExp }> = [
    { name: 'null (a tombstone)', value: null, message: 'empty message' },
    { name: 'not JSON', value: 'fraud fired', message: /^not JSON: / },
    { name: 'empty', value: '', message: /^not JSON: / },
    { name: 'truncated', value: JSON.stringify(VALID).slice(0, 40), message: /^not JSON: / },
    { name: 'not JSON as a Buffer', value: Buffer.from([0xff, 0x00, 0x7b]), message: /^not JSON: / },
    { name: 'wrong version', value: JSON.stringify({ ...VALID, v: 2 }), message: 'unsupported message version 2' },
    { name: 'version as text', value: JSON.stringify({ ...VALID, v: '1' }), message: 'unsupported message version "1"' },
    { name: 'no version', value: JSON.stringify({ notification: notification(), retrain: null }), message: 'unsupported message version undefined' },
    { name: 'JSON null', value: 'null', message: 'unsupported message version undefined' },
    { name: 'JSON number', value: '1', message: 'unsupported message version undefined' },
    { name: 'JSON array', value: '[1]', message: 'unsupported message version undefined' },
    { name: 'no notification', value: JSON.stringify({ v: 1, retrain: null }), message: INCOMPLETE },
    { name: 'notification null', value: JSON.stringify({ v: 1, notification: null, retrain: null }), message: INCOMPLETE },
    { name: 'notification as text', value: JSON.stringify({ v: 1, notification: 'fraud', retrain: null }), message: INCOMPLETE },
    { name: 'no idempotencyKey', value: withoutField('idempotencyKey'), message: INCOMPLETE },
    { name: 'idempotencyKey a number', value: withNotification({ idempotencyKey: 7 }), message: INCOMPLETE },
    { name: 'no modelId', value: withoutField('modelId'), message: INCOMPLETE },
    { name: 'modelId null', value: withNotification({ modelId: null }), message: INCOMPLETE },
    { name: 'no kind', value: withoutField('kind'), message: INCOMPLETE },
    { name: 'no items', value: withoutField('items'), message: INCOMPLETE },
    { name: 'items an object', value: withNotification({ items: {} }), message: INCOMPLETE },
    { name: 'unknown kind', value: withNotification({ kind: 'fired' }), message: INCOMPLETE },
    { name: 'no severity', value: withoutField('severity'), message: INCOMPLETE },
    { name: 'unknown severity', value: withNotification({ severity: 'urgent' }), message: INCOMPLETE },
    { name: 'no window', value: withoutField('window'), message: INCOMPLETE },
    { name: 'window end not a number', value: withNotification({ window: { start: 0, end: '2026-11-27' } }), message: INCOMPLETE },
    { name: 'retrain a number', value: JSON.stringify({ ...VALID, retrain: 1 }), message: RETRAIN },
    { name: 'retrain an object', value: JSON.stringify({ ...VALID, retrain: { id: 'gh' } }), message: RETRAIN },
    { name: 'retrain missing', value: JSON.stringify({ v: 1, notification: notification() }), message: RETRAIN },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      assert.throws(() => decodeNotificationMessage(row.value), (error: unknown) => {
        assert.ok(error instanceof NotificationMessageError, `expected NotificationMessageError, got ${String(error)}`);
        assert.equal(error.name, 'NotificationMessageError');
        if (typeof row.message === 'string') assert.equal(error.message, row.message);
        else assert.match(error.message, row.message);
        return true;
      });
    });
  }
});

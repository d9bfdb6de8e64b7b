/**
 * What the evaluator puts on the notifications topic for the dispatchers: one unmuted
 * alert event, keyed by model so one model's notifications go out in order.
 */
import type { AlertNotification } from '../notification.js';
import type { OutgoingMessage } from '../../messaging/kafka.js';

export const NOTIFICATION_MESSAGE_VERSION = 1;

const KINDS: ReadonlySet<string> = new Set(['firing', 'repeat', 'resolved']);
const SEVERITIES: ReadonlySet<string> = new Set(['info', 'warning', 'critical']);

export interface NotificationMessage {
  notification: AlertNotification;
  /** The rule's retraining target when it fired; null otherwise. */
  retrain: string | null;
}

export class NotificationMessageError extends Error {
  override readonly name = 'NotificationMessageError';
}

export function encodeNotificationMessage(message: NotificationMessage): OutgoingMessage {
  return {
    key: message.notification.modelId,
    value: JSON.stringify({ v: NOTIFICATION_MESSAGE_VERSION, notification: message.notification, retrain: message.retrain }),
  };
}

export function decodeNotificationMessage(value: Buffer | string | null): NotificationMessage {
  if (value === null) throw new NotificationMessageError('empty message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (error) {
    throw new NotificationMessageError(`not JSON: ${(error as Error).message}`);
  }
  const record = parsed as { v?: unknown; notification?: Partial<AlertNotification>; retrain?: unknown };
  if (record === null || typeof record !== 'object' || record.v !== NOTIFICATION_MESSAGE_VERSION) {
    throw new NotificationMessageError(`unsupported message version ${JSON.stringify(record?.v)}`);
  }
  const n = record.notification;
  // Routing reads the severity and kind, the latency the window: a message without them would match nobody, silently.
  if (n === undefined || n === null || typeof n !== 'object' || typeof n.idempotencyKey !== 'string' || typeof n.modelId !== 'string'
    || !KINDS.has(String(n.kind)) || !SEVERITIES.has(String(n.severity)) || !Array.isArray(n.items)
    || typeof n.window !== 'object' || n.window === null || typeof n.window.end !== 'number') {
    throw new NotificationMessageError('notification is missing or incomplete');
  }
  if (record.retrain !== null && typeof record.retrain !== 'string') throw new NotificationMessageError('retrain must be a string or null');
  return { notification: n as AlertNotification, retrain: record.retrain };
}

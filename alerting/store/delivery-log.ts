/**
 * The delivery log (alert_deliveries): every attempt at sending a notification to a
 * channel. A (notification, channel) delivery is finished once it has a `delivered` or
 * `failed` row; the dispatcher never sends a finished delivery again, which is what keeps
 * a redelivered Kafka message or a restart from notifying twice.
 */
import type { DeliveryAttemptRecord } from '../channels/deliver.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export type DeliveryStatus = 'delivered' | 'retrying' | 'failed' | 'skipped';

export interface DeliveryLogEntry {
  idempotencyKey: string;
  channelId: string;
  channelKind: string;
  subscriptionIds: string[];
  modelId: string;
  notificationKind: string;
  attempt: number;
  status: DeliveryStatus;
  responseCode: number | null;
  detail: string;
  errorCode: string;
  error: string;
  startedMs: number;
  durationMs: number;
  instance: string;
}

export function entryFromAttempt(
  record: DeliveryAttemptRecord,
  context: { subscriptionIds: string[]; modelId: string; notificationKind: string; instance: string; attemptOffset: number },
): DeliveryLogEntry {
  return {
    idempotencyKey: record.idempotencyKey,
    channelId: record.channelId,
    channelKind: record.channelKind,
    subscriptionIds: context.subscriptionIds,
    modelId: context.modelId,
    notificationKind: context.notificationKind,
    attempt: record.attempt + context.attemptOffset,
    status: record.status,
    responseCode: record.responseCode,
    detail: record.detail ?? '',
    errorCode: record.errorCode ?? '',
    error: record.error ?? '',
    startedMs: record.startedAt,
    durationMs: record.durationMs,
    instance: context.instance,
  };
}

export async function logDeliveries(client: ClickHouseClient, entries: readonly DeliveryLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await client.insert({
    table: 'alert_deliveries',
    format: 'JSONEachRow',
    columns: [
      'idempotency_key', 'channel_id', 'channel_kind', 'subscription_ids', 'model_id', 'notification_kind', 'attempt', 'status',
      'response_code', 'detail', 'error_code', 'error', 'started', 'started_ms', 'duration_ms', 'instance',
    ],
    values: entries.map((entry) => ({
      idempotency_key: entry.idempotencyKey,
      channel_id: entry.channelId,
      channel_kind: entry.channelKind,
      subscription_ids: entry.subscriptionIds.join(','),
      model_id: entry.modelId,
      notification_kind: entry.notificationKind,
      attempt: entry.attempt,
      status: entry.status,
      response_code: entry.responseCode ?? -1,
      detail: entry.detail,
      error_code: entry.errorCode,
      error: entry.error,
      started: Math.floor(entry.startedMs / 1000),
      started_ms: entry.startedMs,
      duration_ms: Math.min(Math.max(0, Math.round(entry.durationMs)), 4_294_967_295),
      instance: entry.instance,
    })),
  });
}

export interface DeliveryProgress {
  /** A delivered or failed row exists. */
  finished: boolean;
  /** Attempts already made (a restart continues the count). */
  attempts: number;
}

/** Progress of the deliveries of one notification, by channel id. */
export async function deliveryProgress(client: ClickHouseClient, idempotencyKey: string): Promise<Map<string, DeliveryProgress>> {
  const rows = await queryRows<{ channel_id: string; finished: string | number; attempts: string | number }>(
    client,
    sql`SELECT channel_id, countIf(status IN ('delivered', 'failed')) > 0 AS finished, max(attempt) AS attempts
        FROM alert_deliveries WHERE idempotency_key = ${idempotencyKey} GROUP BY channel_id`,
  );
  return new Map(rows.map((row) => [row.channel_id, { finished: Number(row.finished) === 1, attempts: Number(row.attempts) }]));
}

export interface DeliveryFilter {
  channelId?: string;
  idempotencyKey?: string;
  modelId?: string;
  status?: DeliveryStatus;
  /** Epoch ms, [from, to). */
  from?: number;
  to?: number;
  limit: number;
}

interface DeliveryRow {
  idempotency_key: string; channel_id: string; channel_kind: string; subscription_ids: string; model_id: string; notification_kind: string;
  attempt: string | number; status: DeliveryStatus; response_code: string | number; detail: string; error_code: string; error: string;
  started_ms: string; duration_ms: string | number; instance: string;
}

/** Newest attempts first. */
export async function listDeliveries(client: ClickHouseClient, filter: DeliveryFilter): Promise<DeliveryLogEntry[]> {
  const parts = ['1'];
  if (filter.channelId !== undefined) parts.push(sql`channel_id = ${filter.channelId}`);
  if (filter.idempotencyKey !== undefined) parts.push(sql`idempotency_key = ${filter.idempotencyKey}`);
  if (filter.modelId !== undefined) parts.push(sql`model_id = ${filter.modelId}`);
  if (filter.status !== undefined) parts.push(sql`status = ${filter.status}`);
  if (filter.from !== undefined) parts.push(sql`started_ms >= ${filter.from}`);
  if (filter.to !== undefined) parts.push(sql`started_ms < ${filter.to}`);
  const rows = await queryRows<DeliveryRow>(
    client,
    `SELECT idempotency_key, channel_id, channel_kind, subscription_ids, model_id, notification_kind, attempt, status, response_code,
            detail, error_code, error, started_ms, duration_ms, instance
     FROM alert_deliveries WHERE ${parts.join(' AND ')} ORDER BY started_ms DESC, attempt DESC LIMIT ${sql`${filter.limit}`}`,
  );
  return rows.map((row) => ({
    idempotencyKey: row.idempotency_key,
    channelId: row.channel_id,
    channelKind: row.channel_kind,
    subscriptionIds: row.subscription_ids === '' ? [] : row.subscription_ids.split(','),
    modelId: row.model_id,
    notificationKind: row.notification_kind,
    attempt: Number(row.attempt),
    status: row.status,
    responseCode: Number(row.response_code) < 0 ? null : Number(row.response_code),
    detail: row.detail,
    errorCode: row.error_code,
    error: row.error,
    startedMs: Number(row.started_ms),
    durationMs: Number(row.duration_ms),
    instance: row.instance,
  }));
}

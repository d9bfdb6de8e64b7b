/**
 * Alert history (alert_events): one row per notification, muted ones included (flagged,
 * with the reason). The idempotency key is the row's identity: a replayed evaluation writes
 * the same key again and ReplacingMergeTree keeps one row; readers use FINAL.
 */
import type { AlertNotification, NotificationKind, Severity } from '../notification.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export interface AlertEvent {
  idempotencyKey: string;
  notification: AlertNotification;
  muted: boolean;
  /** Why the items were muted (silence ids, inhibition); '' when delivered. */
  muteReason: string;
}

export async function insertEvents(client: ClickHouseClient, events: readonly AlertEvent[]): Promise<void> {
  if (events.length === 0) return;
  await client.insert({
    table: 'alert_events',
    format: 'JSONEachRow',
    columns: ['idempotency_key', 'rule_id', 'model_id', 'model_version', 'monitor_id', 'segment', 'severity', 'kind', 'window_start', 'window_end', 'notification', 'muted', 'mute_reason', 'created_ms'],
    values: events.map(({ idempotencyKey, notification: n, muted, muteReason }) => ({
      idempotency_key: idempotencyKey,
      rule_id: n.ruleId,
      model_id: n.modelId,
      model_version: n.modelVersion ?? '',
      monitor_id: n.monitorId,
      segment: n.segment === null ? '' : `${n.segment.name}=${n.segment.value}`,
      severity: n.severity,
      kind: n.kind,
      window_start: Math.floor(n.window.start / 1000),
      window_end: Math.floor(n.window.end / 1000),
      notification: JSON.stringify(n),
      muted: muted ? 1 : 0,
      mute_reason: muteReason,
      created_ms: n.createdAt,
    })),
  });
}

export interface EventFilter {
  kinds?: readonly NotificationKind[];
  modelId?: string;
  ruleId?: string;
  severity?: Severity;
  /** undefined: both. */
  muted?: boolean;
  /** Epoch ms on window_start, [from, to). */
  from?: number;
  to?: number;
  limit: number;
}

interface EventRow {
  idempotency_key: string;
  notification: string;
  muted: number | string;
  mute_reason: string;
}

/** Newest windows first (then newest created). */
export async function listEvents(client: ClickHouseClient, filter: EventFilter): Promise<AlertEvent[]> {
  const parts: string[] = ['1'];
  if (filter.kinds !== undefined) parts.push(filter.kinds.length === 0 ? '0' : `kind IN (${filter.kinds.map((kind) => sql`${kind}`).join(', ')})`);
  if (filter.modelId !== undefined) parts.push(sql`model_id = ${filter.modelId}`);
  if (filter.ruleId !== undefined) parts.push(sql`rule_id = ${filter.ruleId}`);
  if (filter.severity !== undefined) parts.push(sql`severity = ${filter.severity}`);
  if (filter.muted !== undefined) parts.push(sql`muted = ${filter.muted ? 1 : 0}`);
  if (filter.from !== undefined) parts.push(sql`window_start >= toDateTime(${Math.floor(filter.from / 1000)})`);
  if (filter.to !== undefined) parts.push(sql`window_start < toDateTime(${Math.ceil(filter.to / 1000)})`);
  const rows = await queryRows<EventRow>(
    client,
    `SELECT idempotency_key, notification, muted, mute_reason FROM alert_events FINAL WHERE ${parts.join(' AND ')}
     ORDER BY window_start DESC, created_ms DESC, idempotency_key LIMIT ${sql`${filter.limit}`}`,
  );
  return rows.map((row) => ({
    idempotencyKey: row.idempotency_key,
    notification: JSON.parse(row.notification) as AlertNotification,
    muted: Number(row.muted) === 1,
    muteReason: row.mute_reason,
  }));
}

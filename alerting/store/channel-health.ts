/**
 * Channel health (channel_health): consecutive failed deliveries per channel and whether
 * they disabled it. Auto-disable stops a broken receiver from being hammered (and from
 * holding up the queue); the API shows why and re-enables it.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { nextVersionMs } from '../../storage/versioned-table.js';

export interface ChannelHealth {
  channelId: string;
  consecutiveFailures: number;
  disabled: boolean;
  reason: string;
  updatedMs: number;
}

interface HealthRow { channel_id: string; failures: string | number; is_disabled: string | number; last_reason: string; latest_ms: string }

const LATEST = `SELECT channel_id, argMax(consecutive_failures, updated_ms) AS failures, argMax(disabled, updated_ms) AS is_disabled,
  argMax(reason, updated_ms) AS last_reason, max(updated_ms) AS latest_ms FROM channel_health`;

const healthy = (channelId: string): ChannelHealth => ({ channelId, consecutiveFailures: 0, disabled: false, reason: '', updatedMs: 0 });

function fromRow(row: HealthRow): ChannelHealth {
  return {
    channelId: row.channel_id,
    consecutiveFailures: Number(row.failures),
    disabled: Number(row.is_disabled) === 1,
    reason: row.last_reason,
    updatedMs: Number(row.latest_ms),
  };
}

export async function getChannelHealth(client: ClickHouseClient, channelId: string): Promise<ChannelHealth> {
  const [row] = await queryRows<HealthRow>(client, `${LATEST}${sql` WHERE channel_id = ${channelId}`} GROUP BY channel_id`);
  return row === undefined ? healthy(channelId) : fromRow(row);
}

export async function listChannelHealth(client: ClickHouseClient): Promise<Map<string, ChannelHealth>> {
  const rows = await queryRows<HealthRow>(client, `${LATEST} GROUP BY channel_id`);
  return new Map(rows.map((row) => [row.channel_id, fromRow(row)]));
}

export async function writeChannelHealth(client: ClickHouseClient, health: Omit<ChannelHealth, 'updatedMs'>, nowMs: number): Promise<ChannelHealth> {
  const updatedMs = await nextVersionMs(client, 'channel_health', 'channel_id', health.channelId, nowMs);
  await client.insert({
    table: 'channel_health',
    format: 'JSONEachRow',
    columns: ['channel_id', 'consecutive_failures', 'disabled', 'reason', 'updated_ms'],
    values: [{ channel_id: health.channelId, consecutive_failures: health.consecutiveFailures, disabled: health.disabled ? 1 : 0, reason: health.reason, updated_ms: updatedMs }],
  });
  return { ...health, updatedMs };
}

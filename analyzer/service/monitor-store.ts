/**
 * Monitors live in ClickHouse (one row per version of a definition, the newest wins), so
 * every instance sees the same set: those created through the API, those declared in the
 * config file (written at start-up), and the default monitor of each newly seen model.
 */
import { monitorToJson, parseMonitor, type Monitor } from '../monitors/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export type MonitorSource = 'api' | 'config' | 'default';

export interface StoredMonitor {
  monitor: Monitor;
  source: MonitorSource;
  updatedMs: number;
}

interface MonitorRow {
  monitor_id: string;
  latest_source: MonitorSource;
  latest_definition: string;
  is_deleted: number | string;
  latest_ms: string;
}

const LATEST = `SELECT monitor_id, argMax(source, updated_ms) AS latest_source, argMax(definition, updated_ms) AS latest_definition,
  argMax(deleted, updated_ms) AS is_deleted, max(updated_ms) AS latest_ms FROM monitors`;

function fromRow(row: MonitorRow): StoredMonitor | null {
  if (Number(row.is_deleted) === 1) return null;
  // Stored definitions were validated when written; a definition an older release wrote
  // that no longer parses is skipped rather than stopping every other monitor.
  try {
    return { monitor: parseMonitor(JSON.parse(row.latest_definition)), source: row.latest_source, updatedMs: Number(row.latest_ms) };
  } catch {
    return null;
  }
}

export async function listMonitors(client: ClickHouseClient, modelId?: string): Promise<StoredMonitor[]> {
  const where = modelId === undefined ? '' : sql` WHERE model_id = ${modelId}`;
  const rows = await queryRows<MonitorRow>(client, `${LATEST}${where} GROUP BY monitor_id ORDER BY monitor_id`);
  return rows.map(fromRow).filter((stored): stored is StoredMonitor => stored !== null);
}

export async function getMonitor(client: ClickHouseClient, monitorId: string): Promise<StoredMonitor | null> {
  const rows = await queryRows<MonitorRow>(client, `${LATEST}${sql` WHERE monitor_id = ${monitorId}`} GROUP BY monitor_id`);
  return rows[0] ? fromRow(rows[0]) : null;
}

async function writeRow(client: ClickHouseClient, monitorId: string, modelId: string, source: MonitorSource, definition: string, deleted: boolean, nowMs: number): Promise<number> {
  // Versions must grow even if two writes share a millisecond or the clock steps back.
  const [latest] = await queryRows<{ v: string }>(client, sql`SELECT max(updated_ms) AS v FROM monitors WHERE monitor_id = ${monitorId}`);
  const updatedMs = Math.max(nowMs, Number(latest?.v ?? 0) + 1);
  await client.insert({
    table: 'monitors',
    format: 'JSONEachRow',
    columns: ['monitor_id', 'model_id', 'source', 'definition', 'deleted', 'updated_ms'],
    values: [{ monitor_id: monitorId, model_id: modelId, source, definition, deleted: deleted ? 1 : 0, updated_ms: updatedMs }],
  });
  return updatedMs;
}

export async function saveMonitor(client: ClickHouseClient, monitor: Monitor, source: MonitorSource, nowMs = Date.now()): Promise<StoredMonitor> {
  const updatedMs = await writeRow(client, monitor.id, monitor.modelId, source, JSON.stringify(monitorToJson(monitor)), false, nowMs);
  return { monitor, source, updatedMs };
}

export async function deleteMonitor(client: ClickHouseClient, monitor: Monitor, nowMs = Date.now()): Promise<void> {
  await writeRow(client, monitor.id, monitor.modelId, 'api', '{}', true, nowMs);
}

/**
 * Monitors as code: writes config-file monitors whose stored definition differs (or is
 * missing), and deletes monitors that came from the config file but are no longer in it.
 */
export async function syncConfigMonitors(client: ClickHouseClient, monitors: readonly Monitor[], nowMs = Date.now()): Promise<{ written: number; deleted: number }> {
  let written = 0;
  let deleted = 0;
  const declared = new Set(monitors.map((monitor) => monitor.id));
  for (const stored of await listMonitors(client)) {
    if (stored.source === 'config' && !declared.has(stored.monitor.id)) {
      await deleteMonitor(client, stored.monitor, nowMs);
      deleted++;
    }
  }
  for (const monitor of monitors) {
    const stored = await getMonitor(client, monitor.id);
    if (stored !== null && stored.source === 'config' && JSON.stringify(monitorToJson(stored.monitor)) === JSON.stringify(monitorToJson(monitor))) continue;
    await saveMonitor(client, monitor, 'config', nowMs);
    written++;
  }
  return { written, deleted };
}

/** Models with predictions that have no monitor at all (not even a deleted one). */
export async function modelsWithoutMonitor(client: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ model_id: string }>(
    client,
    `SELECT DISTINCT model_id FROM predictions WHERE model_id NOT IN (SELECT model_id FROM monitors) ORDER BY model_id`,
  );
  return rows.map((row) => row.model_id);
}

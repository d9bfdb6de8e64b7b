/**
 * Monitors live in ClickHouse (one row per version of a definition, the newest wins), so
 * every instance sees the same set: those created through the API, those declared in the
 * config file (written at start-up), and the default monitor of each newly seen model.
 */
import { monitorToJson, parseMonitor, type Monitor } from '../monitors/index.js';
import { syncDeclared } from '../../storage/declared-definitions.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { latestVersion, latestVersions, writeVersion, type LatestVersion, type VersionedTable } from '../../storage/versioned-table.js';

export type MonitorSource = 'api' | 'config' | 'default';

export interface StoredMonitor {
  monitor: Monitor;
  source: MonitorSource;
  updatedMs: number;
}

const MONITORS: VersionedTable = { table: 'monitors', id: 'monitor_id', hasSource: true };

function fromVersion(version: LatestVersion): StoredMonitor | null {
  // Stored definitions were validated when written; a definition an older release wrote
  // that no longer parses is skipped rather than stopping every other monitor.
  try {
    return { monitor: parseMonitor(JSON.parse(version.definition)), source: version.source as MonitorSource, updatedMs: version.updatedMs };
  } catch {
    return null;
  }
}

export async function listMonitors(client: ClickHouseClient, modelId?: string): Promise<StoredMonitor[]> {
  const versions = await latestVersions(client, MONITORS, modelId === undefined ? '1' : sql`model_id = ${modelId}`);
  return versions.map(fromVersion).filter((stored): stored is StoredMonitor => stored !== null);
}

export async function getMonitor(client: ClickHouseClient, monitorId: string): Promise<StoredMonitor | null> {
  const version = await latestVersion(client, MONITORS, monitorId);
  return version === null ? null : fromVersion(version);
}

export async function saveMonitor(client: ClickHouseClient, monitor: Monitor, source: MonitorSource, nowMs = Date.now()): Promise<StoredMonitor> {
  const updatedMs = await writeVersion(client, MONITORS, monitor.id, {
    source, definition: JSON.stringify(monitorToJson(monitor)), deleted: false, columns: { model_id: monitor.modelId },
  }, nowMs);
  return { monitor, source, updatedMs };
}

export async function deleteMonitor(client: ClickHouseClient, monitor: Monitor, nowMs = Date.now()): Promise<void> {
  await writeVersion(client, MONITORS, monitor.id, { source: 'api', definition: '{}', deleted: true, columns: { model_id: monitor.modelId } }, nowMs);
}

/**
 * Monitors as code: writes config-file monitors whose stored definition differs (or is
 * missing), and deletes monitors that came from the config file but are no longer in it.
 */
export async function syncConfigMonitors(client: ClickHouseClient, monitors: readonly Monitor[], nowMs = Date.now()): Promise<{ written: number; deleted: number }> {
  return syncDeclared({
    declared: monitors,
    stored: (await listMonitors(client)).map((entry) => ({ item: entry.monitor, source: entry.source })),
    id: (monitor) => monitor.id,
    toJson: monitorToJson,
    save: (monitor) => saveMonitor(client, monitor, 'config', nowMs),
    remove: (monitor) => deleteMonitor(client, monitor, nowMs),
  });
}

/** Models with predictions that have no monitor at all (not even a deleted one). */
export async function modelsWithoutMonitor(client: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ model_id: string }>(
    client,
    `SELECT DISTINCT model_id FROM predictions WHERE model_id NOT IN (SELECT model_id FROM monitors) ORDER BY model_id`,
  );
  return rows.map((row) => row.model_id);
}

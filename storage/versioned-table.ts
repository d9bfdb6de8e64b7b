/**
 * Definitions that users edit (monitors, rules, silences, channels, subscriptions,
 * retraining targets) live in ReplacingMergeTree tables with one row per version: the
 * newest by `updated_ms` wins, `deleted = 1` removes it. Reads use argMax, which is right
 * before and after merges; a version's `updated_ms` grows past the stored one even if two
 * writes share a millisecond or the clock steps back.
 */
import { queryRows, type ClickHouseClient } from './clickhouse.js';
import { identifier, sql } from './sql.js';

export interface VersionedTable {
  table: string;
  /** The id column. */
  id: string;
  /** Columns with a fixed value for this kind of definition (alerting_definitions.kind): filtered on read, written on write. */
  scope?: Readonly<Record<string, string>>;
  /** The table has a `source` column (api, config, default). */
  hasSource: boolean;
}

export interface LatestVersion {
  id: string;
  /** '' when the table has no source column. */
  source: string;
  /** The stored JSON text. */
  definition: string;
  updatedMs: number;
}

interface LatestRow {
  id: string;
  latest_source: string;
  latest_definition: string;
  is_deleted: number | string;
  latest_ms: string;
}

function scopeCondition(spec: VersionedTable): string {
  return Object.entries(spec.scope ?? {}).map(([column, value]) => sql`${identifier(column)} = ${value}`).join(' AND ') || '1';
}

/**
 * The newest version of every definition that is not deleted, by id. `where` narrows the
 * rows read (a condition on columns every version of a definition shares, e.g. model_id).
 */
export async function latestVersions(client: ClickHouseClient, spec: VersionedTable, where = '1'): Promise<LatestVersion[]> {
  const id = identifier(spec.id);
  const source = spec.hasSource ? 'argMax(source, updated_ms)' : "''";
  const rows = await queryRows<LatestRow>(
    client,
    `SELECT ${id} AS id, ${source} AS latest_source, argMax(definition, updated_ms) AS latest_definition,
            argMax(deleted, updated_ms) AS is_deleted, max(updated_ms) AS latest_ms
     FROM ${identifier(spec.table)} WHERE ${scopeCondition(spec)} AND (${where}) GROUP BY ${id} ORDER BY ${id}`,
  );
  return rows
    .filter((row) => Number(row.is_deleted) !== 1)
    .map((row) => ({ id: row.id, source: row.latest_source, definition: row.latest_definition, updatedMs: Number(row.latest_ms) }));
}

export async function latestVersion(client: ClickHouseClient, spec: VersionedTable, id: string): Promise<LatestVersion | null> {
  const [latest] = await latestVersions(client, spec, sql`${identifier(spec.id)} = ${id}`);
  return latest ?? null;
}

/** The updated_ms for a new version of `id`: now, or one past the newest stored. */
export async function nextVersionMs(client: ClickHouseClient, table: string, idColumn: string, id: string, nowMs: number, scope?: Readonly<Record<string, string>>): Promise<number> {
  const scoped = Object.entries(scope ?? {}).map(([column, value]) => sql` AND ${identifier(column)} = ${value}`).join('');
  const [newest] = await queryRows<{ v: string }>(
    client,
    `SELECT max(updated_ms) AS v FROM ${identifier(table)} WHERE ${sql`${identifier(idColumn)} = ${id}`}${scoped}`,
  );
  return Math.max(nowMs, Number(newest?.v ?? 0) + 1);
}

export interface NewVersion {
  definition: string;
  deleted: boolean;
  /** Required when the table has a source column. */
  source?: string;
  /** Other columns of the row (model_id, ends_ms). */
  columns?: Record<string, string | number>;
}

/** Writes a new version; returns its updated_ms. */
export async function writeVersion(client: ClickHouseClient, spec: VersionedTable, id: string, version: NewVersion, nowMs: number): Promise<number> {
  const updatedMs = await nextVersionMs(client, spec.table, spec.id, id, nowMs, spec.scope);
  if (spec.hasSource && version.source === undefined) throw new Error(`${spec.table}: a version needs a source`);
  const row: Record<string, string | number | undefined> = {
    ...spec.scope,
    ...version.columns,
    [spec.id]: id,
    ...(spec.hasSource ? { source: version.source } : {}),
    definition: version.definition,
    deleted: version.deleted ? 1 : 0,
    updated_ms: updatedMs,
  };
  // Named columns: the table may have others (defaults), and the SQL recorder needs them.
  await client.insert({ table: spec.table, format: 'JSONEachRow', columns: Object.keys(row) as [string, ...string[]], values: [row] });
  return updatedMs;
}

/**
 * Channels, subscriptions and retraining targets share one versioned table
 * (alerting_definitions): one row per version, the newest by updated_ms wins, a deleted
 * flag removes it. Parsing the stored JSON is the caller's (each kind has its contract).
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export type DefinitionKind = 'channel' | 'subscription' | 'retraining_target';
export type DefinitionSource = 'api' | 'config';

export interface StoredDefinition {
  id: string;
  source: DefinitionSource;
  /** The stored JSON, parsed. */
  definition: unknown;
  updatedMs: number;
}

interface DefinitionRow {
  id: string;
  latest_source: DefinitionSource;
  latest_definition: string;
  is_deleted: number | string;
  latest_ms: string;
}

function latest(kind: DefinitionKind, where = ''): string {
  return `SELECT id, argMax(source, updated_ms) AS latest_source, argMax(definition, updated_ms) AS latest_definition,
    argMax(deleted, updated_ms) AS is_deleted, max(updated_ms) AS latest_ms
    FROM alerting_definitions WHERE ${sql`kind = ${kind}`}${where} GROUP BY id ORDER BY id`;
}

function fromRow(row: DefinitionRow): StoredDefinition | null {
  if (Number(row.is_deleted) === 1) return null;
  return { id: row.id, source: row.latest_source, definition: JSON.parse(row.latest_definition) as unknown, updatedMs: Number(row.latest_ms) };
}

export async function listDefinitions(client: ClickHouseClient, kind: DefinitionKind): Promise<StoredDefinition[]> {
  const rows = await queryRows<DefinitionRow>(client, latest(kind));
  return rows.map(fromRow).filter((entry): entry is StoredDefinition => entry !== null);
}

export async function getDefinition(client: ClickHouseClient, kind: DefinitionKind, id: string): Promise<StoredDefinition | null> {
  const rows = await queryRows<DefinitionRow>(client, latest(kind, sql` AND id = ${id}`));
  return rows[0] === undefined ? null : fromRow(rows[0]);
}

async function writeVersion(
  client: ClickHouseClient, kind: DefinitionKind, id: string, source: DefinitionSource, definition: string, deleted: boolean, nowMs: number,
): Promise<number> {
  // Versions must grow even if two writes share a millisecond or the clock steps back.
  const [newest] = await queryRows<{ v: string }>(client, sql`SELECT max(updated_ms) AS v FROM alerting_definitions WHERE kind = ${kind} AND id = ${id}`);
  const updatedMs = Math.max(nowMs, Number(newest?.v ?? 0) + 1);
  await client.insert({
    table: 'alerting_definitions',
    format: 'JSONEachRow',
    columns: ['kind', 'id', 'source', 'definition', 'deleted', 'updated_ms'],
    values: [{ kind, id, source, definition, deleted: deleted ? 1 : 0, updated_ms: updatedMs }],
  });
  return updatedMs;
}

export async function saveDefinition(
  client: ClickHouseClient, kind: DefinitionKind, id: string, definition: unknown, source: DefinitionSource = 'api', nowMs = Date.now(),
): Promise<StoredDefinition> {
  const updatedMs = await writeVersion(client, kind, id, source, JSON.stringify(definition), false, nowMs);
  return { id, source, definition, updatedMs };
}

export async function deleteDefinition(client: ClickHouseClient, kind: DefinitionKind, id: string, nowMs = Date.now()): Promise<void> {
  await writeVersion(client, kind, id, 'api', '{}', true, nowMs);
}

/**
 * Channels, subscriptions and retraining targets share one versioned table
 * (alerting_definitions, storage/versioned-table.ts), told apart by `kind`. Parsing the
 * stored JSON is the caller's (each kind has its contract).
 */
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { latestVersion, latestVersions, writeVersion, type LatestVersion, type VersionedTable } from '../../storage/versioned-table.js';

export type DefinitionKind = 'channel' | 'subscription' | 'retraining_target';
export type DefinitionSource = 'api' | 'config';

export interface StoredDefinition {
  id: string;
  source: DefinitionSource;
  /** The stored JSON, parsed. */
  definition: unknown;
  updatedMs: number;
}

const tableOf = (kind: DefinitionKind): VersionedTable => ({ table: 'alerting_definitions', id: 'id', scope: { kind }, hasSource: true });

function fromVersion(version: LatestVersion): StoredDefinition {
  return { id: version.id, source: version.source as DefinitionSource, definition: JSON.parse(version.definition) as unknown, updatedMs: version.updatedMs };
}

export async function listDefinitions(client: ClickHouseClient, kind: DefinitionKind): Promise<StoredDefinition[]> {
  return (await latestVersions(client, tableOf(kind))).map(fromVersion);
}

export async function getDefinition(client: ClickHouseClient, kind: DefinitionKind, id: string): Promise<StoredDefinition | null> {
  const version = await latestVersion(client, tableOf(kind), id);
  return version === null ? null : fromVersion(version);
}

export async function saveDefinition(
  client: ClickHouseClient, kind: DefinitionKind, id: string, definition: unknown, source: DefinitionSource = 'api', nowMs = Date.now(),
): Promise<StoredDefinition> {
  const updatedMs = await writeVersion(client, tableOf(kind), id, { source, definition: JSON.stringify(definition), deleted: false }, nowMs);
  return { id, source, definition, updatedMs };
}

export async function deleteDefinition(client: ClickHouseClient, kind: DefinitionKind, id: string, nowMs = Date.now()): Promise<void> {
  await writeVersion(client, tableOf(kind), id, { source: 'api', definition: '{}', deleted: true }, nowMs);
}

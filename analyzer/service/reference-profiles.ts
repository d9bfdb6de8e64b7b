/**
 * Frozen profiles of fixed references (a fixed time range, an uploaded dataset): per column,
 * the decile bin edges (numeric) or the set of categories (categorical), computed when the
 * reference is frozen and reused by every later analysis, so every window of a monitor is
 * compared with the same bins even if late events reach the reference span.
 */
import { insertRowBinary } from '../../ingest/event-writer.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { encodeRows, rowEncoder } from '../../storage/row-binary.js';
import { sql } from '../../storage/sql.js';

interface ProfileRow {
  reference_key: string;
  column_name: string;
  column_kind: 'numeric' | 'categorical';
  bin_edges: number[];
  categories: string[];
  frozen_ms: number;
}

/** What is frozen for one reference key, by column key; a column is in one map at most. */
export interface ReferenceProfile {
  edges: ReadonlyMap<string, readonly number[]>;
  categories: ReadonlyMap<string, readonly string[]>;
}

export const EMPTY_PROFILE: ReferenceProfile = { edges: new Map(), categories: new Map() };

// RowBinary keeps the edges bit-exact (18.16's text parser may not; see result-store.ts).
const PROFILE_ENCODER = rowEncoder<ProfileRow>([
  ['reference_key', 'String'], ['column_name', 'String'], ['column_kind', { enum8: { numeric: 1, categorical: 2 } }],
  ['bin_edges', 'Array(Float64)'], ['categories', 'Array(String)'], ['frozen_ms', 'UInt64'],
]);

export async function loadReferenceProfile(client: ClickHouseClient, referenceKey: string): Promise<ReferenceProfile> {
  // The oldest profile of a column wins, kind included: two instances freezing at once keep the first.
  const rows = await queryRows<{ column_name: string; kind: string; edges: unknown[]; categories: string[] }>(
    client,
    sql`SELECT column_name, argMin(column_kind, frozen_ms) AS kind, argMin(bin_edges, frozen_ms) AS edges, argMin(categories, frozen_ms) AS categories
        FROM reference_profiles WHERE reference_key = ${referenceKey} GROUP BY column_name`,
  );
  const edges = new Map<string, number[]>();
  const categories = new Map<string, string[]>();
  for (const row of rows) {
    if (row.kind === 'categorical') categories.set(row.column_name, row.categories);
    else edges.set(row.column_name, row.edges.map(Number));
  }
  return { edges, categories };
}

export function isEmptyProfile(profile: ReferenceProfile): boolean {
  return profile.edges.size === 0 && profile.categories.size === 0;
}

export async function freezeReferenceProfile(client: ClickHouseClient, referenceKey: string, profile: ReferenceProfile, nowMs: number): Promise<void> {
  if (isEmptyProfile(profile)) return;
  const row = (column: string, kind: ProfileRow['column_kind'], edges: readonly number[], categories: readonly string[]): ProfileRow => ({
    reference_key: referenceKey, column_name: column, column_kind: kind, bin_edges: [...edges], categories: [...categories], frozen_ms: nowMs,
  });
  const rows = [
    ...[...profile.edges].map(([column, edges]) => row(column, 'numeric', edges, [])),
    ...[...profile.categories].map(([column, categories]) => row(column, 'categorical', [], categories)),
  ];
  const { bytes, invalid } = encodeRows(PROFILE_ENCODER, rows);
  if (invalid.length > 0) throw new Error(`reference profile cannot be stored: ${invalid[0]!.message}`);
  await insertRowBinary(client, 'reference_profiles', PROFILE_ENCODER.columns, bytes);
}

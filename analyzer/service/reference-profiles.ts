/**
 * Frozen bin edges of fixed references (a fixed time range, an uploaded dataset): computed
 * by the first analysis that uses the reference and reused by every later one, so every
 * window of a monitor is binned the same way even if late events reach the reference span.
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

// RowBinary keeps the edges bit-exact (18.16's text parser may not; see result-store.ts).
const PROFILE_ENCODER = rowEncoder<ProfileRow>([
  ['reference_key', 'String'], ['column_name', 'String'], ['column_kind', { enum8: { numeric: 1, categorical: 2 } }],
  ['bin_edges', 'Array(Float64)'], ['categories', 'Array(String)'], ['frozen_ms', 'UInt64'],
]);

export async function loadFrozenEdges(client: ClickHouseClient, referenceKey: string): Promise<Map<string, number[]>> {
  // The oldest profile of a column wins: two instances freezing at once keep the first.
  const rows = await queryRows<{ column_name: string; edges: number[] }>(
    client,
    sql`SELECT column_name, argMin(bin_edges, frozen_ms) AS edges FROM reference_profiles
        WHERE reference_key = ${referenceKey} AND column_kind = 'numeric' GROUP BY column_name`,
  );
  return new Map(rows.map((row) => [row.column_name, row.edges.map(Number)]));
}

export async function freezeEdges(client: ClickHouseClient, referenceKey: string, edges: ReadonlyMap<string, readonly number[]>, nowMs: number): Promise<void> {
  if (edges.size === 0) return;
  const rows = [...edges].map(([column, columnEdges]): ProfileRow => ({
    reference_key: referenceKey, column_name: column, column_kind: 'numeric', bin_edges: [...columnEdges], categories: [], frozen_ms: nowMs,
  }));
  const { bytes, invalid } = encodeRows(PROFILE_ENCODER, rows);
  if (invalid.length > 0) throw new Error(`reference profile cannot be stored: ${invalid[0]!.message}`);
  await insertRowBinary(client, 'reference_profiles', PROFILE_ENCODER.columns, bytes);
}

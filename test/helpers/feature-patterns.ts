import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { SqlFragment } from '../../storage/sql.js';

/**
 * Patterns of `table`'s rows matching `where` whose names feature_patterns (migration 0007)
 * lacks or holds differently; [] when every pattern is kept as the rows have it.
 */
export async function patternsNotKept(client: ClickHouseClient, table: 'predictions' | 'reference_rows', where: SqlFragment): Promise<string[]> {
  const rows = await queryRows<{ pattern: string; names: string[] }>(
    client,
    `SELECT DISTINCT toString(num_names_hash) AS pattern, num_feature_names AS names FROM ${table} WHERE ${where.text}`,
  );
  if (rows.length === 0) throw new Error(`no ${table} rows where ${where.text}`);
  const kept = await queryRows<{ hash: string; names: string[] }>(client, 'SELECT toString(pattern) AS hash, any(names) AS names FROM feature_patterns GROUP BY pattern');
  const keptNames = new Map(kept.map((row) => [row.hash, JSON.stringify(row.names)]));
  return rows.filter((row) => keptNames.get(row.pattern) !== JSON.stringify(row.names)).map((row) => row.pattern);
}

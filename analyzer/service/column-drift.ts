/**
 * Drift metrics of every column of one (reference, current) pair, with the counting done
 * inside ClickHouse and the statistics by analyzer/stats, so the numbers equal the
 * offline engine's on the same rows. Queries, all over `bothSides(...)`:
 *  1. rows per side;
 *  2. valid numeric values per column and side;
 *  3. categorical value counts per column (category, reference count, current count);
 *  4. the reference order statistics the decile edges need (decileRanks), unless the
 *     reference's edges are frozen;
 *  5. numeric value counts per column in ascending value order, folded as they stream in
 *     (KS, Wasserstein, moments) and binned on the decile edges (PSI, Jensen-Shannon).
 */
import {
  analyzeCategoricalFromCounts,
  analyzeNumericFromSummary,
  decileEdgesFromRanks,
  decileRanks,
  binIndex,
  NumericStreamFold,
  type CategoryCount,
  type ColumnMetrics,
  type SideExtras,
} from '../stats/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { fragment, literal, sql, SqlFragment } from '../../storage/sql.js';
import {
  bothSides,
  columnDisplayName,
  columnRole,
  FEATURE_PREFIX,
  PREDICTION_COLUMN,
  SCORE_COLUMN,
  sideRows,
  type ColumnRole,
  type SideSource,
} from './sources.js';
import { streamValueCounts } from './value-count-stream.js';

export interface ColumnSelection {
  /** Feature names; null = every feature seen. */
  features: readonly string[] | null;
  prediction: boolean;
  score: boolean;
}

export interface ColumnResult {
  key: string;
  name: string;
  role: ColumnRole;
  metrics: ColumnMetrics;
  /** Categorical columns: the histogram to show, most frequent first (at most STORED_CATEGORIES). */
  categories?: CategoryCount[];
}

/** Categories kept for display; the statistics always use all of them. */
export const STORED_CATEGORIES = 100;

export interface SideRowCounts {
  reference: number;
  current: number;
}

export interface ColumnDriftInput {
  reference: SideSource;
  current: SideSource;
  selection: ColumnSelection;
  rows: SideRowCounts;
  /** Decile edges of a frozen reference by column key; a column missing here gets computed edges. */
  frozenEdges: ReadonlyMap<string, readonly number[]>;
}

export interface ColumnDriftOutput {
  columns: ColumnResult[];
  /** Edges computed in this run (to freeze when the reference is fixed). */
  computedEdges: Map<string, number[]>;
}

type Counts = [reference: number, current: number];

export async function countSideRows(client: ClickHouseClient, reference: SideSource, current: SideSource): Promise<SideRowCounts> {
  const rows = await queryRows<{ side: number; n: string }>(
    client,
    sql`SELECT side, count() AS n FROM ${bothSides(reference, current)} GROUP BY side`,
  );
  const counts: SideRowCounts = { reference: 0, current: 0 };
  for (const row of rows) counts[Number(row.side) === 0 ? 'reference' : 'current'] = Number(row.n);
  return counts;
}

function nameFilter(selection: ColumnSelection): SqlFragment {
  const fixed = [...(selection.prediction ? [PREDICTION_COLUMN] : []), ...(selection.score ? [SCORE_COLUMN] : [])];
  if (selection.features === null) {
    return fragment`(startsWith(name, ${FEATURE_PREFIX}) OR has(${fixed.length ? fixed : ['']}, name))`;
  }
  const keys = [...selection.features.map((feature) => FEATURE_PREFIX + feature), ...fixed];
  return fragment`has(${keys.length ? keys : ['']}, name)`;
}

export async function analyzeColumnDrift(client: ClickHouseClient, input: ColumnDriftInput): Promise<ColumnDriftOutput> {
  const both = bothSides(input.reference, input.current);
  const filter = nameFilter(input.selection);
  const [numericRows, categoryRows] = await Promise.all([
    queryRows<{ side: number; name: string; n: string }>(
      client,
      sql`SELECT side, name, count() AS n FROM ${both} ARRAY JOIN num_names AS name, num_values AS v WHERE ${filter} GROUP BY side, name`,
    ),
    queryRows<{ name: string; value: string; r: string; c: string }>(
      client,
      sql`SELECT name, value, countIf(side = 0) AS r, countIf(side = 1) AS c FROM ${both} ARRAY JOIN cat_names AS name, cat_values AS value WHERE ${filter} GROUP BY name, value ORDER BY name, r DESC, value`,
    ),
  ]);

  const numericCounts = new Map<string, Counts>();
  for (const row of numericRows) {
    const counts = numericCounts.get(row.name) ?? [0, 0];
    counts[Number(row.side)] = Number(row.n);
    numericCounts.set(row.name, counts);
  }
  const categories = new Map<string, CategoryCount[]>();
  const categoricalCounts = new Map<string, Counts>();
  for (const row of categoryRows) {
    const list = categories.get(row.name) ?? [];
    list.push({ category: row.value, referenceCount: Number(row.r), currentCount: Number(row.c) });
    categories.set(row.name, list);
    const counts = categoricalCounts.get(row.name) ?? [0, 0];
    counts[0] += Number(row.r);
    counts[1] += Number(row.c);
    categoricalCounts.set(row.name, counts);
  }

  // A column is of the kind most of its values have; values of the other kind are type errors.
  const numericKeys: string[] = [];
  const categoricalKeys: string[] = [];
  for (const key of new Set([...numericCounts.keys(), ...categoricalCounts.keys()])) {
    const numeric = sum(numericCounts.get(key));
    const categorical = sum(categoricalCounts.get(key));
    (numeric >= categorical ? numericKeys : categoricalKeys).push(key);
  }
  numericKeys.sort();
  categoricalKeys.sort();

  const extras = (key: string, kind: 'numeric' | 'categorical'): { reference: SideExtras; current: SideExtras } => {
    const valid = (kind === 'numeric' ? numericCounts : categoricalCounts).get(key) ?? [0, 0];
    const other = (kind === 'numeric' ? categoricalCounts : numericCounts).get(key) ?? [0, 0];
    return {
      reference: { typeErrors: other[0], missing: input.rows.reference - valid[0] - other[0] },
      current: { typeErrors: other[1], missing: input.rows.current - valid[1] - other[1] },
    };
  };

  const columns: ColumnResult[] = [];
  const computedEdges = new Map<string, number[]>();
  if (numericKeys.length > 0) {
    const edges = new Map<string, readonly number[]>();
    const toCompute = numericKeys.filter((key) => {
      const frozen = input.frozenEdges.get(key);
      if (frozen) edges.set(key, frozen);
      return !frozen;
    });
    for (const [key, value] of await referenceDecileEdges(client, input.reference, toCompute, numericCounts)) {
      edges.set(key, value);
      computedEdges.set(key, value);
    }
    const numeric = await foldNumericColumns(client, both, numericKeys, numericCounts, edges);
    for (const key of numericKeys) {
      const folded = numeric.get(key)!;
      columns.push({ key, name: columnDisplayName(key), role: columnRole(key), metrics: analyzeNumericFromSummary(folded.summary, folded.bins, extras(key, 'numeric')) });
    }
  }
  for (const key of categoricalKeys) {
    columns.push({
      key,
      name: columnDisplayName(key),
      role: columnRole(key),
      metrics: analyzeCategoricalFromCounts(categories.get(key) ?? [], extras(key, 'categorical')),
      categories: [...(categories.get(key) ?? [])]
        .sort((a, b) => b.referenceCount + b.currentCount - (a.referenceCount + a.currentCount) || (a.category < b.category ? -1 : 1))
        .slice(0, STORED_CATEGORIES),
    });
  }
  columns.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { columns, computedEdges };
}

function sum(counts: Counts | undefined): number {
  return counts ? counts[0] + counts[1] : 0;
}

/**
 * Exact order statistics of the reference per column. ClickHouse's quantileExact(level)
 * returns the value at rank floor(level * n), so level (rank + 0.5) / n selects `rank`
 * exactly whatever the rounding of the product.
 */
async function referenceDecileEdges(
  client: ClickHouseClient,
  reference: SideSource,
  keys: readonly string[],
  counts: ReadonlyMap<string, Counts>,
): Promise<Map<string, number[]>> {
  const edges = new Map<string, number[]>();
  const wanted = keys.filter((key) => (counts.get(key)?.[0] ?? 0) > 0);
  for (const key of keys) if (!wanted.includes(key)) edges.set(key, []);
  if (wanted.length === 0) return edges;
  const aggregates = wanted.map((key, index) => {
    const n = counts.get(key)![0];
    const levels = decileRanks(n).map((rank) => literal((rank + 0.5) / n)).join(', ');
    return new SqlFragment(`quantilesExactIf(${levels})(v, name = ${literal(key)}) AS q${index}`);
  });
  const select = aggregates.map((aggregate) => aggregate.text).join(', ');
  const [row] = await queryRows<Record<string, number[]>>(
    client,
    sql`SELECT ${new SqlFragment(select)} FROM (${sideRows(reference, 0)}) ARRAY JOIN num_names AS name, num_values AS v WHERE has(${[...wanted]}, name)`,
  );
  wanted.forEach((key, index) => {
    const n = counts.get(key)![0];
    const values = row?.[`q${index}`] ?? [];
    const byRank = new Map(decileRanks(n).map((rank, position) => [rank, Number(values[position])]));
    edges.set(key, decileEdgesFromRanks(n, byRank));
  });
  return edges;
}

interface FoldedColumn {
  summary: ReturnType<NumericStreamFold['finish']>;
  bins: { edges: readonly number[]; referenceCounts: number[]; currentCounts: number[] };
}

async function foldNumericColumns(
  client: ClickHouseClient,
  both: SqlFragment,
  keys: readonly string[],
  counts: ReadonlyMap<string, Counts>,
  edges: ReadonlyMap<string, readonly number[]>,
): Promise<Map<string, FoldedColumn>> {
  const folded = new Map<string, FoldedColumn>();
  let current: { key: string; fold: NumericStreamFold; column: FoldedColumn['bins']; bin: number } | null = null;
  const finishCurrent = (): void => {
    if (current === null) return;
    folded.set(current.key, { summary: current.fold.finish(), bins: current.column });
    current = null;
  };
  const start = (key: string): void => {
    const [referenceCount, currentCount] = counts.get(key) ?? [0, 0];
    const columnEdges = edges.get(key) ?? [];
    current = {
      key,
      fold: new NumericStreamFold({ referenceCount, currentCount }),
      column: { edges: columnEdges, referenceCounts: new Array(columnEdges.length + 1).fill(0), currentCounts: new Array(columnEdges.length + 1).fill(0) },
      bin: 0,
    };
  };
  // `v + 0` turns -0 into +0, so the two zeros are one group and the values strictly increase.
  await streamValueCounts(
    client,
    sql`SELECT toUInt64(indexOf(${[...keys]}, name)) AS k, v + 0 AS x, countIf(side = 0) AS r, countIf(side = 1) AS c FROM ${both} ARRAY JOIN num_names AS name, num_values AS v WHERE has(${[...keys]}, name) GROUP BY k, x ORDER BY k, x`,
    (index, value, r, c) => {
      const key = keys[index - 1];
      if (key === undefined) throw new Error(`value-count stream names unknown column ${index}`);
      if (current === null || (current as { key: string }).key !== key) {
        finishCurrent();
        start(key);
      }
      const column = current!;
      column.fold.add(value, r, c);
      column.bin = binIndex(column.column.edges, value);
      column.column.referenceCounts[column.bin]! += r;
      column.column.currentCounts[column.bin]! += c;
    },
  );
  finishCurrent();
  // A column whose values all vanished between the queries (a dropped partition) folds empty.
  for (const key of keys) {
    if (!folded.has(key)) {
      start(key);
      finishCurrent();
    }
  }
  return folded;
}

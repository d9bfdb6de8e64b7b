/**
 * Drift metrics of every column of one (reference, current) pair. Every number equals
 * the offline engine's on the same rows, except where numeric-fine-bins.ts says why not
 * (the last bits of Wasserstein-1 and of the normalised Wasserstein on columns with many
 * distinct values, and scattered single repeats among such values, which the ties note
 * does not see).
 *
 * The statistics are exact, so every numeric value has to be seen once; the question is
 * who looks. Measured on 18.16 (2 cores, 2 x 1M events x 50 numeric features): the
 * per-value SQL that fine bins need (ARRAY JOIN, a bin expression, GROUP BY column and
 * bin over 100M values) costs 17-33 CPU seconds, GROUP BY column and value more; the
 * server streams the same values out as Native columns for ~6. So ClickHouse filters,
 * deduplicates, maps feature names to column ids and counts categories, and the
 * analyzer bins and refines each column itself (column-streams.ts, column-spill.ts,
 * numeric-fine-bins.ts, column-workers.ts):
 *  1. discovery: the feature names of both sides, and the patterns (name lists) rows use;
 *  2. at the same time: the numeric values of each side, streamed per row into
 *     per-column spill files; the categorical value counts (GROUP BY); the rows read;
 *  3. per numeric column, fine bins then exact refinement, on every core.
 * Live traffic is deduplicated as FINAL would: a side whose window holds no redelivered
 * event (plain count = FINAL count) is read without FINAL, which in 18.16 would
 * serialise the read on one thread per side. Every read checks the rows it saw against
 * the counted rows; a redelivery that arrives in between makes it read again with FINAL.
 */
import { analyzeCategoricalFromCounts, analyzeNumericFromCounts, type CategoryCount, type ColumnMetrics, type SideExtras } from '../stats/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { ColumnSpill } from './column-spill.js';
import {
  countCategories,
  plainRowCounts,
  discoverFeatures,
  RowsChangedError,
  sideQuery,
  streamNumericValues,
  type CategoricalCounts,
  type ColumnSelection,
  type Counts,
  type SideQuery,
} from './column-streams.js';
import { analyzeSpilledColumns } from './column-workers.js';
import { columnKind, referenceVocabulary, restrictToVocabulary, type ColumnKind } from './frozen-categories.js';
import type { FineBinColumnResult } from './numeric-fine-bins.js';
import type { ReferenceProfile } from './reference-profiles.js';
import { bothSides, columnDisplayName, columnRole, FEATURE_PREFIX, PREDICTION_COLUMN, SCORE_COLUMN, type ColumnRole, type SideSource } from './sources.js';

export type { ColumnSelection } from './column-streams.js';

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
  /**
   * What a frozen reference fixed, by column key: decile edges (a column missing there gets
   * computed ones) and categories (the reference counts only these; current values outside
   * them are unseen). A column in either map keeps that kind. EMPTY_PROFILE: nothing frozen.
   */
  frozen: ReferenceProfile;
}

export interface ColumnDriftOutput {
  columns: ColumnResult[];
  /** Edges computed in this run (to freeze when the reference is fixed). */
  computedEdges: Map<string, number[]>;
  /** Reference categories of the categorical columns without frozen ones (to freeze likewise). */
  computedCategories: Map<string, string[]>;
  /** Categorical columns without frozen categories whose reference has too many to freeze. */
  categoriesTooManyToFreeze: string[];
}

type Extras = { reference: SideExtras; current: SideExtras };

export async function countSideRows(client: ClickHouseClient, reference: SideSource, current: SideSource): Promise<SideRowCounts> {
  const rows = await queryRows<{ side: number; n: string }>(
    client,
    sql`SELECT side, count() AS n FROM ${bothSides(reference, current)} GROUP BY side`,
  );
  const counts: SideRowCounts = { reference: 0, current: 0 };
  for (const row of rows) counts[Number(row.side) === 0 ? 'reference' : 'current'] = Number(row.n);
  return counts;
}

export { RowsChangedError } from './column-streams.js';

export async function analyzeColumnDrift(client: ClickHouseClient, input: ColumnDriftInput): Promise<ColumnDriftOutput> {
  const sources = [input.reference, input.current] as const;
  const expected: Counts = [input.rows.reference, input.rows.current];
  const plain = await plainRowCounts(client, sources);
  const isPlainTraffic = (side: 0 | 1): boolean => sources[side].kind === 'traffic' && sideQuery(sources[side], side, false).kind === 'table';
  // A window without redelivered events reads the same rows with or without FINAL.
  let deduplicate = [!isPlainTraffic(0) || plain[0] !== expected[0], !isPlainTraffic(1) || plain[1] !== expected[1]];
  for (let attempt = 0; ; attempt++) {
    const queries: [SideQuery, SideQuery] = [sideQuery(sources[0], 0, deduplicate[0]!), sideQuery(sources[1], 1, deduplicate[1]!)];
    try {
      return await analyzeOnce(client, input, queries);
    } catch (error) {
      // A redelivery that landed during a plain read: read again with FINAL.
      if (!(error instanceof RowsChangedError) || attempt > 0 || deduplicate.every(Boolean)) throw error;
      deduplicate = [true, true];
    }
  }
}

async function analyzeOnce(client: ClickHouseClient, input: ColumnDriftInput, queries: [SideQuery, SideQuery]): Promise<ColumnDriftOutput> {
  const { selection } = input;
  const discovery = await discoverFeatures(client, queries, selection.features);
  const spill = new ColumnSpill();
  try {
    const [numeric, categorical] = await Promise.all([
      streamNumericValues(client, queries, discovery, selection, spill),
      countCategories(client, queries, selection),
    ]);
    const expected: Counts = [input.rows.reference, input.rows.current];
    for (const seen of [numeric.rows, categorical.rows]) {
      if (seen[0] !== expected[0] || seen[1] !== expected[1]) {
        throw new RowsChangedError(`rows changed during the analysis: counted ${expected.join(' + ')}, read ${seen.join(' + ')}; retry the window`);
      }
    }
    const numericCounts = new Map<string, Counts>();
    const idOfKey = new Map<string, number>();
    for (const id of spill.ids()) {
      const key = numeric.keys.get(id)!;
      if (!isSelected(key, selection)) continue;
      numericCounts.set(key, spill.valueCounts(id));
      idOfKey.set(key, id);
    }
    return await buildColumns(input, numericCounts, categorical, (keys, extrasOf) =>
      analyzeSpilledColumns(
        keys.map((key, index) => ({ id: index, column: spill.column(idOfKey.get(key)!), frozenEdges: input.frozen.edges.get(key) ?? null, extras: extrasOf(key) })),
      ),
    );
  } finally {
    spill.dispose();
  }
}

function isSelected(key: string, selection: ColumnSelection): boolean {
  if (key === PREDICTION_COLUMN) return selection.prediction;
  if (key === SCORE_COLUMN) return selection.score;
  return selection.features === null || selection.features.includes(key.slice(FEATURE_PREFIX.length));
}

async function buildColumns(
  input: ColumnDriftInput,
  numericCounts: ReadonlyMap<string, Counts>,
  categorical: CategoricalCounts,
  analyzeNumeric: (keys: string[], extrasOf: (key: string) => Extras) => Promise<FineBinColumnResult[]>,
): Promise<ColumnDriftOutput> {
  const categoricalCounts = categorical.counts;
  const { edges: frozenEdges, categories: frozenCategories } = input.frozen;
  const frozenKind = (key: string): ColumnKind | null => (frozenEdges.has(key) ? 'numeric' : frozenCategories.has(key) ? 'categorical' : null);
  // A column is of its frozen kind, else of the kind most of its values have; values of the other kind are type errors.
  const numericKeys: string[] = [];
  const categoricalKeys: string[] = [];
  for (const key of new Set([...numericCounts.keys(), ...categoricalCounts.keys()])) {
    (columnKind(sum(numericCounts.get(key)), sum(categoricalCounts.get(key)), frozenKind(key)) === 'numeric' ? numericKeys : categoricalKeys).push(key);
  }
  numericKeys.sort();
  categoricalKeys.sort();

  const extras = (key: string, kind: 'numeric' | 'categorical'): Extras => {
    const valid = (kind === 'numeric' ? numericCounts : categoricalCounts).get(key) ?? [0, 0];
    const other = (kind === 'numeric' ? categoricalCounts : numericCounts).get(key) ?? [0, 0];
    return {
      reference: { typeErrors: other[0], missing: input.rows.reference - valid[0] - other[0] },
      current: { typeErrors: other[1], missing: input.rows.current - valid[1] - other[1] },
    };
  };

  const columns: ColumnResult[] = [];
  const computedEdges = new Map<string, number[]>();
  // A frozen numeric column may now hold no number at all (only strings): nothing was spilled.
  const spilledKeys = numericKeys.filter((key) => numericCounts.has(key));
  const analyzed = await analyzeNumeric(spilledKeys, (key) => extras(key, 'numeric'));
  const analyzedByKey = new Map(spilledKeys.map((key, index) => [key, analyzed[index]!]));
  for (const key of numericKeys) {
    const { metrics, edges } = analyzedByKey.get(key) ?? withoutNumericValues(frozenEdges.get(key) ?? [], extras(key, 'numeric'));
    if (!frozenEdges.has(key)) computedEdges.set(key, edges);
    columns.push({ key, name: columnDisplayName(key), role: columnRole(key), metrics });
  }
  const computedCategories = new Map<string, string[]>();
  const categoriesTooManyToFreeze: string[] = [];
  for (const key of categoricalKeys) {
    let list = categorical.categories.get(key) ?? [];
    let excludedReference = 0;
    const vocabulary = frozenCategories.get(key);
    if (vocabulary !== undefined) ({ categories: list, excludedReference } = restrictToVocabulary(list, vocabulary));
    else {
      const computed = referenceVocabulary(list);
      if (computed === null) categoriesTooManyToFreeze.push(key);
      else computedCategories.set(key, computed);
    }
    // Reference values left out are neither valid, missing nor type errors: the column's reference sample is smaller.
    const metrics = analyzeCategoricalFromCounts(list, extras(key, 'categorical'));
    if (excludedReference > 0) {
      metrics.notes.push(`${excludedReference} reference value(s) outside the categories frozen with the reference (late events) left out`);
    }
    columns.push({
      key,
      name: columnDisplayName(key),
      role: columnRole(key),
      metrics,
      categories: [...list]
        .sort((a, b) => b.referenceCount + b.currentCount - (a.referenceCount + a.currentCount) || (a.category < b.category ? -1 : 1))
        .slice(0, STORED_CATEGORIES),
    });
  }
  columns.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { columns, computedEdges, computedCategories, categoriesTooManyToFreeze };
}

/** A numeric column without a single number on either side: no statistic, its frozen edges kept. */
function withoutNumericValues(edges: readonly number[], extras: Extras): { metrics: ColumnMetrics; edges: number[] } {
  const zeros = new Array<number>(edges.length + 1).fill(0);
  const metrics = analyzeNumericFromCounts({
    referenceCount: 0, currentCount: 0, valueCounts: [], bins: { edges, referenceCounts: zeros, currentCounts: zeros }, ...extras,
  });
  return { metrics, edges: [...edges] };
}

function sum(counts: Counts | undefined): number {
  return counts ? counts[0] + counts[1] : 0;
}

/**
 * The three reads of a column analysis (see column-drift.ts), as SQL and as decoding:
 *  - discovery: the feature names in a sample of rows of both sides;
 *  - the numeric stream: per row, column ids and values (RowBinary), one query per side
 *    read at the same time, spilled per column (column-spill.ts);
 *  - categorical counts: GROUP BY (side, column, value), plus the rows each side read.
 *
 * A side is read one of two ways. Plain traffic and uploaded datasets read the stored
 * arrays straight from their table, feature names mapped to ids by `transform` (no
 * per-value string building). Traffic whose features are logged separately reads
 * sources.ts's `sideRows`, which joins feature_logs and names columns by key already.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { fragment, sql, SqlFragment } from '../../storage/sql.js';
import type { CategoryCount } from '../stats/index.js';
import type { ColumnSpill } from './column-spill.js';
import { idAt, readValueRows, type ValueRow } from './value-rows-reader.js';
import { FEATURE_PREFIX, PREDICTION_COLUMN, SCORE_COLUMN, sideRows, trafficFilter, type SideSource } from './sources.js';

export type Side = 0 | 1;
export type Counts = [reference: number, current: number];

export interface ColumnSelection {
  /** Feature names; null = every feature seen. */
  features: readonly string[] | null;
  prediction: boolean;
  score: boolean;
}

/** How one side is read: its stored arrays in a table, or sources.ts's rows (keys as names). */
export type SideQuery =
  | { kind: 'table'; table: SqlFragment; where: SqlFragment }
  | { kind: 'rows'; rows: SqlFragment };

/** Numeric column ids in the stream: 0 = not selected, then prediction, score, features. */
const PREDICTION_ID = 1;
const SCORE_ID = 2;
const FIRST_FEATURE_ID = 3;
/** Rows per side whose feature names are collected up front; later names still arrive (see `unknown`). */
const DISCOVERY_ROWS = 20_000;
const NOTHING = new SqlFragment('');

export function sideQuery(source: SideSource, side: Side, deduplicate: boolean): SideQuery {
  if (source.kind === 'traffic' && source.withFeatureLogs) return { kind: 'rows', rows: sideRows(source, side) };
  if (source.kind === 'traffic') return { kind: 'table', table: new SqlFragment(deduplicate ? 'predictions FINAL' : 'predictions'), where: trafficFilter(source) };
  return { kind: 'table', table: new SqlFragment('reference_rows'), where: fragment`dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId}` };
}

function sideLabel(side: Side): SqlFragment {
  return new SqlFragment(`toUInt8(${side})`);
}

function union(parts: SqlFragment[]): SqlFragment {
  return new SqlFragment(parts.map((part) => part.text).join(' UNION ALL '));
}

/** SQL: row counts of the traffic sides read from the table without FINAL; null when no side is plain traffic. */
function plainRowCountsSql(sources: readonly [SideSource, SideSource]): string | null {
  const parts: SqlFragment[] = [];
  for (const side of [0, 1] as const) {
    const query = sideQuery(sources[side], side, false);
    if (query.kind === 'table' && sources[side].kind === 'traffic') parts.push(fragment`SELECT ${sideLabel(side)} AS side FROM ${query.table} WHERE ${query.where}`);
  }
  return parts.length === 0 ? null : sql`SELECT side, count() AS n FROM (${union(parts)}) GROUP BY side`;
}

/** Row counts of the traffic sides read without FINAL (equal to FINAL's when nothing is redelivered). */
export async function plainRowCounts(client: ClickHouseClient, sources: readonly [SideSource, SideSource]): Promise<Counts> {
  const counts: Counts = [0, 0];
  const query = plainRowCountsSql(sources);
  if (query === null) return counts;
  for (const row of await queryRows<{ side: number; n: string }>(client, query)) counts[Number(row.side) as Side] = Number(row.n);
  return counts;
}

function sampleFeatureNamesSql(queries: readonly [SideQuery, SideQuery]): string {
  const parts = queries.map((query) =>
    query.kind === 'table'
      ? fragment`SELECT num_feature_names AS names FROM ${query.table} WHERE ${query.where} LIMIT ${DISCOVERY_ROWS}`
      : fragment`SELECT arrayMap(n -> substring(n, ${FEATURE_PREFIX.length + 1}, length(n) - ${FEATURE_PREFIX.length}), arrayFilter(n -> startsWith(n, ${FEATURE_PREFIX}), num_names)) AS names FROM (${query.rows}) LIMIT ${DISCOVERY_ROWS}`,
  );
  return sql`SELECT DISTINCT name FROM (${union(parts)}) ARRAY JOIN names AS name ORDER BY name`;
}

export async function sampleFeatureNames(client: ClickHouseClient, queries: readonly [SideQuery, SideQuery]): Promise<string[]> {
  return (await queryRows<{ name: string }>(client, sampleFeatureNamesSql(queries))).map((row) => row.name);
}

/** SQL for one side of the numeric stream: per row, side, column ids, values (and unknown names). */
function numericSide(side: Side, query: SideQuery, names: readonly string[], selection: ColumnSelection): SqlFragment {
  const label = sideLabel(side);
  if (query.kind === 'rows') {
    // Names are keys here: 'f.<feature>', 'prediction', 'score'.
    const keys = [...names.map((name) => FEATURE_PREFIX + name), ...(selection.prediction ? [PREDICTION_COLUMN] : []), ...(selection.score ? [SCORE_COLUMN] : [])];
    const ids = [...names.map((_, index) => FIRST_FEATURE_ID + index), ...(selection.prediction ? [PREDICTION_ID] : []), ...(selection.score ? [SCORE_ID] : [])];
    const mapped = keys.length > 0 ? keys : [''];
    const unknown = selection.features === null ? fragment`, if(has(ks, 0), num_names, emptyArrayString()) AS unknown` : NOTHING;
    return fragment`SELECT ${label} AS side, arrayMap(n -> transform(n, ${mapped}, CAST(${ids.length > 0 ? ids : [0]} AS Array(UInt16)), toUInt16(0)), num_names) AS ks, num_values AS vs${unknown} FROM (${query.rows})`;
  }
  const mapped = names.length > 0 ? names : [''];
  const ids = mapped.map((_, index) => (names.length > 0 ? FIRST_FEATURE_ID + index : 0));
  const idParts = [fragment`arrayMap(n -> transform(n, ${mapped}, CAST(${ids} AS Array(UInt16)), toUInt16(0)), num_feature_names)`];
  const valueParts = [fragment`num_feature_values`];
  if (selection.prediction) {
    idParts.push(fragment`if(prediction_kind = 'number', [toUInt16(${PREDICTION_ID})], emptyArrayUInt16())`);
    valueParts.push(fragment`if(prediction_kind = 'number', [prediction_num], emptyArrayFloat64())`);
  }
  if (selection.score) {
    idParts.push(fragment`if(isNull(score), emptyArrayUInt16(), [toUInt16(${SCORE_ID})])`);
    valueParts.push(fragment`if(isNull(score), emptyArrayFloat64(), [ifNull(score, 0)])`);
  }
  const concat = (parts: SqlFragment[]): SqlFragment => (parts.length === 1 ? parts[0]! : new SqlFragment(`arrayConcat(${parts.map((part) => part.text).join(', ')})`));
  // With every feature wanted, a row holding a name the sample missed ships its names.
  const unknown = selection.features === null ? fragment`, if(has(ks, 0), num_feature_names, emptyArrayString()) AS unknown` : NOTHING;
  return fragment`SELECT ${label} AS side, ${concat(idParts)} AS ks, ${concat(valueParts)} AS vs${unknown} FROM ${query.table} WHERE ${query.where}`;
}

export interface NumericStream {
  /** Column id -> key, for every id that may have received values. */
  keys: Map<number, string>;
  /** Rows read per side. */
  rows: Counts;
}

/** Streams every numeric value of both sides into `spill`; both sides are read at the same time. */
export async function streamNumericValues(
  client: ClickHouseClient,
  queries: readonly [SideQuery, SideQuery],
  names: readonly string[],
  selection: ColumnSelection,
  spill: ColumnSpill,
): Promise<NumericStream> {
  const keys = new Map<number, string>([[PREDICTION_ID, PREDICTION_COLUMN], [SCORE_ID, SCORE_COLUMN]]);
  const idOfName = new Map<string, number>();
  names.forEach((name, index) => {
    keys.set(FIRST_FEATURE_ID + index, FEATURE_PREFIX + name);
    idOfName.set(name, FIRST_FEATURE_ID + index);
  });
  /** Id of a name the discovery sample missed (a key in 'rows' mode); 0 = not a selected feature. */
  const idOfUnknown = (name: string, keyed: boolean): number => {
    if (keyed && !name.startsWith(FEATURE_PREFIX)) return 0; // prediction or score, not selected
    const feature = keyed ? name.slice(FEATURE_PREFIX.length) : name;
    let id = idOfName.get(feature);
    if (id === undefined) {
      id = FIRST_FEATURE_ID + idOfName.size;
      if (id > 0xffff) throw new Error('more than 65,532 numeric columns in one analysis');
      idOfName.set(feature, id);
      keys.set(id, FEATURE_PREFIX + feature);
    }
    return id;
  };
  const rows: Counts = [0, 0];
  const onRow = (keyed: boolean) => (row: ValueRow): void => {
    rows[row.side]++;
    if (row.names === null) {
      spill.addRow(row.side, row.view, row.idsAt, row.valuesAt, row.count);
      return;
    }
    // A name the discovery sample did not hold: the names' positions match the values'.
    const ids = new Uint16Array(row.count);
    for (let position = 0; position < row.count; position++) {
      const id = idAt(row, position);
      ids[position] = id !== 0 || position >= row.names.length ? id : idOfUnknown(row.names[position]!, keyed);
    }
    spill.addRow(row.side, row.view, row.idsAt, row.valuesAt, row.count, ids);
  };
  // One query per side, read at the same time: each gets its own server thread for
  // formatting, which is what limits a single stream on 18.16.
  await Promise.all(
    ([0, 1] as const).map(async (side) => {
      const result = await client.exec({
        query: `${numericSide(side, queries[side], names, selection).text} FORMAT RowBinary`,
        clickhouse_settings: { enable_http_compression: 0 },
      });
      await readValueRows(result.stream as AsyncIterable<Buffer>, selection.features === null, onRow(queries[side].kind === 'rows'));
    }),
  );
  spill.finish();
  return { keys, rows };
}

export interface CategoricalCounts {
  categories: Map<string, CategoryCount[]>;
  counts: Map<string, Counts>;
  /** Rows read per side. */
  rows: Counts;
}

// Kinds of rows in the categorical query.
const FEATURE_VALUE = 0;
const PREDICTION_VALUE = 1;
const ROW_COUNT = 2;
const KEYED_VALUE = 3; // 'rows' mode: the name is the column key already

function countCategoriesSql(queries: readonly [SideQuery, SideQuery], selection: ColumnSelection): string {
  const features = selection.features;
  const parts: SqlFragment[] = [];
  ([0, 1] as const).forEach((side) => {
    const query = queries[side];
    const label = sideLabel(side);
    if (query.kind === 'rows') {
      const keys = [...(features ?? []).map((name) => FEATURE_PREFIX + name), ...(selection.prediction ? [PREDICTION_COLUMN] : [])];
      const filter = features === null
        ? fragment`startsWith(name, ${FEATURE_PREFIX})${selection.prediction ? fragment` OR name = ${PREDICTION_COLUMN}` : NOTHING}`
        : fragment`has(${keys.length > 0 ? keys : ['']}, name)`;
      parts.push(fragment`SELECT ${label} AS side, toUInt8(${KEYED_VALUE}) AS kind, name, value FROM (${query.rows}) ARRAY JOIN cat_names AS name, cat_values AS value WHERE ${filter}`);
      parts.push(fragment`SELECT ${label}, toUInt8(${ROW_COUNT}), '', '' FROM (${query.rows})`);
      return;
    }
    const { table, where } = query;
    const featureFilter = features === null ? NOTHING : fragment` AND has(${features.length > 0 ? [...features] : ['']}, name)`;
    parts.push(fragment`SELECT ${label} AS side, toUInt8(${FEATURE_VALUE}) AS kind, name, value FROM ${table} ARRAY JOIN cat_feature_names AS name, cat_feature_values AS value WHERE ${where}${featureFilter}`);
    if (selection.prediction) {
      parts.push(fragment`SELECT ${label}, toUInt8(${PREDICTION_VALUE}), '', prediction_str FROM ${table} WHERE ${where} AND prediction_kind IN ('string', 'boolean')`);
    }
    // The rows this read saw, to check against the counted rows.
    parts.push(fragment`SELECT ${label}, toUInt8(${ROW_COUNT}), '', '' FROM ${table} WHERE ${where}`);
  });
  return sql`SELECT side, kind, name, value, count() AS n FROM (${union(parts)}) GROUP BY side, kind, name, value`;
}

export async function countCategories(client: ClickHouseClient, queries: readonly [SideQuery, SideQuery], selection: ColumnSelection): Promise<CategoricalCounts> {
  const result = await queryRows<{ side: number; kind: number; name: string; value: string; n: string }>(client, countCategoriesSql(queries, selection));
  const byKey = new Map<string, Map<string, CategoryCount>>();
  const counts = new Map<string, Counts>();
  const rows: Counts = [0, 0];
  for (const row of result) {
    const side = Number(row.side) as Side;
    const count = Number(row.n);
    const kind = Number(row.kind);
    if (kind === ROW_COUNT) {
      rows[side] += count;
      continue;
    }
    const key = kind === PREDICTION_VALUE ? PREDICTION_COLUMN : kind === KEYED_VALUE ? row.name : FEATURE_PREFIX + row.name;
    const categories = byKey.get(key) ?? new Map<string, CategoryCount>();
    byKey.set(key, categories);
    const category = categories.get(row.value) ?? { category: row.value, referenceCount: 0, currentCount: 0 };
    categories.set(row.value, category);
    if (side === 0) category.referenceCount += count;
    else category.currentCount += count;
    const total = counts.get(key) ?? [0, 0];
    total[side] += count;
    counts.set(key, total);
  }
  return { categories: new Map([...byKey].map(([key, map]) => [key, [...map.values()]])), counts, rows };
}


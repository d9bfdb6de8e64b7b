/**
 * The three reads of a column analysis (see column-drift.ts), as SQL and as decoding:
 *  - discovery: the feature names of both sides;
 *  - the numeric stream: per row, its values and what they are (RowBinary), one query per
 *    side read at the same time, spilled per column (column-spill.ts);
 *  - categorical counts: GROUP BY (side, column, value), plus the rows each side read.
 *
 * A side is read one of three ways:
 *  - by pattern: plain traffic and uploaded datasets store, per row, `num_names_hash`, a
 *    hash of its numeric feature names (migration 0006). Discovery finds the side's
 *    distinct patterns (reading that one UInt64 column) and each pattern's names (one row
 *    each); the stream then ships per row its pattern and its values, and never reads a
 *    name. Up to MAX_PATTERNS patterns per side;
 *  - by id: a table side with more patterns than that maps every name to a column id with
 *    `transform` in the server, and ships ids with values (discovery: a sample of names;
 *    a row with a name the sample missed ships its names too);
 *  - traffic whose features are logged separately reads sources.ts's `sideRows`, which
 *    joins feature_logs and names columns by key already, by id likewise.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { fragment, sql, SqlFragment } from '../../storage/sql.js';
import type { CategoryCount } from '../stats/index.js';
import { RowBlock, type ColumnSpill } from './column-spill.js';
import { idAt, readPatternRows, readValueRows, ValueRowsError, type PatternRow, type ValueRow } from './value-rows-reader.js';
import { FEATURE_PREFIX, PREDICTION_COLUMN, SCORE_COLUMN, sideRows, trafficFilter, type SideSource } from './sources.js';

export type Side = 0 | 1;
export type Counts = [reference: number, current: number];

export interface ColumnSelection {
  /** Feature names; null = every feature seen. */
  features: readonly string[] | null;
  prediction: boolean;
  score: boolean;
}

/**
 * How one side is read: its stored arrays in a table (`plain`: the table without FINAL,
 * for discovery, whose answers FINAL can only shrink), or sources.ts's rows (keys as names).
 */
export type SideQuery =
  | { kind: 'table'; table: SqlFragment; plain: SqlFragment; where: SqlFragment }
  | { kind: 'rows'; rows: SqlFragment };

/** The rows changed between counting them and reading them (a redelivery, a late event). */
export class RowsChangedError extends Error {
  override readonly name = 'RowsChangedError';
}

/** Numeric column ids in the stream: 0 = not selected, then prediction, score, features. */
const PREDICTION_ID = 1;
const SCORE_ID = 2;
const FIRST_FEATURE_ID = 3;
/** Rows per side whose feature names are collected up front; later names still arrive (see `unknown`). */
const DISCOVERY_ROWS = 20_000;
const NOTHING = new SqlFragment('');

export function sideQuery(source: SideSource, side: Side, deduplicate: boolean): SideQuery {
  if (source.kind === 'traffic' && source.withFeatureLogs) return { kind: 'rows', rows: sideRows(source, side) };
  if (source.kind === 'traffic') {
    return { kind: 'table', table: new SqlFragment(deduplicate ? 'predictions FINAL' : 'predictions'), plain: new SqlFragment('predictions'), where: trafficFilter(source) };
  }
  const table = new SqlFragment('reference_rows');
  return { kind: 'table', table, plain: table, where: fragment`dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId}` };
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

function sampleFeatureNamesSql(queries: readonly SideQuery[]): string {
  const parts = queries.map((query) =>
    query.kind === 'table'
      ? fragment`SELECT num_feature_names AS names FROM ${query.table} WHERE ${query.where} LIMIT ${DISCOVERY_ROWS}`
      : fragment`SELECT arrayMap(n -> substring(n, ${FEATURE_PREFIX.length + 1}, length(n) - ${FEATURE_PREFIX.length}), arrayFilter(n -> startsWith(n, ${FEATURE_PREFIX}), num_names)) AS names FROM (${query.rows}) LIMIT ${DISCOVERY_ROWS}`,
  );
  return sql`SELECT DISTINCT name FROM (${union(parts)}) ARRAY JOIN names AS name ORDER BY name`;
}

/** Distinct feature-name lists a side may have and still be read by pattern. */
export const MAX_PATTERNS = 256;
/** Patterns whose names one discovery query fetches. */
const PATTERNS_PER_QUERY = 64;

/** A pattern as column-streams ships it: the UInt64 as two 32-bit halves. */
function patternHalves(pattern: string): [low: number, high: number] {
  const value = BigInt(pattern);
  return [Number(value & 0xffffffffn), Number(value >> 32n)];
}

export interface FeatureDiscovery {
  /** Every feature name found, sorted. */
  names: string[];
  /** Per side: the names of each pattern (decimal UInt64 text), or null when the side is read by id. */
  patterns: [Map<string, string[]> | null, Map<string, string[]> | null];
}

/** Distinct patterns per table side, at most MAX_PATTERNS + 1 each (one more says "too many"). */
async function distinctPatterns(client: ClickHouseClient, queries: readonly [SideQuery, SideQuery]): Promise<[string[], string[]]> {
  const found: [string[], string[]] = [[], []];
  const parts: SqlFragment[] = [];
  for (const side of [0, 1] as const) {
    const query = queries[side];
    if (query.kind === 'table') parts.push(fragment`SELECT DISTINCT ${sideLabel(side)} AS side, num_names_hash AS pattern FROM ${query.plain} WHERE ${query.where}`);
  }
  if (parts.length === 0) return found;
  const rows = await queryRows<{ side: number; pattern: string }>(client, sql`SELECT side, toString(pattern) AS pattern FROM (${union(parts)}) LIMIT ${MAX_PATTERNS + 1} BY side`);
  for (const row of rows) found[Number(row.side) as Side].push(row.pattern);
  return found;
}

function patternLiteral(pattern: string): SqlFragment {
  if (!/^\d{1,20}$/.test(pattern)) throw new Error(`unexpected feature pattern ${JSON.stringify(pattern)} from the server`);
  return new SqlFragment(pattern);
}

/** The names of the patterns that feature_patterns holds (migration 0007 keeps it as rows arrive). */
async function storedPatternNames(client: ClickHouseClient, patterns: readonly string[]): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  if (patterns.length === 0) return names;
  const list = new SqlFragment(patterns.map((pattern) => patternLiteral(pattern).text).join(', '));
  // Not aliased `pattern`: in ClickHouse an alias shadows the column in WHERE too.
  const rows = await queryRows<{ hash: string; names: string[] }>(
    client,
    sql`SELECT toString(pattern) AS hash, any(names) AS names FROM feature_patterns WHERE pattern IN (${list}) GROUP BY pattern`,
  );
  for (const row of rows) names.set(row.hash, row.names);
  return names;
}

/**
 * The names of patterns feature_patterns lacks (rows stored before migration 0007), from one
 * row each: PREWHERE reads names only where the pattern is, but each pattern costs a scan.
 */
async function scannedPatternNames(client: ClickHouseClient, query: Extract<SideQuery, { kind: 'table' }>, patterns: readonly string[]): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  for (let start = 0; start < patterns.length; start += PATTERNS_PER_QUERY) {
    const parts = patterns
      .slice(start, start + PATTERNS_PER_QUERY)
      .map((pattern) => fragment`SELECT toString(num_names_hash) AS pattern, num_feature_names AS names FROM ${query.plain} PREWHERE num_names_hash = ${patternLiteral(pattern)} WHERE ${query.where} LIMIT 1`);
    for (const row of await queryRows<{ pattern: string; names: string[] }>(client, sql`${union(parts)}`)) names.set(row.pattern, row.names);
  }
  return names;
}

/**
 * The feature names of both sides (when `wanted` is null) and each side's patterns. Every
 * pattern present is found, so a table side read by pattern needs no sample; a pattern
 * that appears later means new rows, which the row counts catch anyway.
 */
export async function discoverFeatures(client: ClickHouseClient, queries: readonly [SideQuery, SideQuery], wanted: readonly string[] | null): Promise<FeatureDiscovery> {
  const patterns: FeatureDiscovery['patterns'] = [null, null];
  const distinct = await distinctPatterns(client, queries);
  const sampled: SideQuery[] = [];
  const byPattern = ([0, 1] as const).filter((side) => queries[side].kind === 'table' && distinct[side].length <= MAX_PATTERNS);
  for (const side of [0, 1] as const) if (!byPattern.includes(side)) sampled.push(queries[side]);
  const stored = await storedPatternNames(client, [...new Set(byPattern.flatMap((side) => distinct[side]))]);
  await Promise.all(
    byPattern.map(async (side) => {
      const query = queries[side] as Extract<SideQuery, { kind: 'table' }>;
      const found = new Map<string, string[]>();
      const missing: string[] = [];
      for (const pattern of distinct[side]) {
        const names = stored.get(pattern);
        if (names === undefined) missing.push(pattern);
        else found.set(pattern, names);
      }
      for (const [pattern, names] of await scannedPatternNames(client, query, missing)) found.set(pattern, names);
      patterns[side] = found;
    }),
  );
  if (wanted !== null) return { names: [...new Set(wanted)].sort(), patterns };
  const names = new Set<string>();
  for (const map of patterns) for (const list of map?.values() ?? []) for (const name of list) names.add(name);
  if (sampled.length > 0) for (const row of await queryRows<{ name: string }>(client, sampleFeatureNamesSql(sampled))) names.add(row.name);
  return { names: [...names].sort(), patterns };
}

// Tag bits of a row read by pattern (see value-rows-reader.ts): bit 0 side, then the appended columns.
const PREDICTION_APPENDED = 1;
const SCORE_APPENDED = 2;

/** SQL for one table side of the numeric stream read by pattern: per row, tag, pattern, values. */
function numericSideByPattern(side: Side, query: Extract<SideQuery, { kind: 'table' }>, selection: ColumnSelection): SqlFragment {
  const tag = [`${side}`];
  const values = [fragment`num_feature_values`];
  if (selection.prediction) {
    tag.push(`${2 * PREDICTION_APPENDED} * (prediction_kind = 'number')`);
    values.push(fragment`if(prediction_kind = 'number', [prediction_num], emptyArrayFloat64())`);
  }
  if (selection.score) {
    tag.push(`${2 * SCORE_APPENDED} * (NOT isNull(score))`);
    values.push(fragment`if(isNull(score), emptyArrayFloat64(), [ifNull(score, 0)])`);
  }
  const vs = values.length === 1 ? values[0]! : new SqlFragment(`arrayConcat(${values.map((part) => part.text).join(', ')})`);
  return fragment`SELECT toUInt8(${new SqlFragment(tag.join(' + '))}) AS tag, num_names_hash AS pattern, ${vs} AS vs FROM ${query.table} WHERE ${query.where}`;
}

/**
 * Column ids of the rows of each pattern, per combination of appended columns, built on
 * first use. Rows of one pattern mostly come in runs, so the last one found is kept at hand.
 */
class PatternIds {
  private readonly byLow = new Map<number, Array<{ high: number; names: readonly string[]; ids: Array<Uint16Array | undefined> }>>();
  private last: { low: number; high: number; extras: number; ids: Uint16Array } | null = null;

  constructor(patterns: ReadonlyMap<string, readonly string[]>, private readonly idOfName: ReadonlyMap<string, number>) {
    for (const [pattern, names] of patterns) {
      const [low, high] = patternHalves(pattern);
      const entries = this.byLow.get(low) ?? [];
      entries.push({ high, names, ids: [] });
      this.byLow.set(low, entries);
    }
  }

  /** The row's column ids; null when its pattern was not discovered (rows came in between). */
  of(row: PatternRow): Uint16Array | null {
    const last = this.last;
    if (last !== null && last.low === row.patternLow && last.high === row.patternHigh && last.extras === row.extras) return last.ids;
    const entry = this.byLow.get(row.patternLow)?.find((candidate) => candidate.high === row.patternHigh);
    if (entry === undefined) return null;
    let ids = entry.ids[row.extras];
    if (ids === undefined) {
      const list = entry.names.map((name) => this.idOfName.get(name) ?? 0);
      if ((row.extras & PREDICTION_APPENDED) !== 0) list.push(PREDICTION_ID);
      if ((row.extras & SCORE_APPENDED) !== 0) list.push(SCORE_ID);
      ids = entry.ids[row.extras] = Uint16Array.from(list);
    }
    this.last = { low: row.patternLow, high: row.patternHigh, extras: row.extras, ids };
    return ids;
  }
}

/** SQL for one side of the numeric stream read by id: per row, side, column ids, values (and unknown names). */
function numericSideById(side: Side, query: SideQuery, names: readonly string[], selection: ColumnSelection): SqlFragment {
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
  discovery: FeatureDiscovery,
  selection: ColumnSelection,
  spill: ColumnSpill,
): Promise<NumericStream> {
  const { names } = discovery;
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
  const blocks = [new RowBlock(spill, 0), new RowBlock(spill, 1)] as const;
  const onPatternRow = (patternIds: PatternIds) => (row: PatternRow): void => {
    const ids = patternIds.of(row);
    if (ids === null) throw new RowsChangedError('rows with feature names not seen at discovery arrived during the analysis; retry the window');
    if (ids.length !== row.count) throw new ValueRowsError(`value stream row has ${row.count} values for ${ids.length} columns`);
    rows[row.side]++;
    blocks[row.side].add(ids, row.view, row.valuesAt);
  };
  // One query per side, read at the same time: each gets its own server thread for
  // formatting, which is what limits a single stream on 18.16.
  await Promise.all(
    ([0, 1] as const).map(async (side) => {
      const query = queries[side];
      const patterns = discovery.patterns[side];
      const byPattern = query.kind === 'table' && patterns !== null;
      const result = await client.exec({
        query: `${(byPattern ? numericSideByPattern(side, query, selection) : numericSideById(side, query, names, selection)).text} FORMAT RowBinary`,
        clickhouse_settings: { enable_http_compression: 0 },
      });
      const stream = result.stream as AsyncIterable<Buffer>;
      if (byPattern) {
        await readPatternRows(stream, onPatternRow(new PatternIds(patterns, idOfName)));
        blocks[side].flush();
      } else await readValueRows(stream, selection.features === null, onRow(query.kind === 'rows'));
    }),
  );
  await spill.finish();
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


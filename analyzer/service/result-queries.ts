/**
 * Reading stored results back, shaped for the UI and for alerting: per (monitor, segment)
 * the window summaries, and per column or metric a time series. Only the newest run of
 * each (monitor, window, segment) counts, so a re-run replaces what an older run wrote.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { fragment, identifier, sql, SqlFragment } from '../../storage/sql.js';

export interface ResultFilter {
  modelId: string;
  monitorId?: string;
  modelVersion?: string;
  /** undefined: whole traffic only; {name}: every value of that segment; {name, value}: one. */
  segment?: { name: string; value?: string };
  column?: string;
  /** Epoch ms on window_start, [from, to). */
  from?: number;
  to?: number;
  /** Newest windows kept (per monitor and segment); the rest are older. */
  limit: number;
}

function conditions(filter: ResultFilter): SqlFragment {
  const parts: SqlFragment[] = [fragment`model_id = ${filter.modelId}`];
  if (filter.monitorId !== undefined) parts.push(fragment`monitor_id = ${filter.monitorId}`);
  if (filter.modelVersion !== undefined) parts.push(fragment`model_version = ${filter.modelVersion}`);
  if (filter.segment === undefined) parts.push(fragment`segment_name = ''`);
  else {
    parts.push(fragment`segment_name = ${filter.segment.name}`);
    if (filter.segment.value !== undefined) parts.push(fragment`segment_value = ${filter.segment.value}`);
  }
  if (filter.from !== undefined) parts.push(fragment`window_start >= toDateTime(${Math.floor(filter.from / 1000)})`);
  if (filter.to !== undefined) parts.push(fragment`window_start < toDateTime(${Math.floor(filter.to / 1000)})`);
  return new SqlFragment(parts.map((part) => part.text).join(' AND '));
}

/** (monitor, window, segment, run) of the newest run of every window matching the filter. */
function latestRuns(filter: ResultFilter): SqlFragment {
  return fragment`(monitor_id, window_start, segment_name, segment_value, run_id) IN (
    SELECT monitor_id, window_start, segment_name, segment_value, argMax(run_id, computed_ms)
    FROM window_results WHERE ${conditions(filter)}
    GROUP BY monitor_id, window_start, segment_name, segment_value)`;
}

const iso = (seconds: number | string): string => new Date(Number(seconds) * 1000).toISOString();
const iso0 = (seconds: number | string): string | null => (Number(seconds) === 0 ? null : iso(seconds));
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export interface WindowSummaryView {
  monitor_id: string;
  model_version: string | null;
  segment: { name: string; value: string } | null;
  window_start: string;
  window_end: string;
  status: string;
  message: string;
  reference: { kind: string; description: string; from: string | null; to: string | null; count: number };
  current_count: number;
  expected_count: number | null;
  volume_change: number | null;
  tested_columns: number;
  drifted_columns: number;
  drift_share: number | null;
  dataset_drifted: boolean;
  run_id: string;
  computed_at: string;
}

function segmentOf(row: Record<string, unknown>): { name: string; value: string } | null {
  return row.segment_name === '' ? null : { name: String(row.segment_name), value: String(row.segment_value) };
}

export async function windowSummaries(client: ClickHouseClient, filter: ResultFilter): Promise<WindowSummaryView[]> {
  const rows = await queryRows<Record<string, unknown>>(
    client,
    sql`SELECT *, toUInt32(window_start) AS ws, toUInt32(window_end) AS we, toUInt32(reference_from) AS rf, toUInt32(reference_to) AS rt
        FROM window_results FINAL WHERE ${conditions(filter)} AND ${latestRuns(filter)}
        ORDER BY monitor_id, segment_name, segment_value, window_start DESC LIMIT ${filter.limit} BY monitor_id, segment_name, segment_value`,
  );
  return rows.reverse().map((row) => ({
    monitor_id: String(row.monitor_id),
    model_version: row.model_version === '' ? null : String(row.model_version),
    segment: segmentOf(row),
    window_start: iso(row.ws as number),
    window_end: iso(row.we as number),
    status: String(row.status),
    message: String(row.message),
    reference: {
      kind: String(row.reference_kind),
      description: String(row.reference_description),
      from: iso0(row.rf as number),
      to: iso0(row.rt as number),
      count: Number(row.reference_count),
    },
    current_count: Number(row.current_count),
    expected_count: num(row.expected_count),
    volume_change: num(row.volume_change),
    tested_columns: Number(row.tested_columns),
    drifted_columns: Number(row.drifted_columns),
    drift_share: num(row.drift_share),
    dataset_drifted: Number(row.dataset_drifted) === 1,
    run_id: String(row.run_id),
    computed_at: new Date(Number(row.computed_ms)).toISOString(),
  })).sort((a, b) => (a.monitor_id < b.monitor_id ? -1 : a.monitor_id > b.monitor_id ? 1 : a.window_start < b.window_start ? -1 : a.window_start > b.window_start ? 1 : 0));
}

/**
 * The newest `filter.limit` windows of every (monitor, segment, series key) of a per-window
 * result table, oldest first, grouped into series: one query and one grouping for drift
 * (keyed by column) and performance (keyed by metric).
 */
async function seriesRows<S extends { points: P[] }, P>(
  client: ClickHouseClient, filter: ResultFilter, table: 'drift_results' | 'performance_results', keyColumn: 'column_name' | 'metric',
  start: (row: Record<string, unknown>) => S, point: (row: Record<string, unknown>) => P,
): Promise<S[]> {
  const key = identifier(keyColumn);
  const only = filter.column === undefined ? fragment`1` : fragment`${key} = ${filter.column}`;
  const rows = await queryRows<Record<string, unknown>>(
    client,
    sql`SELECT *, toUInt32(window_start) AS ws, toUInt32(window_end) AS we FROM ${identifier(table)} FINAL
        WHERE ${conditions(filter)} AND ${only} AND ${latestRuns(filter)}
        ORDER BY monitor_id, segment_name, segment_value, ${key}, window_start DESC
        LIMIT ${filter.limit} BY monitor_id, segment_name, segment_value, ${key}`,
  );
  const series = new Map<string, S>();
  for (const row of rows.reverse()) {
    const id = JSON.stringify([row.monitor_id, row.segment_name, row.segment_value, row[keyColumn]]);
    let entry = series.get(id);
    if (entry === undefined) {
      entry = start(row);
      series.set(id, entry);
    }
    entry.points.push(point(row));
  }
  return [...series.values()];
}

const DRIFT_METRICS = [
  'psi', 'jensen_shannon', 'ks_statistic', 'ks_p_value', 'chi_square_statistic', 'chi_square_p_value', 'wasserstein', 'wasserstein_normed',
  'p_value', 'adjusted_p_value', 'missing_share', 'reference_missing_share', 'out_of_range_share', 'unseen_share',
] as const;

export interface DriftPoint {
  window_start: string;
  window_end: string;
  drifted: boolean;
  effects_passed: string[];
  reference_count: number;
  current_count: number;
  metrics: Record<(typeof DRIFT_METRICS)[number], number | null>;
  ks_method: string | null;
  notes: string[];
  histogram?: { bin_edges: number[]; categories: string[]; reference_counts: number[]; current_counts: number[] };
}

export interface DriftSeries {
  monitor_id: string;
  segment: { name: string; value: string } | null;
  column: string;
  role: string;
  kind: string;
  points: DriftPoint[];
}

export async function driftSeries(client: ClickHouseClient, filter: ResultFilter, withHistograms: boolean): Promise<DriftSeries[]> {
  const series = await seriesRows<DriftSeries, DriftPoint>(
    client, filter, 'drift_results', 'column_name',
    (row) => ({ monitor_id: String(row.monitor_id), segment: segmentOf(row), column: String(row.column_name), role: String(row.column_role), kind: String(row.column_kind), points: [] }),
    (row) => ({
      window_start: iso(row.ws as number),
      window_end: iso(row.we as number),
      drifted: Number(row.drifted) === 1,
      effects_passed: row.effects_passed as string[],
      reference_count: Number(row.reference_count),
      current_count: Number(row.current_count),
      metrics: Object.fromEntries(DRIFT_METRICS.map((name) => [name, num(row[name])])) as DriftPoint['metrics'],
      ks_method: row.ks_method === '' ? null : String(row.ks_method),
      notes: row.notes as string[],
      ...(withHistograms ? {
        histogram: {
          bin_edges: (row.bin_edges as unknown[]).map(Number),
          categories: row.categories as string[],
          reference_counts: (row.reference_counts as unknown[]).map(Number),
          current_counts: (row.current_counts as unknown[]).map(Number),
        },
      } : {}),
    }),
  );
  return series.sort((a, b) => (a.monitor_id + a.column < b.monitor_id + b.column ? -1 : 1));
}

export interface PerformancePoint {
  window_start: string;
  window_end: string;
  status: string;
  value: number | null;
  reference_value: number | null;
  decay: number | null;
  relative_decay: number | null;
  prediction_count: number;
  labeled_count: number;
  label_coverage: number | null;
  reference_labeled_count: number;
  note: string;
}

export interface PerformanceSeries {
  monitor_id: string;
  segment: { name: string; value: string } | null;
  task: string;
  metric: string;
  points: PerformancePoint[];
}

export async function performanceSeries(client: ClickHouseClient, filter: ResultFilter): Promise<PerformanceSeries[]> {
  return seriesRows<PerformanceSeries, PerformancePoint>(
    client, filter, 'performance_results', 'metric',
    (row) => ({ monitor_id: String(row.monitor_id), segment: segmentOf(row), task: String(row.task), metric: String(row.metric), points: [] }),
    (row) => ({
      window_start: iso(row.ws as number),
      window_end: iso(row.we as number),
      status: String(row.status),
      value: num(row.value),
      reference_value: num(row.reference_value),
      decay: num(row.decay),
      relative_decay: num(row.relative_decay),
      prediction_count: Number(row.prediction_count),
      labeled_count: Number(row.labeled_count),
      label_coverage: num(row.label_coverage),
      reference_labeled_count: Number(row.reference_labeled_count),
      note: String(row.note),
    }),
  );
}

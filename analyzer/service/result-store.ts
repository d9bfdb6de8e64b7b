/**
 * Rows of window_results, drift_results and performance_results from one analysed window.
 * A re-run writes the same keys with a newer computed_ms and run_id; readers keep the
 * newest run of each (window, segment), so re-running replaces, whatever columns changed.
 */
import type { ColumnDecision, RunDecision } from '../stats/index.js';
import { insertRowBinary } from '../../ingest/event-writer.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { encodeRows, rowEncoder, type ColumnSpec } from '../../storage/row-binary.js';
import type { ColumnResult } from './column-drift.js';
import type { SegmentFilter } from './sources.js';

export interface WindowKey {
  monitorId: string;
  modelId: string;
  /** '' = every version. */
  modelVersion: string;
  segment: SegmentFilter | null;
  windowStart: number;
  windowEnd: number;
  runId: string;
  computedMs: number;
}

export type WindowStatus = 'ok' | 'insufficient_data' | 'no_reference';

export interface WindowSummary {
  status: WindowStatus;
  message: string;
  referenceKind: string;
  referenceDescription: string;
  referenceFrom: number | null;
  referenceTo: number | null;
  referenceCount: number;
  currentCount: number;
  expectedCount: number | null;
  volumeChange: number | null;
  decision: RunDecision | null;
}

export interface PerformanceMetricRow {
  task: 'classification' | 'regression';
  metric: string;
  status: 'ok' | 'insufficient_labels' | 'undefined';
  value: number | null;
  referenceValue: number | null;
  decay: number | null;
  relativeDecay: number | null;
  predictionCount: number;
  labeledCount: number;
  labelCoverage: number | null;
  referenceLabeledCount: number;
  note: string;
}

export interface WindowResults {
  key: WindowKey;
  summary: WindowSummary;
  columns: ColumnResult[];
  performance: PerformanceMetricRow[];
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function keyColumns(key: WindowKey): Record<string, unknown> {
  return {
    monitor_id: key.monitorId,
    model_id: key.modelId,
    model_version: key.modelVersion,
    segment_name: key.segment?.name ?? '',
    segment_value: key.segment?.value ?? '',
    window_start: seconds(key.windowStart),
    window_end: seconds(key.windowEnd),
    run_id: key.runId,
    computed_ms: key.computedMs,
  };
}

export function windowRow(key: WindowKey, summary: WindowSummary): Record<string, unknown> {
  return {
    ...keyColumns(key),
    status: summary.status,
    message: summary.message,
    reference_kind: summary.referenceKind,
    reference_description: summary.referenceDescription,
    reference_from: seconds(summary.referenceFrom ?? 0),
    reference_to: seconds(summary.referenceTo ?? 0),
    reference_count: summary.referenceCount,
    current_count: summary.currentCount,
    expected_count: summary.expectedCount,
    volume_change: summary.volumeChange,
    tested_columns: summary.decision?.testedColumns ?? 0,
    drifted_columns: summary.decision?.driftedColumns ?? 0,
    drift_share: summary.decision?.driftShare ?? null,
    dataset_drifted: summary.decision?.datasetDrifted ? 1 : 0,
  };
}

export function driftRow(key: WindowKey, column: ColumnResult, decision: ColumnDecision | undefined): Record<string, unknown> {
  const { metrics } = column;
  const numeric = metrics.kind === 'numeric' ? metrics : null;
  const categorical = metrics.kind === 'categorical' ? metrics : null;
  return {
    ...keyColumns(key),
    column_name: column.name,
    column_role: column.role,
    column_kind: metrics.kind,
    reference_count: metrics.profile.referenceCount,
    current_count: metrics.profile.currentCount,
    reference_missing: metrics.profile.referenceMissing,
    current_missing: metrics.profile.currentMissing,
    reference_type_errors: metrics.profile.referenceTypeErrors,
    current_type_errors: metrics.profile.currentTypeErrors,
    missing_share: metrics.profile.missingShare,
    reference_missing_share: metrics.profile.referenceMissingShare,
    out_of_range_share: metrics.profile.outOfRangeShare,
    unseen_share: categorical?.unseenShare ?? null,
    ks_statistic: numeric?.ksStatistic ?? null,
    ks_p_value: numeric?.ksPValue ?? null,
    ks_method: numeric?.ksMethod ?? '',
    chi_square_statistic: categorical?.chiSquareStatistic ?? null,
    chi_square_dof: categorical?.chiSquareDegreesOfFreedom ?? null,
    chi_square_p_value: categorical?.chiSquarePValue ?? null,
    psi: metrics.psi,
    jensen_shannon: metrics.jensenShannon,
    wasserstein: numeric?.wasserstein ?? null,
    wasserstein_normed: numeric?.wassersteinNormed ?? null,
    p_value: decision?.pValue ?? null,
    adjusted_p_value: decision?.adjustedPValue ?? null,
    drifted: decision?.drifted ? 1 : 0,
    effects_passed: decision?.effectsPassed ?? [],
    bin_edges: numeric?.binEdges ?? [],
    categories: column.categories?.map((category) => category.category) ?? [],
    reference_counts: numeric?.referenceBinCounts ?? column.categories?.map((category) => category.referenceCount) ?? [],
    current_counts: numeric?.currentBinCounts ?? column.categories?.map((category) => category.currentCount) ?? [],
    notes: metrics.notes,
  };
}

export function performanceRow(key: WindowKey, metric: PerformanceMetricRow): Record<string, unknown> {
  return {
    ...keyColumns(key),
    task: metric.task,
    metric: metric.metric,
    status: metric.status,
    value: metric.value,
    reference_value: metric.referenceValue,
    decay: metric.decay,
    relative_decay: metric.relativeDecay,
    prediction_count: metric.predictionCount,
    labeled_count: metric.labeledCount,
    label_coverage: metric.labelCoverage,
    reference_labeled_count: metric.referenceLabeledCount,
    note: metric.note,
  };
}

type ResultRow = Record<string, unknown>;
const N = 'Nullable(Float64)' as const;

const KEY_SPEC: ReadonlyArray<ColumnSpec<ResultRow>> = [
  ['monitor_id', 'String'], ['model_id', 'String'], ['model_version', 'String'], ['segment_name', 'String'], ['segment_value', 'String'],
  ['window_start', 'DateTime'], ['window_end', 'DateTime'], ['run_id', 'String'], ['computed_ms', 'UInt64'],
];

// Column order and types as in schemas/migrations/0003_monitors.sql.
const WINDOW_SPEC: ReadonlyArray<ColumnSpec<ResultRow>> = [
  ...KEY_SPEC, ['status', { enum8: { ok: 1, insufficient_data: 2, no_reference: 3 } }], ['message', 'String'],
  ['reference_kind', 'String'], ['reference_description', 'String'], ['reference_from', 'DateTime'], ['reference_to', 'DateTime'],
  ['reference_count', 'UInt64'], ['current_count', 'UInt64'], ['expected_count', N], ['volume_change', N],
  ['tested_columns', 'UInt32'], ['drifted_columns', 'UInt32'], ['drift_share', N], ['dataset_drifted', 'UInt8'],
];

const DRIFT_SPEC: ReadonlyArray<ColumnSpec<ResultRow>> = [
  ...KEY_SPEC, ['column_name', 'String'], ['column_role', { enum8: { feature: 1, prediction: 2, score: 3 } }],
  ['column_kind', { enum8: { numeric: 1, categorical: 2 } }],
  ['reference_count', 'UInt64'], ['current_count', 'UInt64'], ['reference_missing', 'UInt64'], ['current_missing', 'UInt64'],
  ['reference_type_errors', 'UInt64'], ['current_type_errors', 'UInt64'],
  ['missing_share', N], ['reference_missing_share', N], ['out_of_range_share', N], ['unseen_share', N],
  ['ks_statistic', N], ['ks_p_value', N], ['ks_method', 'String'], ['chi_square_statistic', N], ['chi_square_dof', N], ['chi_square_p_value', N],
  ['psi', N], ['jensen_shannon', N], ['wasserstein', N], ['wasserstein_normed', N], ['p_value', N], ['adjusted_p_value', N],
  ['drifted', 'UInt8'], ['effects_passed', 'Array(String)'], ['bin_edges', 'Array(Float64)'], ['categories', 'Array(String)'],
  ['reference_counts', 'Array(UInt64)'], ['current_counts', 'Array(UInt64)'], ['notes', 'Array(String)'],
];

const PERFORMANCE_SPEC: ReadonlyArray<ColumnSpec<ResultRow>> = [
  ...KEY_SPEC, ['task', { enum8: { classification: 1, regression: 2 } }], ['metric', 'String'],
  ['status', { enum8: { ok: 1, insufficient_labels: 2, undefined: 3 } }],
  ['value', N], ['reference_value', N], ['decay', N], ['relative_decay', N],
  ['prediction_count', 'UInt64'], ['labeled_count', 'UInt64'], ['label_coverage', N], ['reference_labeled_count', 'UInt64'], ['note', 'String'],
];

const ENCODERS = { window_results: rowEncoder(WINDOW_SPEC), drift_results: rowEncoder(DRIFT_SPEC), performance_results: rowEncoder(PERFORMANCE_SPEC) };

/**
 * RowBinary, not JSON: 18.16 parses some decimal doubles to a neighbouring value (a p-value
 * of 5.412819340871947e-100 came back as ...949e-100), and results must be stored exactly.
 */
async function insertRows(client: ClickHouseClient, table: keyof typeof ENCODERS, rows: ResultRow[]): Promise<void> {
  if (rows.length === 0) return;
  const encoder = ENCODERS[table];
  const { bytes, invalid } = encodeRows(encoder, rows);
  if (invalid.length > 0) throw new Error(`${table} row ${invalid[0]!.index} cannot be stored: ${invalid[0]!.message}`);
  await insertRowBinary(client, table, encoder.columns, bytes);
}

/**
 * Column and metric rows first, the window row last: a reader that sees the window row of
 * a run (it selects runs through window_results) sees all of that run's rows.
 */
export async function storeWindowResults(client: ClickHouseClient, results: readonly WindowResults[]): Promise<void> {
  const driftRows: ResultRow[] = [];
  const performanceRows: ResultRow[] = [];
  for (const result of results) {
    const decisions = new Map(result.summary.decision?.columns.map((decision) => [decision.name, decision]) ?? []);
    for (const column of result.columns) driftRows.push(driftRow(result.key, column, decisions.get(column.key)));
    for (const metric of result.performance) performanceRows.push(performanceRow(result.key, metric));
  }
  await insertRows(client, 'drift_results', driftRows);
  await insertRows(client, 'performance_results', performanceRows);
  await insertRows(client, 'window_results', results.map((result) => windowRow(result.key, result.summary)));
}

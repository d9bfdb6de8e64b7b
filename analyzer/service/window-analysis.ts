/**
 * One monitor, one window: resolve the reference, then for the whole traffic and each
 * configured segment value, count both sides, refuse to guess on too few events, and
 * compute drift, data quality, volume and accuracy. Returns the rows to store; storing
 * them is the caller's job.
 */
import { expectedCount, resolveReference, volumeChange, type Monitor, type ResolvedReference, type TimeWindow } from '../monitors/index.js';
import { decideRun } from '../stats/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { analyzeColumnDrift, countSideRows, type ColumnDriftOutput, type ColumnSelection } from './column-drift.js';
import { analyzeWindowPerformance } from './window-performance.js';
import { EMPTY_PROFILE, freezeReferenceProfile, isEmptyProfile, loadReferenceProfile } from './reference-profiles.js';
import type { PerformanceMetricRow, WindowResults, WindowSummary } from './result-store.js';
import { trafficFilter, type SegmentFilter, type SideSource } from './sources.js';

export interface DatasetLookup {
  /** The newest upload of a named dataset, or null when there is none. */
  (name: string): Promise<{ uploadId: string } | null>;
}

export interface WindowAnalysisContext {
  client: ClickHouseClient;
  findDataset: DatasetLookup;
  runId: string;
  nowMs: number;
}

function trafficSource(monitor: Monitor, modelVersion: string | null, from: number, to: number, segment: SegmentFilter | null, withFeatureLogs: boolean): SideSource {
  return { kind: 'traffic', modelId: monitor.modelId, modelVersion, from, to, segment, withFeatureLogs };
}

const FEATURE_LOG_MARGIN_MS = 86_400_000;

/** Whether the model logs features separately around these times (then sides join feature_logs). */
async function hasFeatureLogs(client: ClickHouseClient, modelId: string, from: number, to: number): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    client,
    sql`SELECT count() AS n FROM feature_logs WHERE model_id = ${modelId}
        AND ts >= toDateTime(${Math.max(0, Math.floor((from - FEATURE_LOG_MARGIN_MS) / 1000))}) AND ts < toDateTime(${Math.floor((to + FEATURE_LOG_MARGIN_MS) / 1000)})`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

async function segmentValues(client: ClickHouseClient, monitor: Monitor, window: TimeWindow): Promise<SegmentFilter[]> {
  const filters: SegmentFilter[] = [];
  for (const name of monitor.segments) {
    const where = trafficFilter({ kind: 'traffic', modelId: monitor.modelId, modelVersion: monitor.modelVersion, from: window.start, to: window.end, segment: null });
    const rows = await queryRows<{ value: string }>(
      client,
      sql`SELECT segment_values[indexOf(segment_names, ${name})] AS value, count() AS n FROM predictions FINAL
          WHERE ${where} AND has(segment_names, ${name}) GROUP BY value ORDER BY n DESC, value LIMIT ${monitor.maxSegmentValues}`,
    );
    for (const row of rows) filters.push({ name, value: row.value });
  }
  return filters;
}

function selection(monitor: Monitor): ColumnSelection {
  return { features: monitor.features, prediction: monitor.analyzePrediction, score: monitor.analyzeScore };
}

function referenceSpan(reference: ResolvedReference): { from: number | null; to: number | null } {
  return reference.kind === 'traffic' ? { from: reference.from, to: reference.to } : { from: null, to: null };
}

/** The reference of a window, its dataset side when it is an uploaded dataset, and the key its profile is frozen under. */
async function referenceOf(context: Pick<WindowAnalysisContext, 'findDataset'>, monitor: Monitor, window: TimeWindow) {
  const reference = resolveReference(monitor, window);
  let datasetSource: SideSource | null = null;
  let referenceKey = reference.key;
  if (reference.kind === 'dataset') {
    const dataset = await context.findDataset(reference.dataset);
    if (dataset !== null) {
      datasetSource = { kind: 'dataset', datasetName: reference.dataset, uploadId: dataset.uploadId };
      // A re-upload is new data: its bins are frozen anew.
      referenceKey = `${reference.key}:${dataset.uploadId}`;
    }
  }
  return { reference, datasetSource, referenceKey };
}

export type RegistrationFreeze = 'frozen' | 'already_frozen' | 'not_frozen_kind' | 'no_reference' | 'too_few_events';

/** Stores what this analysis computed for the columns that had nothing frozen yet. */
function freezeComputed(context: Pick<WindowAnalysisContext, 'client' | 'nowMs'>, profileKey: string, drift: ColumnDriftOutput): Promise<void> {
  return freezeReferenceProfile(context.client, profileKey, { edges: drift.computedEdges, categories: drift.computedCategories }, context.nowMs);
}

/**
 * Freezes the bin edges and categories of a fixed or dataset reference when its monitor is
 * registered, so events that later arrive inside a fixed range change neither. The whole
 * traffic only: segment values are known once windows are analysed, and each segment's
 * profile is frozen by the first analysis that sees it. Reads the reference on both sides
 * of one analysis.
 */
export async function freezeReferenceAtRegistration(context: Omit<WindowAnalysisContext, 'runId'>, monitor: Monitor): Promise<RegistrationFreeze> {
  // Fixed and dataset references do not depend on the window; any window resolves them.
  const window = { start: context.nowMs, end: context.nowMs + 1 };
  const { reference, datasetSource, referenceKey } = await referenceOf(context, monitor, window);
  if (!reference.frozen) return 'not_frozen_kind';
  if (!isEmptyProfile(await loadReferenceProfile(context.client, referenceKey))) return 'already_frozen';
  let side: SideSource | null = datasetSource;
  if (reference.kind === 'traffic') {
    const joinFeatureLogs = await hasFeatureLogs(context.client, monitor.modelId, reference.from, reference.to);
    side = trafficSource(monitor, reference.modelVersion, reference.from, reference.to, null, joinFeatureLogs);
  }
  if (side === null) return 'no_reference';
  const rows = await countSideRows(context.client, side, side);
  if (rows.reference < monitor.minEvents) return 'too_few_events';
  const drift = await analyzeColumnDrift(context.client, { reference: side, current: side, selection: selection(monitor), rows, frozen: EMPTY_PROFILE });
  await freezeComputed(context, referenceKey, drift);
  return 'frozen';
}

export async function analyzeWindow(context: WindowAnalysisContext, monitor: Monitor, window: TimeWindow): Promise<WindowResults[]> {
  const { reference, datasetSource, referenceKey } = await referenceOf(context, monitor, window);
  const segments: Array<SegmentFilter | null> = [null, ...(await segmentValues(context.client, monitor, window))];
  const span = reference.kind === 'traffic' ? { from: Math.min(reference.from, window.start), to: Math.max(reference.to, window.end) } : { from: window.start, to: window.end };
  const joinFeatureLogs = await hasFeatureLogs(context.client, monitor.modelId, span.from, span.to);
  const results: WindowResults[] = [];
  for (const segment of segments) {
    const current = trafficSource(monitor, monitor.modelVersion, window.start, window.end, segment, joinFeatureLogs);
    const referenceSource =
      reference.kind === 'traffic' ? trafficSource(monitor, reference.modelVersion, reference.from, reference.to, segment, joinFeatureLogs) : datasetSource;
    const key = {
      monitorId: monitor.id,
      modelId: monitor.modelId,
      modelVersion: monitor.modelVersion ?? '',
      segment,
      windowStart: window.start,
      windowEnd: window.end,
      runId: context.runId,
      computedMs: context.nowMs,
    };
    const summary: WindowSummary = {
      status: 'ok',
      message: '',
      referenceKind: reference.kind === 'dataset' ? 'dataset' : monitor.reference.type,
      referenceDescription: reference.description,
      referenceFrom: referenceSpan(reference).from,
      referenceTo: referenceSpan(reference).to,
      referenceCount: 0,
      currentCount: 0,
      expectedCount: null,
      volumeChange: null,
      decision: null,
    };
    let performance: PerformanceMetricRow[] = [];
    if (referenceSource === null) {
      summary.status = 'no_reference';
      summary.message = `reference dataset "${reference.kind === 'dataset' ? reference.dataset : ''}" has not been uploaded`;
      results.push({ key, summary, columns: [], performance });
      continue;
    }
    const rows = await countSideRows(context.client, referenceSource, current);
    summary.referenceCount = rows.reference;
    summary.currentCount = rows.current;
    summary.expectedCount = expectedCount(rows.reference, reference, window.end - window.start);
    summary.volumeChange = volumeChange(rows.current, summary.expectedCount);
    // Accuracy needs other queries than drift: both run at once.
    const pendingPerformance = analyzeWindowPerformance(context.client, monitor, referenceSource, current);
    pendingPerformance.catch(() => undefined); // awaited below; a drift failure must not leave it unhandled
    if (rows.reference === 0) {
      performance = await pendingPerformance;
      summary.status = 'no_reference';
      summary.message = `the reference (${reference.description}) holds no events`;
      results.push({ key, summary, columns: [], performance });
      continue;
    }
    if (rows.reference < monitor.minEvents || rows.current < monitor.minEvents) {
      performance = await pendingPerformance;
      summary.status = 'insufficient_data';
      summary.message = `too few events to compare: reference ${rows.reference}, current ${rows.current}, min_events ${monitor.minEvents}`;
      results.push({ key, summary, columns: [], performance });
      continue;
    }
    const profileKey = segment === null ? referenceKey : `${referenceKey}|${encodeURIComponent(segment.name)}=${encodeURIComponent(segment.value)}`;
    const frozen = reference.frozen ? await loadReferenceProfile(context.client, profileKey) : EMPTY_PROFILE;
    const drift = await analyzeColumnDrift(context.client, {
      reference: referenceSource, current, selection: selection(monitor), rows, frozen,
    });
    if (reference.frozen) {
      await freezeComputed(context, profileKey, drift);
      for (const column of drift.columns) {
        if (drift.categoriesTooManyToFreeze.includes(column.key)) {
          column.metrics.notes.push('too many reference categories to freeze: this column follows the reference rows, late events included');
        }
      }
    }
    summary.decision = decideRun(drift.columns.map((column) => ({ name: column.key, metrics: column.metrics })), monitor.thresholds);
    performance = await pendingPerformance;
    results.push({ key, summary, columns: drift.columns, performance });
  }
  return results;
}

/**
 * Accuracy of one window against its reference, from labels joined to predictions by
 * event_id. ClickHouse does the counting (confusion matrix, score histogram, log-loss and
 * error sums); analyzer/performance turns the aggregates into sklearn's numbers. The newest
 * label of an event wins (labels may be corrected), and a prediction counts once however
 * often it was delivered.
 */
import { CompensatedSum } from '../stats/compensated-sum.js';
import {
  classificationMetrics,
  logLossTerm,
  MAPE_EPSILON,
  metricDecay,
  regressionMetrics,
  type MetricValue,
} from '../performance/index.js';
import type { Monitor } from '../monitors/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { fragment, sql, type SqlFragment } from '../../storage/sql.js';
import type { PerformanceMetricRow } from './result-store.js';
import { trafficFilter, type SideSource } from './sources.js';

type Task = 'classification' | 'regression';

// Numbers become classes as JS String() writes them; `+ 0` folds -0 into 0, which would otherwise be a class of its own.
const PREDICTION_COLUMNS = fragment`if(prediction_kind = 'number', toString(prediction_num + 0), prediction_str) AS pred_cat, prediction_num AS pred_num, score`;

/** Predictions of a side (deduplicated), for the task and the coverage. */
function predictionsOf(source: SideSource): SqlFragment {
  if (source.kind === 'traffic') return fragment`SELECT event_id, ${PREDICTION_COLUMNS} FROM predictions FINAL WHERE ${trafficFilter(source)}`;
  return fragment`SELECT ${PREDICTION_COLUMNS} FROM reference_rows WHERE dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId} AND prediction_kind != 'none'`;
}

/** Labeled predictions of a side: pred_cat, pred_num, score, label_cat, label_num, label_is_num. */
function labeledOf(source: SideSource): SqlFragment {
  if (source.kind === 'dataset') {
    return fragment`SELECT ${PREDICTION_COLUMNS}, if(label_kind = 'number', toString(label_num + 0), label_str) AS label_cat, label_num, label_kind = 'number' AS label_is_num
      FROM reference_rows WHERE dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId} AND prediction_kind != 'none' AND label_kind != 'none'`;
  }
  const filter = trafficFilter(source);
  // Aliases differ from column names: 18.16 would read argMax(label_num, ...) AS label_num as nested aggregates.
  // ALL, not ANY: the right side has one row per event_id already, and on a current ClickHouse
  // (any_join_distinct_right_table_keys = 0) ANY INNER JOIN also keeps only one row per key of
  // the left side, which 18.16 does not: an event_id two versions share (shadow scoring) would
  // count once there and twice here.
  return fragment`SELECT pred_cat, pred_num, score, latest_cat AS label_cat, latest_num AS label_num, latest_is_num AS label_is_num
    FROM (${predictionsOf(source)}) AS predicted
    ALL INNER JOIN (
      SELECT event_id,
             argMax(if(label_kind = 'number', toString(label_num + 0), label_str), ingested_at) AS latest_cat,
             argMax(label_num, ingested_at) AS latest_num,
             argMax(label_kind = 'number', ingested_at) AS latest_is_num
      FROM labels WHERE model_id = ${source.modelId} AND event_id IN (SELECT event_id FROM predictions WHERE ${filter})
      GROUP BY event_id) AS labeled USING event_id`;
}

interface SideCounts {
  predictions: number;
  labeled: number;
}

interface TaskEvidence {
  categorical: number;
  scored: number;
  notBinaryNumbers: number;
}

async function taskEvidence(client: ClickHouseClient, source: SideSource): Promise<TaskEvidence> {
  const [row] = await queryRows<Record<string, string>>(
    client,
    sql`SELECT countIf(pred_cat != toString(pred_num + 0)) AS categorical, countIf(isNotNull(score)) AS scored, countIf(pred_cat NOT IN ('0', '1')) AS not_binary
        FROM (${predictionsOf(source)})`,
  );
  return { categorical: Number(row?.categorical ?? 0), scored: Number(row?.scored ?? 0), notBinaryNumbers: Number(row?.not_binary ?? 0) };
}

/** 'auto': classification when predictions are categories, carry a score, or are all 0/1. */
async function chooseTask(client: ClickHouseClient, monitor: Monitor, current: SideSource): Promise<Task> {
  if (monitor.performance.task !== 'auto') return monitor.performance.task;
  const evidence = await taskEvidence(client, current);
  return evidence.categorical > 0 || evidence.scored > 0 || evidence.notBinaryNumbers === 0 ? 'classification' : 'regression';
}

async function countLabeled(client: ClickHouseClient, source: SideSource): Promise<SideCounts> {
  const [predicted] = await queryRows<{ n: string }>(client, sql`SELECT count() AS n FROM (${predictionsOf(source)})`);
  const [labeled] = await queryRows<{ n: string }>(client, sql`SELECT count() AS n FROM (${labeledOf(source)})`);
  return { predictions: Number(predicted?.n ?? 0), labeled: Number(labeled?.n ?? 0) };
}

/** Without a configured class: '1' for 0/1 labels, 'true' for booleans, else macro averages. */
function positiveClassFor(monitor: Monitor, classes: ReadonlySet<string>): string | null {
  if (monitor.performance.positiveClass !== null) return monitor.performance.positiveClass;
  const within = (allowed: string[]) => [...classes].every((value) => allowed.includes(value));
  if (within(['0', '1'])) return '1';
  if (within(['false', 'true'])) return 'true';
  return null;
}

async function classificationValues(client: ClickHouseClient, source: SideSource, monitor: Monitor, positiveOverride?: string | null): Promise<{ metrics: MetricValue[]; positiveClass: string | null }> {
  const labeled = labeledOf(source);
  const confusion = await queryRows<{ label_cat: string; pred_cat: string; n: string }>(
    client,
    sql`SELECT label_cat, pred_cat, count() AS n FROM (${labeled}) GROUP BY label_cat, pred_cat`,
  );
  const classes = new Set(confusion.flatMap((cell) => [cell.label_cat, cell.pred_cat]));
  const positiveClass = positiveOverride !== undefined ? positiveOverride : positiveClassFor(monitor, classes);
  const input: Parameters<typeof classificationMetrics>[0] = {
    confusion: confusion.map((cell) => ({ label: cell.label_cat, prediction: cell.pred_cat, count: Number(cell.n) })),
    positiveClass,
  };
  if (positiveClass !== null) {
    const scores = await queryRows<{ s: number; p: string; q: string }>(
      client,
      sql`SELECT ifNull(score, 0) AS s, countIf(label_cat = ${positiveClass}) AS p, countIf(label_cat != ${positiveClass}) AS q
          FROM (${labeled}) WHERE isNotNull(score) GROUP BY s ORDER BY s`,
    );
    if (scores.length > 0) {
      const scoreCounts = scores.map((row) => ({ score: Number(row.s), positives: Number(row.p), negatives: Number(row.q) }));
      input.scoreCounts = scoreCounts;
      // From the score histogram: the same terms as sklearn's, summed here so the result has
      // the same bits on every ClickHouse version (server-side float sums vary in the last digit).
      input.logLoss = logLossFromScoreCounts(scoreCounts);
    }
  }
  return { metrics: classificationMetrics(input), positiveClass };
}

function logLossFromScoreCounts(counts: ReadonlyArray<{ score: number; positives: number; negatives: number }>): { sum: number; count: number } {
  const sum = new CompensatedSum();
  let count = 0;
  for (const { score, positives, negatives } of counts) {
    if (positives > 0) sum.add(positives * logLossTerm(score, true));
    if (negatives > 0) sum.add(negatives * logLossTerm(score, false));
    count += positives + negatives;
  }
  return { sum: sum.value, count };
}

async function regressionValues(client: ClickHouseClient, source: SideSource): Promise<MetricValue[]> {
  const [row] = await queryRows<Record<string, number | string>>(
    client,
    sql`SELECT count() AS n, sumKahan(abs(pred_num - label_num)) AS abs_error, sumKahan((pred_num - label_num) * (pred_num - label_num)) AS squared_error,
               sumKahan(abs(pred_num - label_num) / greatest(abs(label_num), ${MAPE_EPSILON})) AS percentage_error,
               countIf(abs(label_num) < ${MAPE_EPSILON}) AS near_zero
        FROM (${labeledOf(source)}) WHERE label_is_num = 1 AND pred_cat = toString(pred_num + 0)`,
  );
  return regressionMetrics({
    count: Number(row?.n ?? 0),
    sumAbsoluteError: Number(row?.abs_error ?? 0),
    sumSquaredError: Number(row?.squared_error ?? 0),
    sumAbsolutePercentageError: Number(row?.percentage_error ?? 0),
    nearZeroLabelCount: Number(row?.near_zero ?? 0),
  });
}

export async function analyzeWindowPerformance(
  client: ClickHouseClient,
  monitor: Monitor,
  reference: SideSource,
  current: SideSource,
): Promise<PerformanceMetricRow[]> {
  const [currentCounts, referenceCounts] = await Promise.all([countLabeled(client, current), countLabeled(client, reference)]);
  if (currentCounts.predictions === 0) return [];
  const task = await chooseTask(client, monitor, current);
  const minLabels = monitor.performance.minLabels;
  let currentMetrics: MetricValue[];
  let referenceMetrics: MetricValue[] | null = null;
  if (task === 'classification') {
    const computed = await classificationValues(client, current, monitor);
    currentMetrics = computed.metrics;
    // The reference is scored with the same positive class, so the two are comparable.
    if (referenceCounts.labeled >= minLabels) referenceMetrics = (await classificationValues(client, reference, monitor, computed.positiveClass)).metrics;
  } else {
    currentMetrics = await regressionValues(client, current);
    if (referenceCounts.labeled >= minLabels) referenceMetrics = await regressionValues(client, reference);
  }
  const enoughLabels = currentCounts.labeled >= minLabels;
  const coverage = currentCounts.labeled / currentCounts.predictions;
  return currentMetrics.map((metric): PerformanceMetricRow => {
    const value = enoughLabels ? metric.value : null;
    const referenceValue = referenceMetrics?.find((candidate) => candidate.name === metric.name)?.value ?? null;
    const { decay, relativeDecay } = metricDecay(metric.name, referenceValue, value);
    return {
      task,
      metric: metric.name,
      status: !enoughLabels ? 'insufficient_labels' : value === null ? 'undefined' : 'ok',
      value,
      referenceValue,
      decay,
      relativeDecay,
      predictionCount: currentCounts.predictions,
      labeledCount: currentCounts.labeled,
      labelCoverage: coverage,
      referenceLabeledCount: referenceCounts.labeled,
      note: !enoughLabels
        ? `insufficient labels: ${currentCounts.labeled} of ${currentCounts.predictions} predictions labeled, min_labels ${minLabels}`
        : metric.note ?? '',
    };
  });
}

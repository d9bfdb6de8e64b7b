/**
 * One rule against one analysed window of one model: which alert instances it touches,
 * whether each one's condition is breached, the value compared and the figures worth
 * showing next to it. Pure; the stored results come in as the views of
 * analyzer/service/result-queries.ts.
 *
 * An alert instance is (rule, model, version, monitor, segment, column): one per column
 * for column metrics, one per window otherwise. Its `breached` is:
 *  - true / false: the value was compared with the threshold;
 *  - false with `absent`: a column (or performance metric) the rule tracked is not in an
 *    analysed window that has other columns: it is gone (feature removed from the model),
 *    so, as in Prometheus, its alert resolves (after keep_firing_for);
 *  - null, with `noData` saying why: there is nothing to compare (a null value, too few
 *    labels, a window with too few events). No data holds the alert where it is; see
 *    alerting/state/machine.ts and docs/alerting.md.
 */
import type { DriftPoint, DriftSeries, PerformancePoint, PerformanceSeries, WindowSummaryView } from '../../analyzer/service/result-queries.js';
import type { ComparisonOperator } from '../notification.js';
import { LABEL_METRICS, type Rule } from './definition.js';

export interface ColumnObservation {
  column: string;
  role: string;
  kind: string;
  point: DriftPoint;
}

export interface PerformanceObservation {
  metric: string;
  task: string;
  point: PerformancePoint;
}

/** Everything stored for one analysed (monitor, segment, window) of one model. */
export interface ModelObservation {
  modelId: string;
  summary: WindowSummaryView;
  columns: ColumnObservation[];
  performance: PerformanceObservation[];
}

/** What one notification is about: a rule on one (model, version, monitor, segment). */
export interface AlertGroup {
  ruleId: string;
  modelId: string;
  /** null: the monitor watches every version together. */
  modelVersion: string | null;
  monitorId: string;
  segment: { name: string; value: string } | null;
}

export type Details = Record<string, number | string | null>;

export interface InstanceEvaluation {
  /** Stable identity of the alert instance: rule, model, version, monitor, segment, column. */
  key: string;
  /** null for window and performance rules. */
  column: string | null;
  /** What was compared: the metric, or `accuracy.decay` for a model-quality value field other than value. */
  metric: string;
  value: number | null;
  breached: boolean | null;
  /** Why breached is null; null otherwise. */
  noData: string | null;
  /** The tracked column or metric is not in this analysed window (breached is false). */
  absent: boolean;
  details: Details;
}

export interface RuleEvaluation {
  group: AlertGroup;
  groupKey: string;
  /** The analysed window's start (epoch ms): the evaluation's identity for the state machine. */
  at: number;
  window: { start: number; end: number };
  reference: { kind: string; description: string };
  instances: InstanceEvaluation[];
}

export function groupKey(group: AlertGroup): string {
  return JSON.stringify([group.ruleId, group.modelId, group.modelVersion, group.monitorId, group.segment?.name ?? null, group.segment?.value ?? null]);
}

export function instanceKey(group: AlertGroup, column: string | null): string {
  return JSON.stringify([group.ruleId, group.modelId, group.modelVersion, group.monitorId, group.segment?.name ?? null, group.segment?.value ?? null, column]);
}

export function compare(value: number, operator: ComparisonOperator, threshold: number): boolean {
  switch (operator) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
    case '==': return value === threshold;
    case '!=': return value !== threshold;
  }
}

/** Whether the rule watches this observation's model, version, monitor and segment. Disabled rules watch nothing. */
export function ruleApplies(rule: Rule, observation: ModelObservation): boolean {
  const summary = observation.summary;
  if (!rule.enabled) return false;
  if (rule.modelId !== null && rule.modelId !== observation.modelId) return false;
  if (rule.modelVersion !== null && rule.modelVersion !== summary.model_version) return false;
  if (rule.monitorId !== null && rule.monitorId !== summary.monitor_id) return false;
  if (rule.segment === null) return summary.segment === null;
  if (summary.segment === null || summary.segment.name !== rule.segment.name) return false;
  return rule.segment.value === null || rule.segment.value === summary.segment.value;
}

/** The compared metric as items show it: `psi`, `accuracy`, `accuracy.decay`. */
export function comparedMetric(rule: Rule): string {
  return rule.valueField === null || rule.valueField === 'value' ? rule.metric : `${rule.metric}.${rule.valueField}`;
}

function withoutNulls(entries: Array<[string, number | string | null | undefined]>): Details {
  const details: Details = {};
  for (const [name, value] of entries) if (value !== null && value !== undefined) details[name] = value;
  return details;
}

/** The figure compared; `comparedField` names it in details, where it is left out (it is the item's value). */
type Measured = { value: number | null; comparedField: string; noData?: string; details: Details };

function judged(rule: Rule, key: string, column: string | null, measured: Measured): InstanceEvaluation {
  const { value } = measured;
  const usable = value !== null && Number.isFinite(value);
  const noData = usable ? null : measured.noData ?? `${comparedMetric(rule)} is ${value === null ? 'null' : String(value)} in this window`;
  const details = { ...measured.details };
  delete details[measured.comparedField];
  return {
    key,
    column,
    metric: comparedMetric(rule),
    value: usable ? value : null,
    breached: usable ? compare(value, rule.condition.operator, rule.condition.threshold) : null,
    noData,
    absent: false,
    details: noData === null ? details : { ...details, no_data: noData },
  };
}

function absentInstance(rule: Rule, key: string, column: string | null, what: string): InstanceEvaluation {
  return { key, column, metric: comparedMetric(rule), value: null, breached: false, noData: null, absent: true, details: { absent: `${what} is not in this window's results` } };
}

function noDataInstance(rule: Rule, key: string, column: string | null, reason: string): InstanceEvaluation {
  return { key, column, metric: comparedMetric(rule), value: null, breached: null, noData: reason, absent: false, details: { no_data: reason } };
}

function windowNotOk(summary: WindowSummaryView): string {
  return `window status is ${summary.status}${summary.message === '' ? '' : `: ${summary.message}`}`;
}

function columnInstances(rule: Rule, group: AlertGroup, observation: ModelObservation, tracked: Iterable<string>): InstanceEvaluation[] {
  const instances: InstanceEvaluation[] = [];
  const seen = new Set<string>();
  for (const observed of observation.columns) {
    if (rule.columnRoles !== null && !(rule.columnRoles as string[]).includes(observed.role)) continue;
    if (rule.columns !== null && !rule.columns.includes(observed.column)) continue;
    // Only a feature literally named "prediction" or "score" can share a name with another column.
    const column = seen.has(observed.column) ? `${observed.column} (${observed.role})` : observed.column;
    seen.add(column);
    const { point } = observed;
    const value = rule.metric === 'drifted' ? (point.drifted ? 1 : 0) : point.metrics[rule.metric as keyof DriftPoint['metrics']];
    const details = withoutNulls([
      ['drifted', point.drifted ? 1 : 0],
      // Which effect floors the drift decision passed: what "drifted" rests on.
      ['effects_passed', rule.metric !== 'drifted' || point.effects_passed.length === 0 ? null : point.effects_passed.join(', ')],
      ...(Object.entries(point.metrics) as Array<[string, number | null]>).filter(([name]) => name !== 'reference_missing_share'),
      ['reference_count', point.reference_count], ['current_count', point.current_count],
    ]);
    instances.push(judged(rule, instanceKey(group, column), column, { value, comparedField: rule.metric, noData: value === null ? `${rule.metric} is null for ${column} (${observed.kind} column)${point.notes.length === 0 ? '' : `: ${point.notes.join('; ')}`}` : undefined, details }));
  }
  const expected = new Set([...(rule.columns ?? []), ...tracked]);
  for (const column of [...expected].sort()) {
    if (seen.has(column)) continue;
    const key = instanceKey(group, column);
    instances.push(observation.columns.length > 0
      ? absentInstance(rule, key, column, `column ${column}`)
      : noDataInstance(rule, key, column, observation.summary.status === 'ok' ? 'no column results in this window' : windowNotOk(observation.summary)));
  }
  return instances;
}

function windowInstance(rule: Rule, group: AlertGroup, summary: WindowSummaryView): InstanceEvaluation {
  const ok = summary.status === 'ok';
  // drifted/tested columns are 0 in a window that was not compared: 0 there means "unknown", not "no drift".
  const values: Record<string, number | null> = {
    drift_share: ok ? summary.drift_share : null,
    drifted_columns: ok ? summary.drifted_columns : null,
    tested_columns: ok ? summary.tested_columns : null,
    dataset_drifted: ok ? (summary.dataset_drifted ? 1 : 0) : null,
    volume_change: summary.volume_change,
    // Without a reference the current side may not have been counted at all.
    current_count: summary.status === 'no_reference' ? null : summary.current_count,
  };
  const value = values[rule.metric] ?? null;
  const details = withoutNulls([
    ['status', ok ? null : summary.status], ...Object.entries(values), ['expected_count', summary.expected_count],
  ]);
  const noData = value === null ? (ok || rule.metric === 'volume_change' ? `${rule.metric} is null in this window${summary.message === '' ? '' : `: ${summary.message}`}` : windowNotOk(summary)) : undefined;
  return judged(rule, instanceKey(group, null), null, { value, comparedField: rule.metric, noData, details });
}

function performanceDetails(observed: PerformanceObservation): Details {
  const { point } = observed;
  return withoutNulls([
    ['status', point.status === 'ok' ? null : point.status], ['value', point.value], ['reference_value', point.reference_value],
    ['decay', point.decay], ['relative_decay', point.relative_decay], ['labeled_count', point.labeled_count],
    ['prediction_count', point.prediction_count], ['label_coverage', point.label_coverage], ['reference_labeled_count', point.reference_labeled_count],
  ]);
}

function performanceInstance(rule: Rule, group: AlertGroup, observation: ModelObservation): InstanceEvaluation {
  const key = instanceKey(group, null);
  const first = observation.performance[0];
  if (first === undefined) return noDataInstance(rule, key, null, 'no performance results in this window (no predictions)');
  if ((LABEL_METRICS as readonly string[]).includes(rule.metric)) {
    const value = rule.metric === 'label_coverage' ? first.point.label_coverage : first.point.labeled_count;
    return judged(rule, key, null, { value, comparedField: rule.metric, details: withoutNulls([['labeled_count', first.point.labeled_count], ['prediction_count', first.point.prediction_count], ['label_coverage', first.point.label_coverage]]) });
  }
  const observed = observation.performance.find((candidate) => candidate.metric === rule.metric);
  if (observed === undefined) return absentInstance(rule, key, null, `metric ${rule.metric}`);
  const { point } = observed;
  const details = performanceDetails(observed);
  const minLabels = rule.minLabels;
  // Too few labels says nothing about the model: it is no data, neither a breach nor a recovery.
  if (point.status === 'insufficient_labels' || (minLabels !== null && point.labeled_count < minLabels)) {
    const reason = `insufficient labels: ${point.labeled_count} of ${point.prediction_count} predictions labeled${minLabels === null ? '' : `, min_labels ${minLabels}`}`;
    return { ...noDataInstance(rule, key, null, reason), details: { ...details, no_data: reason } };
  }
  const field = rule.valueField ?? 'value';
  const value = point[field];
  const why = point.note !== '' ? point.note : field !== 'value' && point.reference_value === null ? 'the reference has no value to decay from' : 'undefined in this window';
  return judged(rule, key, null, { value, comparedField: field, noData: `${comparedMetric(rule)} is null: ${why}`, details });
}

/**
 * The instances `rule` touches in `observation`, or null when the rule does not watch it.
 * `tracked`: columns that have alert state for this rule and group (from the state store),
 * so a column that disappeared is evaluated as absent instead of being forgotten.
 */
export function evaluateRule(rule: Rule, observation: ModelObservation, tracked: Iterable<string> = []): RuleEvaluation | null {
  if (!ruleApplies(rule, observation)) return null;
  const summary = observation.summary;
  const group: AlertGroup = {
    ruleId: rule.id,
    modelId: observation.modelId,
    modelVersion: summary.model_version,
    monitorId: summary.monitor_id,
    segment: summary.segment,
  };
  const start = Date.parse(summary.window_start);
  const instances =
    rule.scope === 'column' ? columnInstances(rule, group, observation, tracked)
      : rule.scope === 'window' ? [windowInstance(rule, group, summary)]
        : [performanceInstance(rule, group, observation)];
  return {
    group,
    groupKey: groupKey(group),
    at: start,
    window: { start, end: Date.parse(summary.window_end) },
    reference: { kind: summary.reference.kind, description: summary.reference.description },
    instances,
  };
}

/** Cuts the stored series into one observation per analysed (monitor, segment, window). */
export function observationsFromViews(
  modelId: string,
  summaries: readonly WindowSummaryView[],
  drift: readonly DriftSeries[],
  performance: readonly PerformanceSeries[],
): ModelObservation[] {
  const keyOf = (monitorId: string, segment: { name: string; value: string } | null, windowStart: string) =>
    JSON.stringify([monitorId, segment?.name ?? null, segment?.value ?? null, Date.parse(windowStart)]);
  const byKey = new Map<string, ModelObservation>();
  for (const summary of summaries) {
    byKey.set(keyOf(summary.monitor_id, summary.segment, summary.window_start), { modelId, summary, columns: [], performance: [] });
  }
  for (const series of drift) {
    for (const point of series.points) {
      byKey.get(keyOf(series.monitor_id, series.segment, point.window_start))?.columns.push({ column: series.column, role: series.role, kind: series.kind, point });
    }
  }
  for (const series of performance) {
    for (const point of series.points) {
      byKey.get(keyOf(series.monitor_id, series.segment, point.window_start))?.performance.push({ metric: series.metric, task: series.task, point });
    }
  }
  return [...byKey.values()];
}

/**
 * Alerting after each analyzer run: the stored results of one (monitor, window) against
 * every enabled rule of the model, through the alert state machine, into alert history.
 *
 * Persisting happens in an order that makes a crash at any point safe:
 *   1. events (alert_events): idempotent by key, so writing them twice stores one row;
 *   2. states (alert_states): one insert; once written, a replay of this window is ignored
 *      by the state machine (its `at` is not newer than the state's) and emits nothing;
 *   3. the ledger row (alert_evaluations): from then on this run is never evaluated again.
 * A crash before 1 or between 1 and 2 re-evaluates from the old states and computes the
 * same transitions and idempotency keys (they depend on window starts, not the clock), so
 * nothing is lost or doubled; a crash between 2 and 3 re-evaluates into no-ops.
 *
 * Muted notifications are stored too, flagged `muted` with the reason, so history shows
 * what a silence or an inhibition held back; channels deliver only unmuted ones.
 */
import { createHash } from 'node:crypto';
import { formatTimestamp } from '../../analyzer/monitors/definition.js';
import { driftSeries, performanceSeries, windowSummaries, type ResultFilter } from '../../analyzer/service/result-queries.js';
import type { Logger } from '../../observability/logger.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { evaluateRule, groupKey, observationsFromViews, type ModelObservation, type Rule, type RuleEvaluation } from '../rules/index.js';
import {
  groupNotifications, inhibitedColumns, muteBy, timingOf, transitionGroup,
  type AlertState, type InhibitionSource, type InstanceTransition,
} from '../state/index.js';
import type { NotificationMessage } from '../delivery/notification-message.js';
import { insertEvents, type AlertEvent } from '../store/event-store.js';
import { recordEvaluation, unevaluatedRuns, wasEvaluated } from '../store/evaluation-ledger.js';
import { listRules } from '../store/rule-store.js';
import { listSilences } from '../store/silence-store.js';
import { loadModelStates, writeStates, type StateWrite, type StoredAlertState } from '../store/state-store.js';

export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080';

export interface EvaluateWindowInput {
  client: ClickHouseClient;
  monitor: { id: string; modelId: string };
  window: { start: number; end: number };
  runId: string;
  now: number;
  /** Base of the UI links in notifications (config http.publicUrl). */
  publicUrl?: string;
  /**
   * Hands the unmuted notifications to the dispatchers (the notifications topic). Called
   * after the events are stored and before the states: a failure leaves the old states,
   * so the retry computes and publishes the same notifications again (the dispatchers
   * deduplicate by idempotency key).
   */
  publish?: (messages: NotificationMessage[]) => Promise<void>;
}

export interface WindowEvaluation {
  /** The ledger already had this run: nothing was done. */
  skipped: boolean;
  events: AlertEvent[];
  states: number;
}

/** Where the UI shows a model's results for the window. */
export function uiLink(publicUrl: string, modelId: string, windowStart: number): string {
  return `${publicUrl.replace(/\/+$/, '')}/ui/models/${encodeURIComponent(modelId)}?window=${encodeURIComponent(formatTimestamp(windowStart))}`;
}

/** Every analysed segment of the window: the whole traffic plus each segment name. */
async function loadObservations(client: ClickHouseClient, monitor: EvaluateWindowInput['monitor'], window: { start: number }): Promise<ModelObservation[]> {
  const seconds = Math.floor(window.start / 1000);
  const names = await queryRows<{ segment_name: string }>(
    client,
    sql`SELECT DISTINCT segment_name FROM window_results WHERE model_id = ${monitor.modelId} AND monitor_id = ${monitor.id} AND window_start = toDateTime(${seconds}) ORDER BY segment_name`,
  );
  const observations: ModelObservation[] = [];
  for (const { segment_name: name } of names) {
    const filter: ResultFilter = {
      modelId: monitor.modelId, monitorId: monitor.id, from: window.start, to: window.start + 1000, limit: 1,
      ...(name === '' ? {} : { segment: { name } }),
    };
    const [summaries, drift, performance] = await Promise.all([windowSummaries(client, filter), driftSeries(client, filter, false), performanceSeries(client, filter)]);
    observations.push(...observationsFromViews(monitor.modelId, summaries, drift, performance));
  }
  return observations;
}

/** Columns with a pending or firing state in the evaluation's group: absent ones resolve instead of being forgotten. */
function trackedColumns(states: readonly StoredAlertState[], group: string): string[] {
  const columns: string[] = [];
  for (const stored of states) {
    if (stored.column === null || (stored.state.status !== 'pending' && stored.state.status !== 'firing')) continue;
    const parts = JSON.parse(stored.instanceKey) as unknown[];
    if (JSON.stringify(parts.slice(0, 6)) === group) columns.push(stored.column);
  }
  return columns;
}

function groupOf(rule: Rule, observation: ModelObservation): string {
  const { summary } = observation;
  return groupKey({ ruleId: rule.id, modelId: observation.modelId, modelVersion: summary.model_version, monitorId: summary.monitor_id, segment: summary.segment });
}

interface Evaluated {
  rule: Rule;
  evaluation: RuleEvaluation;
  transitions: InstanceTransition[];
}

const mutedKey = (key: string) => createHash('sha256').update(`driftwatch-alert-muted/1:${key}`).digest('hex').slice(0, 40);

export async function evaluateWindow(input: EvaluateWindowInput): Promise<WindowEvaluation> {
  const { client, monitor, window, runId, now } = input;
  const ledgerKey = { monitorId: monitor.id, windowStart: window.start, runId };
  if (await wasEvaluated(client, ledgerKey)) return { skipped: true, events: [], states: 0 };

  const observations = await loadObservations(client, monitor, window);
  const rules = (await listRules(client)).map((stored) => stored.rule).filter((rule) => rule.enabled && (rule.modelId === null || rule.modelId === monitor.modelId));
  const stored = await loadModelStates(client, monitor.modelId);
  const storedByKey = new Map(stored.map((entry) => [entry.instanceKey, entry]));
  const previous = new Map<string, AlertState>(stored.map((entry) => [entry.instanceKey, entry.state]));

  const evaluated: Evaluated[] = [];
  for (const observation of observations) {
    for (const rule of rules) {
      const evaluation = evaluateRule(rule, observation, trackedColumns(stored, groupOf(rule, observation)));
      if (evaluation === null || evaluation.instances.length === 0) continue;
      evaluated.push({ rule, evaluation, transitions: transitionGroup(evaluation, previous, timingOf(rule), now) });
    }
  }

  // Inhibition sees every firing data-quality instance of the model after this evaluation.
  const metricOfRule = new Map(rules.map((rule) => [rule.id, rule.metric as string]));
  const sources = new Map<string, InhibitionSource>();
  for (const entry of stored) {
    const metric = metricOfRule.get(entry.ruleId);
    if (metric !== undefined) sources.set(entry.instanceKey, { ruleId: entry.ruleId, modelId: entry.modelId, column: entry.column, metric, status: entry.state.status });
  }
  for (const { rule, transitions } of evaluated) {
    for (const item of transitions) sources.set(item.instance.key, { ruleId: rule.id, modelId: monitor.modelId, column: item.instance.column, metric: rule.metric, status: item.next.status });
  }
  const mute = muteBy((await listSilences(client)).map((entry) => entry.silence), inhibitedColumns(sources.values()), now);
  const link = uiLink(input.publicUrl ?? DEFAULT_PUBLIC_URL, monitor.modelId, window.start);

  const events: AlertEvent[] = [];
  const messages: NotificationMessage[] = [];
  const writes: StateWrite[] = [];
  for (const { rule, evaluation, transitions } of evaluated) {
    const grouped = groupNotifications({ rule, evaluation, transitions, now, link, mute });
    for (const notification of grouped.notifications) {
      events.push({ idempotencyKey: notification.idempotencyKey, notification, muted: false, muteReason: '' });
      messages.push({ notification, retrain: notification.kind === 'firing' ? rule.retrain : null });
    }
    if (grouped.muted.length > 0) {
      // The muted items as their own messages, kept in history only.
      const mutedKeys = new Set(grouped.muted.map((item) => item.key));
      const reasons = [...new Set(grouped.muted.map((item) => item.reason))].join('; ');
      const held = groupNotifications({ rule, evaluation, transitions: transitions.filter((item) => mutedKeys.has(item.instance.key)), now, link });
      for (const notification of held.notifications) {
        const idempotencyKey = mutedKey(notification.idempotencyKey);
        events.push({ idempotencyKey, notification: { ...notification, idempotencyKey }, muted: true, muteReason: reasons });
      }
    }
    for (const item of transitions) {
      if (item.ignored) continue;
      writes.push({
        ruleId: rule.id, instanceKey: item.instance.key, modelId: monitor.modelId, metric: rule.metric, column: item.instance.column,
        state: item.next, windowStart: evaluation.at, previousUpdatedMs: storedByKey.get(item.instance.key)?.updatedMs ?? null,
      });
    }
  }

  await insertEvents(client, events);
  if (messages.length > 0) await input.publish?.(messages);
  await writeStates(client, writes, now);
  await recordEvaluation(client, { ...ledgerKey, modelId: monitor.modelId, events: events.length }, now);
  return { skipped: false, events, states: writes.length };
}

export interface CatchUpInput {
  client: ClickHouseClient;
  now: number;
  publicUrl?: string;
  /** How far back to look for unevaluated runs (default 7 days). */
  lookbackMs?: number;
  /** Runs stored more recently are left to the hook of the run that stored them (default 60 s). */
  graceMs?: number;
  /** Most runs per call (default 500); the next call continues. */
  limit?: number;
  log?: Logger;
  publish?: EvaluateWindowInput['publish'];
}

export const DEFAULT_CATCH_UP_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Evaluates stored runs that have no ledger row (their hook failed, or the process died
 * between storing results and evaluating), oldest window first. Returns how many were
 * evaluated. One failing run is logged and left for the next call.
 */
export async function catchUp(input: CatchUpInput): Promise<number> {
  const pending = await unevaluatedRuns(input.client, {
    from: input.now - (input.lookbackMs ?? DEFAULT_CATCH_UP_LOOKBACK_MS),
    storedBefore: input.now - (input.graceMs ?? 60_000),
    limit: input.limit ?? 500,
  });
  let evaluated = 0;
  for (const run of pending) {
    try {
      const result = await evaluateWindow({
        client: input.client, monitor: { id: run.monitorId, modelId: run.modelId }, window: run.window, runId: run.runId, now: input.now,
        ...(input.publicUrl === undefined ? {} : { publicUrl: input.publicUrl }),
        ...(input.publish === undefined ? {} : { publish: input.publish }),
      });
      if (!result.skipped) evaluated++;
    } catch (error) {
      input.log?.error('alert catch-up evaluation failed', { monitor_id: run.monitorId, window_start: formatTimestamp(run.window.start), error: (error as Error).message });
    }
  }
  return evaluated;
}

/**
 * Runs evaluations one at a time within this process: the hook of a finished run and the
 * periodic catch-up must not evaluate the same model's windows interleaved.
 */
export class EvaluationQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

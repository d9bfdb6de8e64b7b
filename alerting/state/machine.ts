/**
 * The lifecycle of one alert instance, as a pure function:
 * (previous state, one evaluation, the rule's timing, now) -> (next state, what to emit).
 *
 *   inactive --breach--> pending --breach x for--> firing --clear x (keep_firing_for + 1)--> resolved
 *   (for = 0: inactive --breach--> firing)          |  ^ repeat every repeat_interval      |
 *   pending --clear--> inactive                      +--+                                   +--breach--> pending/firing
 *
 * Semantics (docs/alerting.md has the full table), after Prometheus and Alertmanager:
 *  - `for` N: the alert fires on the (N + 1)th consecutive breaching evaluation, like
 *    Prometheus' `for: N * interval` (the condition held at N later evaluations too).
 *    for = 0 fires on the first breach, without a pending step.
 *  - `keep_firing_for` K: a firing alert stays firing through K non-breaching evaluations
 *    and resolves on the (K + 1)th; a breach meanwhile resets the count.
 *  - repeat: a firing alert emits 'repeat' when now - lastNotifiedAt >= repeat interval,
 *    on an evaluation with data (also while kept firing).
 *  - 'resolved' is emitted once, on the evaluation that resolves.
 *  - No data (breached null) holds the state: a pending count neither grows nor resets,
 *    a keep_firing_for count does not advance, nothing is emitted. Too few labels or a
 *    quiet window says nothing about the model, and resolving on it would send a false
 *    "resolved" and a second "firing" when the data comes back. With noDataResolveAfter
 *    N, the Nth consecutive no-data evaluation drops a pending alert and resolves a
 *    firing one (a feature that stopped being logged).
 *  - An evaluation is identified by `at`, the analysed window's start. One with data for
 *    a window not after the newest window with data, or one without data for a window not
 *    after the newest evaluated one, is ignored: a replayed or redelivered evaluation
 *    changes nothing and emits nothing, while a late-label recompute of an older window
 *    that had no data still counts.
 *
 * State timestamps (since, firingSince, resolvedAt, last*At) are window starts, so a
 * replay computes the same state and the same notification keys; lastNotifiedAt is the
 * wall clock (`now`), which repeat intervals are measured in.
 */
import type { NotificationKind } from '../notification.js';
import type { Rule } from '../rules/definition.js';
import type { InstanceEvaluation, RuleEvaluation } from '../rules/evaluate.js';

export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'resolved';
export type AlertEmit = NotificationKind;

/** Everything the machine remembers about one alert instance; plain JSON, persisted between runs. */
export interface AlertState {
  status: AlertStatus;
  /** Window start of the evaluation that entered the current status. */
  since: number;
  /** Consecutive breaching evaluations in the current streak (no-data evaluations neither count nor break it); 0 after a clear. */
  pendingCount: number;
  /** Window start of the evaluation that fired the latest episode; kept after it resolves. */
  firingSince: number | null;
  /** Window start of the evaluation that resolved the latest episode; null while it fires. */
  resolvedAt: number | null;
  /** Wall clock (epoch ms) of the latest emitted firing, repeat or resolved. */
  lastNotifiedAt: number | null;
  /** Consecutive non-breaching evaluations while firing (counts toward keep_firing_for). */
  quietCount: number;
  /** Consecutive no-data evaluations. */
  noDataCount: number;
  /** The latest value compared (not overwritten by no-data evaluations). */
  lastValue: number | null;
  /** Window start of the newest evaluation applied, with or without data. */
  lastEvaluatedAt: number | null;
  /** Window start of the newest evaluation with data. */
  lastDataAt: number | null;
}

export interface AlertEvaluation {
  /** null: no data, see above. */
  breached: boolean | null;
  value: number | null;
  /** The analysed window's start (epoch ms). */
  at: number;
}

export interface AlertTiming {
  for: number;
  keepFiringFor: number;
  repeatIntervalMs: number;
  /** null or omitted: no data never ends an alert. */
  noDataResolveAfter?: number | null;
}

export interface Transition {
  next: AlertState;
  emit: AlertEmit | null;
  /** The evaluation was a replay or older than what the state has seen: next is previous. */
  ignored: boolean;
}

export function timingOf(rule: Pick<Rule, 'for' | 'keepFiringFor' | 'repeatIntervalMs' | 'noDataResolveAfter'>): AlertTiming {
  return { for: rule.for, keepFiringFor: rule.keepFiringFor, repeatIntervalMs: rule.repeatIntervalMs, noDataResolveAfter: rule.noDataResolveAfter };
}

export function initialState(at: number): AlertState {
  return {
    status: 'inactive', since: at, pendingCount: 0, firingSince: null, resolvedAt: null, lastNotifiedAt: null,
    quietCount: 0, noDataCount: 0, lastValue: null, lastEvaluatedAt: null, lastDataAt: null,
  };
}

function checkTiming(timing: AlertTiming): void {
  const count = (name: string, value: unknown, min: number) => {
    if (!Number.isSafeInteger(value) || (value as number) < min) throw new RangeError(`alert timing: ${name} must be an integer >= ${min} (got ${String(value)})`);
  };
  count('for', timing.for, 0);
  count('keepFiringFor', timing.keepFiringFor, 0);
  if (!(timing.repeatIntervalMs > 0) || !Number.isFinite(timing.repeatIntervalMs)) throw new RangeError(`alert timing: repeatIntervalMs must be > 0 (got ${timing.repeatIntervalMs})`);
  if (timing.noDataResolveAfter !== undefined && timing.noDataResolveAfter !== null) count('noDataResolveAfter', timing.noDataResolveAfter, 1);
}

function isReplay(previous: AlertState, evaluation: AlertEvaluation): boolean {
  const newest = evaluation.breached === null ? previous.lastEvaluatedAt : previous.lastDataAt;
  return newest !== null && evaluation.at <= newest;
}

function repeatDue(state: AlertState, timing: AlertTiming, now: number): boolean {
  return state.lastNotifiedAt === null || now - state.lastNotifiedAt >= timing.repeatIntervalMs;
}

function fire(state: AlertState, at: number, now: number, pendingCount: number): Transition {
  return {
    next: { ...state, status: 'firing', since: at, pendingCount, firingSince: at, resolvedAt: null, lastNotifiedAt: now, quietCount: 0 },
    emit: 'firing',
    ignored: false,
  };
}

function resolve(state: AlertState, at: number, now: number): Transition {
  return { next: { ...state, status: 'resolved', since: at, pendingCount: 0, resolvedAt: at, lastNotifiedAt: now, quietCount: 0 }, emit: 'resolved', ignored: false };
}

function stay(next: AlertState): Transition {
  return { next, emit: null, ignored: false };
}

function noData(state: AlertState, at: number, timing: AlertTiming, now: number): Transition {
  const held: AlertState = { ...state, noDataCount: state.noDataCount + 1, lastEvaluatedAt: Math.max(state.lastEvaluatedAt ?? at, at) };
  const limit = timing.noDataResolveAfter ?? null;
  if (limit === null || held.noDataCount < limit) return stay(held);
  if (held.status === 'firing') return resolve(held, at, now);
  if (held.status === 'pending') return stay({ ...held, status: 'inactive', since: at, pendingCount: 0 });
  return stay(held);
}

/** The next state of one alert instance and what, if anything, to notify. `previous` null: never evaluated. */
export function transition(previous: AlertState | null, evaluation: AlertEvaluation, timing: AlertTiming, now: number): Transition {
  checkTiming(timing);
  if (previous !== null && isReplay(previous, evaluation)) return { next: previous, emit: null, ignored: true };
  const { at, breached } = evaluation;
  const state = previous ?? initialState(at);
  if (breached === null) return noData(state, at, timing, now);
  const seen: AlertState = { ...state, lastValue: evaluation.value, lastEvaluatedAt: Math.max(state.lastEvaluatedAt ?? at, at), lastDataAt: at, noDataCount: 0 };
  if (breached) {
    switch (seen.status) {
      case 'inactive':
      case 'resolved':
        return timing.for === 0 ? fire(seen, at, now, 1) : stay({ ...seen, status: 'pending', since: at, pendingCount: 1 });
      case 'pending': {
        const pendingCount = seen.pendingCount + 1;
        return pendingCount > timing.for ? fire(seen, at, now, pendingCount) : stay({ ...seen, pendingCount });
      }
      case 'firing': {
        const firing: AlertState = { ...seen, pendingCount: seen.pendingCount + 1, quietCount: 0 };
        return repeatDue(firing, timing, now) ? { next: { ...firing, lastNotifiedAt: now }, emit: 'repeat', ignored: false } : stay(firing);
      }
    }
  }
  switch (seen.status) {
    case 'inactive':
    case 'resolved':
      return stay({ ...seen, pendingCount: 0 });
    case 'pending':
      return stay({ ...seen, status: 'inactive', since: at, pendingCount: 0 });
    case 'firing': {
      const kept: AlertState = { ...seen, pendingCount: 0, quietCount: seen.quietCount + 1 };
      if (kept.quietCount > timing.keepFiringFor) return resolve(kept, at, now);
      return repeatDue(kept, timing, now) ? { next: { ...kept, lastNotifiedAt: now }, emit: 'repeat', ignored: false } : stay(kept);
    }
  }
}

export interface InstanceTransition extends Transition {
  instance: InstanceEvaluation;
  previous: AlertState | null;
}

/**
 * Every instance of one rule evaluation through `transition`, then one group-level step,
 * as Alertmanager notifies a group: when any instance fires or repeats, every other
 * instance of the group that is firing is listed too (emit 'repeat') and its repeat timer
 * restarts, so the group's instances repeat together in one message.
 */
export function transitionGroup(evaluation: RuleEvaluation, previous: ReadonlyMap<string, AlertState>, timing: AlertTiming, now: number): InstanceTransition[] {
  const transitions = evaluation.instances.map((instance): InstanceTransition => {
    const before = previous.get(instance.key) ?? null;
    return { instance, previous: before, ...transition(before, { breached: instance.breached, value: instance.value, at: evaluation.at }, timing, now) };
  });
  if (!transitions.some((item) => item.emit === 'firing' || item.emit === 'repeat')) return transitions;
  return transitions.map((item) =>
    item.emit === null && !item.ignored && item.next.status === 'firing' ? { ...item, emit: 'repeat', next: { ...item.next, lastNotifiedAt: now } } : item);
}

const STATUSES: readonly string[] = ['inactive', 'pending', 'firing', 'resolved'];

/** Checks a state read back from storage; anything else is a corrupt row, not an alert. */
export function isAlertState(value: unknown): value is AlertState {
  if (value === null || typeof value !== 'object') return false;
  const state = value as Record<string, unknown>;
  const count = (key: string) => Number.isSafeInteger(state[key]) && (state[key] as number) >= 0;
  const numberOrNull = (key: string) => state[key] === null || (typeof state[key] === 'number' && Number.isFinite(state[key]));
  return STATUSES.includes(state.status as string) && typeof state.since === 'number'
    && count('pendingCount') && count('quietCount') && count('noDataCount')
    && ['firingSince', 'resolvedAt', 'lastNotifiedAt', 'lastValue', 'lastEvaluatedAt', 'lastDataAt'].every(numberOrNull);
}

// alerting/state/grouping.ts: one message per (rule, model, version, monitor, segment) and
// kind, listing every item with its numbers; stable idempotency keys; muting; and the whole
// pure pipeline (evaluate -> transitionGroup -> groupNotifications) over several windows,
// including a restart that replays an evaluation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DriftPoint, WindowSummaryView } from '../../analyzer/service/result-queries.js';
import type { AlertNotification } from '../../alerting/notification.js';
import { evaluateRule, parseRule, type ColumnObservation, type ModelObservation, type Rule } from '../../alerting/rules/index.js';
import {
  groupNotifications, idempotencyKey, muteBy, inhibitedColumns, transitionGroup, timingOf,
  type AlertState, type GroupingResult, type Silence,
} from '../../alerting/state/index.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-01T10:00:00Z');
const LINK = 'http://localhost:8080/ui/models/fraud';

const NO_METRICS: DriftPoint['metrics'] = {
  psi: null, jensen_shannon: null, ks_statistic: null, ks_p_value: null, chi_square_statistic: null, chi_square_p_value: null, wasserstein: null,
  wasserstein_normed: null, p_value: null, adjusted_p_value: null, missing_share: null, reference_missing_share: null, out_of_range_share: null, unseen_share: null,
};

/** One analysed hour (window index w) with a PSI per feature; a missing entry is a column not in the results. */
function observation(w: number, psi: Record<string, number | null>, status = 'ok'): ModelObservation {
  const start = new Date(T0 + w * H).toISOString();
  const end = new Date(T0 + (w + 1) * H).toISOString();
  const summary: WindowSummaryView = {
    monitor_id: 'hourly', model_version: 'v3', segment: { name: 'country', value: 'DE' }, window_start: start, window_end: end, status, message: '',
    reference: { kind: 'trailing', description: 'the previous 7d', from: null, to: null, count: 7000 }, current_count: 1000, expected_count: 1000,
    volume_change: 0, tested_columns: 3, drifted_columns: 0, drift_share: 0, dataset_drifted: false, run_id: `run-${w}`, computed_at: end,
  };
  const columns = Object.entries(psi).map(([name, value]): ColumnObservation => ({
    column: name, role: 'feature', kind: 'numeric',
    point: { window_start: start, window_end: end, drifted: (value ?? 0) > 0.2, effects_passed: [], reference_count: 7000, current_count: 1000, metrics: { ...NO_METRICS, psi: value }, ks_method: null, notes: [] },
  }));
  return { modelId: 'fraud', summary, columns, performance: [] };
}

const RULE = parseRule({
  id: 'fraud-psi', name: 'PSI above 0.2', model_id: 'fraud', segment: { name: 'country' }, metric: 'psi', condition: { operator: '>', threshold: 0.2 },
  column_roles: ['feature'], severity: 'critical', keep_firing_for: 1, repeat_interval: '4h', labels: { team: 'risk' },
  annotations: {
    summary: '[{{ kind }}] {{ items_count }} feature(s) of {{ model_id }} {{ model_version }} ({{ segment }}) above PSI {{ threshold }}: {{ columns }}',
    description: '{{ items }}\nwindow {{ window_start }} to {{ window_end }} vs {{ reference }}; firing since {{ firing_since }}; team {{ labels.team }}',
    runbook_url: 'https://runbooks.example/drift?rule={{ rule_id }}',
  },
});

/** The pure pipeline for one window: evaluate, transition, group. Returns the new states too. */
function step(rule: Rule, states: Map<string, AlertState>, observed: ModelObservation, now: number, mute?: Parameters<typeof groupNotifications>[0]['mute']) {
  const tracked = [...states.keys()].map((key) => JSON.parse(key).at(-1) as string);
  const evaluation = evaluateRule(rule, observed, tracked)!;
  const transitions = transitionGroup(evaluation, states, timingOf(rule), now);
  const result: GroupingResult = groupNotifications({ rule, evaluation, transitions, now, link: LINK, mute });
  const next = new Map(states);
  for (const transition of transitions) next.set(transition.instance.key, transition.next);
  return { ...result, states: next, transitions };
}

const summaryOf = (notification: AlertNotification) => [notification.kind, notification.items.map((item) => `${item.column}:${String(item.details.alert)}`).join(' ')];

test('a first breach: one message listing every feature that crossed the rule', () => {
  const { notifications, muted } = step(RULE, new Map(), observation(0, { amount: 0.31, age: 0.05, zip: 0.45 }), T0 + H + 60_000);
  assert.deepEqual(muted, []);
  assert.equal(notifications.length, 1);
  const [firing] = notifications;
  assert.deepEqual({ ...firing!, idempotencyKey: '-', items: [] }, {
    kind: 'firing', idempotencyKey: '-', ruleId: 'fraud-psi', ruleName: 'PSI above 0.2', severity: 'critical', modelId: 'fraud', modelVersion: 'v3', monitorId: 'hourly',
    segment: { name: 'country', value: 'DE' }, window: { start: T0, end: T0 + H }, reference: { kind: 'trailing', description: 'the previous 7d' }, items: [],
    labels: { team: 'risk' },
    annotations: {
      summary: '[firing] 2 feature(s) of fraud v3 (country=DE) above PSI 0.2: amount, zip',
      description: 'amount: psi = 0.31 (rule: > 0.2)\nzip: psi = 0.45 (rule: > 0.2)\nwindow 2026-11-01T10:00:00Z to 2026-11-01T11:00:00Z vs the previous 7d; firing since 2026-11-01T10:00:00Z; team risk',
      runbookUrl: 'https://runbooks.example/drift?rule=fraud-psi',
    },
    link: LINK, firingSince: T0, createdAt: T0 + H + 60_000,
  });
  assert.deepEqual(firing!.items, [
    {
      column: 'amount', metric: 'psi', value: 0.31, operator: '>', threshold: 0.2,
      details: { drifted: 1, reference_count: 7000, current_count: 1000, alert: 'new', firing_since: '2026-11-01T10:00:00Z' },
    },
    {
      column: 'zip', metric: 'psi', value: 0.45, operator: '>', threshold: 0.2,
      details: { drifted: 1, reference_count: 7000, current_count: 1000, alert: 'new', firing_since: '2026-11-01T10:00:00Z' },
    },
  ]);
  assert.match(firing!.idempotencyKey, /^[0-9a-f]{40}$/);
});

test('a sequence of windows: new, ongoing, kept firing, repeat, resolved', () => {
  const windows: Array<{ psi: Record<string, number | null>; now: number; expected: Array<[string, string]> }> = [
    // 0: amount fires
    { psi: { amount: 0.31, age: 0.05 }, now: T0 + H, expected: [['firing', 'amount:new']] },
    // 1: still firing, no repeat due: nothing
    { psi: { amount: 0.35, age: 0.05 }, now: T0 + 2 * H, expected: [] },
    // 2: age fires; amount comes along as still firing (and its repeat timer restarts)
    { psi: { amount: 0.33, age: 0.25 }, now: T0 + 3 * H, expected: [['firing', 'age:new amount:firing']] },
    // 3: amount clears but is kept firing (keep_firing_for 1); nothing to say
    { psi: { amount: 0.1, age: 0.3 }, now: T0 + 4 * H, expected: [] },
    // 4: amount clears again: resolved; age goes on
    { psi: { amount: 0.1, age: 0.3 }, now: T0 + 5 * H, expected: [['resolved', 'amount:resolved']] },
    // 5: no data for age (null PSI): held, silent
    { psi: { amount: 0.1, age: null }, now: T0 + 6 * H, expected: [] },
    // 6: four hours after the group message of window 2: repeat
    { psi: { amount: 0.1, age: 0.3 }, now: T0 + 7 * H, expected: [['repeat', 'age:firing']] },
    // 7: amount fires again while age clears (kept): a firing message listing both
    { psi: { amount: 0.5, age: 0.1 }, now: T0 + 8 * H, expected: [['firing', 'amount:new age:keep_firing']] },
    // 8: age is gone from the results: absent resolves it (after keep_firing_for it had used up)
    { psi: { amount: 0.5 }, now: T0 + 9 * H, expected: [['resolved', 'age:resolved_absent']] },
  ];
  let states = new Map<string, AlertState>();
  const keys = new Set<string>();
  windows.forEach((window, w) => {
    const result = step(RULE, states, observation(w, window.psi), window.now);
    assert.deepEqual(result.notifications.map(summaryOf), window.expected, `window ${w}`);
    for (const notification of result.notifications) {
      assert.ok(!keys.has(notification.idempotencyKey), `window ${w}: a new key`);
      keys.add(notification.idempotencyKey);
    }
    states = result.states;
  });
  const resolvedAge = windows.length - 1;
  assert.equal(states.get(JSON.stringify(['fraud-psi', 'fraud', 'v3', 'hourly', 'country', 'DE', 'age']))!.resolvedAt, T0 + resolvedAge * H);
});

test('firing and resolved in one evaluation are two messages', () => {
  const first = step(RULE, new Map(), observation(0, { amount: 0.3 }), T0 + H);
  const cleared = step(RULE, first.states, observation(1, { amount: 0.1 }), T0 + 2 * H);
  const result = step(RULE, cleared.states, observation(2, { amount: 0.1, age: 0.9 }), T0 + 3 * H);
  assert.deepEqual(result.notifications.map(summaryOf), [['firing', 'age:new'], ['resolved', 'amount:resolved']]);
  const resolved = result.notifications[1]!;
  assert.equal(resolved.firingSince, T0);
  assert.equal(resolved.annotations.summary, '[resolved] 1 feature(s) of fraud v3 (country=DE) above PSI 0.2: amount');
  assert.equal(result.notifications[0]!.firingSince, T0 + 2 * H);
});

test('a window-level rule has one item without a column', () => {
  const rule = parseRule({ id: 'share', name: 'Drift share', segment: { name: 'country', value: 'DE' }, metric: 'drift_share', condition: { operator: '>=', threshold: 0 } });
  const { notifications } = step(rule, new Map(), observation(0, { amount: 0.3 }), T0 + H);
  assert.equal(notifications.length, 1);
  assert.deepEqual(notifications[0]!.items.map((item) => [item.column, item.metric, item.value]), [[null, 'drift_share', 0]]);
  assert.equal(notifications[0]!.annotations.description, 'drift_share = 0 (rule: >= 0)');
  assert.equal(notifications[0]!.annotations.runbookUrl, null);
});

test('muted items are left out, and a message with nothing left is not sent', async (t) => {
  const silence: Silence = { id: 'quiet-zip', matchers: [{ name: 'column', operator: '=', value: 'zip' }], startsAt: T0, endsAt: T0 + 10 * H, createdBy: 'ana', comment: '' };
  await t.test('one of two silenced', () => {
    const result = step(RULE, new Map(), observation(0, { amount: 0.31, zip: 0.45 }), T0 + H, muteBy([silence], new Map(), T0 + H));
    assert.deepEqual(result.notifications.map(summaryOf), [['firing', 'amount:new']]);
    assert.deepEqual(result.muted, [{ key: JSON.stringify(['fraud-psi', 'fraud', 'v3', 'hourly', 'country', 'DE', 'zip']), kind: 'firing', reason: 'silenced by quiet-zip' }]);
    // The state still moved: zip is firing, and will not be announced again as new.
    assert.equal(result.states.get(JSON.stringify(['fraud-psi', 'fraud', 'v3', 'hourly', 'country', 'DE', 'zip']))!.status, 'firing');
  });
  await t.test('all muted: no message', () => {
    const inhibited = inhibitedColumns([{ ruleId: 'missing', modelId: 'fraud', column: 'zip', metric: 'missing_share', status: 'firing' }]);
    const result = step(RULE, new Map(), observation(0, { zip: 0.45 }), T0 + H, muteBy([], inhibited, T0 + H));
    assert.deepEqual(result.notifications, []);
    assert.match(result.muted[0]!.reason, /^inhibited: missing_share alert \(rule missing\) is firing on column zip/);
  });
});

test('idempotency keys', async (t) => {
  await t.test('a replayed evaluation gives the same messages and keys', () => {
    const states = step(RULE, new Map(), observation(0, { amount: 0.31 }), T0 + H).states;
    const once = step(RULE, states, observation(1, { amount: 0.1, age: 0.4 }), T0 + 2 * H);
    // The process died before the new states were saved; after a restart (later wall clock) it runs the same window again.
    const again = step(RULE, states, observation(1, { amount: 0.1, age: 0.4 }), T0 + 2 * H + 5 * 60_000);
    assert.deepEqual(again.notifications.map((item) => item.idempotencyKey), once.notifications.map((item) => item.idempotencyKey));
    assert.deepEqual(again.notifications.map((item) => ({ ...item, createdAt: 0 })), once.notifications.map((item) => ({ ...item, createdAt: 0 })));
    // The states were saved: running the window once more changes and sends nothing.
    const replay = step(RULE, once.states, observation(1, { amount: 0.1, age: 0.4 }), T0 + 3 * H);
    assert.deepEqual(replay.notifications, []);
    assert.ok(replay.transitions.every((transition) => transition.ignored));
    assert.deepEqual(replay.states, once.states);
  });
  await t.test('each part of the key matters', () => {
    const base = idempotencyKey('r', 'g', 'firing', T0, T0);
    const variants = [
      idempotencyKey('r2', 'g', 'firing', T0, T0), idempotencyKey('r', 'g2', 'firing', T0, T0), idempotencyKey('r', 'g', 'repeat', T0, T0),
      idempotencyKey('r', 'g', 'firing', T0 + H, T0), idempotencyKey('r', 'g', 'firing', T0, T0 - H), idempotencyKey('r', 'g', 'firing', T0, null),
    ];
    assert.equal(new Set([base, ...variants]).size, 7);
    assert.equal(idempotencyKey('r', 'g', 'firing', T0, T0), base);
  });
});

test('a restart neither repeats nor drops a notification', () => {
  // Evaluate 12 windows; before each window the process may "crash" after sending but before
  // saving state, and re-run that window. Receivers dedupe by key: the delivered set must
  // equal the set of a run that never crashed.
  const psiOf = (w: number) => ({ amount: [0.3, 0.3, 0.1, 0.1, 0.3, 0.3, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1][w]!, age: w % 5 === 0 ? 0.4 : 0.1 });
  const run = (crashAt: Set<number>) => {
    let states = new Map<string, AlertState>();
    const delivered = new Map<string, AlertNotification>();
    for (let w = 0; w < 12; w++) {
      const now = T0 + (w + 1) * H;
      if (crashAt.has(w)) for (const notification of step(RULE, states, observation(w, psiOf(w)), now).notifications) delivered.set(notification.idempotencyKey, notification);
      const result = step(RULE, states, observation(w, psiOf(w)), now + 60_000);
      for (const notification of result.notifications) delivered.set(notification.idempotencyKey, notification);
      states = result.states;
    }
    return [...delivered.values()].map((notification) => `${notification.kind} ${notification.window.start} ${summaryOf(notification)[1]}`);
  };
  const clean = run(new Set());
  assert.ok(clean.length >= 6, clean.join('\n'));
  assert.deepEqual(run(new Set([0, 2, 4, 9, 10])), clean);
  assert.deepEqual(run(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), clean);
});

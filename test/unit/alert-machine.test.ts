// alerting/state/machine.ts: the alert lifecycle as a transition table (every state x every
// evaluation, for = 0/1/3, keep_firing_for = 0/2), repeat intervals, no data, replays, the
// group step, and random sequences against an independent look-back formulation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  initialState, isAlertState, timingOf, transition, transitionGroup,
  type AlertEmit, type AlertState, type AlertStatus, type AlertTiming,
} from '../../alerting/state/machine.js';
import type { InstanceEvaluation, RuleEvaluation } from '../../alerting/rules/evaluate.js';

const H = 3_600_000;
const REPEAT = 4 * H;
/** The evaluated window starts at AT; the wall clock reads NOW. */
const AT = 10 * H;
const NOW = 100 * H;

const timing = (forCount: number, keepFiringFor: number, noDataResolveAfter: number | null = null): AlertTiming =>
  ({ for: forCount, keepFiringFor, repeatIntervalMs: REPEAT, noDataResolveAfter });

const base: AlertState = { ...initialState(0), lastEvaluatedAt: AT - H, lastDataAt: AT - H, lastValue: 0.1 };
const STATES: Record<string, AlertState | null> = {
  none: null,
  inactive: { ...base, since: 2 * H },
  pending1: { ...base, status: 'pending', since: AT - H, pendingCount: 1, lastValue: 0.3 },
  pending3: { ...base, status: 'pending', since: AT - 3 * H, pendingCount: 3, lastValue: 0.3 },
  // Notified 1h of wall clock ago: no repeat due.
  firing: { ...base, status: 'firing', since: 6 * H, pendingCount: 4, firingSince: 6 * H, lastNotifiedAt: NOW - H, lastValue: 0.3 },
  // Notified exactly one repeat interval ago: a repeat is due.
  firingDue: { ...base, status: 'firing', since: 6 * H, pendingCount: 4, firingSince: 6 * H, lastNotifiedAt: NOW - REPEAT, lastValue: 0.3 },
  firingQuiet1: { ...base, status: 'firing', since: 6 * H, pendingCount: 0, firingSince: 6 * H, lastNotifiedAt: NOW - H, quietCount: 1 },
  firingQuiet2: { ...base, status: 'firing', since: 6 * H, pendingCount: 0, firingSince: 6 * H, lastNotifiedAt: NOW - H, quietCount: 2 },
  resolved: { ...base, status: 'resolved', since: AT - H, firingSince: 3 * H, resolvedAt: AT - H, lastNotifiedAt: NOW - H },
};

const EVALUATIONS = {
  breach: { breached: true, value: 0.3, at: AT },
  clear: { breached: false, value: 0.1, at: AT },
  noData: { breached: null, value: null, at: AT },
} as const;

type Row = {
  from: keyof typeof STATES;
  on: keyof typeof EVALUATIONS;
  for: number[];
  keep: number[];
  status: AlertStatus;
  emit: AlertEmit | null;
  /** Fields of the next state checked besides status. */
  fields?: Partial<AlertState>;
};

const ALL_FOR = [0, 1, 3];
const ALL_KEEP = [0, 2];
const FIRED = { since: AT, firingSince: AT, resolvedAt: null, lastNotifiedAt: NOW, quietCount: 0 };

// The table: every (state, evaluation) pair for every for and keep_firing_for it applies to.
const TABLE: Row[] = [
  // Never evaluated
  { from: 'none', on: 'breach', for: [0], keep: ALL_KEEP, status: 'firing', emit: 'firing', fields: { ...FIRED, pendingCount: 1, lastDataAt: AT, lastEvaluatedAt: AT, lastValue: 0.3 } },
  { from: 'none', on: 'breach', for: [1, 3], keep: ALL_KEEP, status: 'pending', emit: null, fields: { since: AT, pendingCount: 1, firingSince: null } },
  { from: 'none', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { since: AT, pendingCount: 0, lastDataAt: AT, lastValue: 0.1 } },
  { from: 'none', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { noDataCount: 1, lastEvaluatedAt: AT, lastDataAt: null, lastValue: null } },
  // Inactive
  { from: 'inactive', on: 'breach', for: [0], keep: ALL_KEEP, status: 'firing', emit: 'firing', fields: { ...FIRED, pendingCount: 1 } },
  { from: 'inactive', on: 'breach', for: [1, 3], keep: ALL_KEEP, status: 'pending', emit: null, fields: { since: AT, pendingCount: 1 } },
  { from: 'inactive', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { since: 2 * H, pendingCount: 0, lastDataAt: AT } },
  { from: 'inactive', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { since: 2 * H, noDataCount: 1, lastEvaluatedAt: AT, lastDataAt: AT - H, lastValue: 0.1 } },
  // Pending after one breach: the second breach fires with for = 0 or 1 (an alert pending under for = 0 only exists after a rule change)
  { from: 'pending1', on: 'breach', for: [0, 1], keep: ALL_KEEP, status: 'firing', emit: 'firing', fields: { ...FIRED, pendingCount: 2 } },
  { from: 'pending1', on: 'breach', for: [3], keep: ALL_KEEP, status: 'pending', emit: null, fields: { since: AT - H, pendingCount: 2 } },
  { from: 'pending1', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { since: AT, pendingCount: 0 } },
  { from: 'pending1', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'pending', emit: null, fields: { since: AT - H, pendingCount: 1, noDataCount: 1 } },
  // Pending after three breaches: the fourth fires with for = 3
  { from: 'pending3', on: 'breach', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: 'firing', fields: { ...FIRED, pendingCount: 4 } },
  { from: 'pending3', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'inactive', emit: null, fields: { since: AT, pendingCount: 0 } },
  { from: 'pending3', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'pending', emit: null, fields: { pendingCount: 3 } },
  // Firing, repeat not due
  { from: 'firing', on: 'breach', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { since: 6 * H, firingSince: 6 * H, pendingCount: 5, quietCount: 0, lastNotifiedAt: NOW - H } },
  { from: 'firing', on: 'clear', for: ALL_FOR, keep: [0], status: 'resolved', emit: 'resolved', fields: { since: AT, resolvedAt: AT, firingSince: 6 * H, lastNotifiedAt: NOW, pendingCount: 0, quietCount: 0 } },
  { from: 'firing', on: 'clear', for: ALL_FOR, keep: [2], status: 'firing', emit: null, fields: { since: 6 * H, quietCount: 1, pendingCount: 0, lastNotifiedAt: NOW - H } },
  { from: 'firing', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { quietCount: 0, pendingCount: 4, noDataCount: 1, lastValue: 0.3 } },
  // Firing, repeat due (now - lastNotifiedAt == repeat interval)
  { from: 'firingDue', on: 'breach', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: 'repeat', fields: { since: 6 * H, firingSince: 6 * H, lastNotifiedAt: NOW } },
  { from: 'firingDue', on: 'clear', for: ALL_FOR, keep: [0], status: 'resolved', emit: 'resolved', fields: { lastNotifiedAt: NOW } },
  { from: 'firingDue', on: 'clear', for: ALL_FOR, keep: [2], status: 'firing', emit: 'repeat', fields: { quietCount: 1, lastNotifiedAt: NOW } },
  { from: 'firingDue', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { lastNotifiedAt: NOW - REPEAT } },
  // Firing, kept through one clear
  { from: 'firingQuiet1', on: 'breach', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { quietCount: 0, pendingCount: 1, firingSince: 6 * H } },
  { from: 'firingQuiet1', on: 'clear', for: ALL_FOR, keep: [0], status: 'resolved', emit: 'resolved' },
  { from: 'firingQuiet1', on: 'clear', for: ALL_FOR, keep: [2], status: 'firing', emit: null, fields: { quietCount: 2 } },
  { from: 'firingQuiet1', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { quietCount: 1 } },
  // Firing, kept through two clears: the third resolves with keep_firing_for = 2
  { from: 'firingQuiet2', on: 'breach', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { quietCount: 0, pendingCount: 1 } },
  { from: 'firingQuiet2', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'resolved', emit: 'resolved', fields: { resolvedAt: AT, quietCount: 0 } },
  { from: 'firingQuiet2', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'firing', emit: null, fields: { quietCount: 2 } },
  // Resolved: like inactive for the next breach, keeping the last episode's history
  { from: 'resolved', on: 'breach', for: [0], keep: ALL_KEEP, status: 'firing', emit: 'firing', fields: { ...FIRED, pendingCount: 1 } },
  { from: 'resolved', on: 'breach', for: [1, 3], keep: ALL_KEEP, status: 'pending', emit: null, fields: { since: AT, pendingCount: 1, firingSince: 3 * H, resolvedAt: AT - H } },
  { from: 'resolved', on: 'clear', for: ALL_FOR, keep: ALL_KEEP, status: 'resolved', emit: null, fields: { since: AT - H, firingSince: 3 * H, resolvedAt: AT - H, lastNotifiedAt: NOW - H } },
  { from: 'resolved', on: 'noData', for: ALL_FOR, keep: ALL_KEEP, status: 'resolved', emit: null, fields: { since: AT - H, noDataCount: 1 } },
];

test('the transition table covers every (state, evaluation, for, keep_firing_for)', () => {
  const covered = new Set<string>();
  for (const row of TABLE) for (const f of row.for) for (const k of row.keep) {
    const key = `${row.from} ${row.on} ${f} ${k}`;
    assert.ok(!covered.has(key), `row repeated: ${key}`);
    covered.add(key);
  }
  assert.equal(covered.size, Object.keys(STATES).length * Object.keys(EVALUATIONS).length * ALL_FOR.length * ALL_KEEP.length);
});

test('transition table', async (t) => {
  for (const row of TABLE) for (const f of row.for) for (const k of row.keep) {
    await t.test(`${row.from} + ${row.on} (for ${f}, keep_firing_for ${k}) -> ${row.status}${row.emit === null ? '' : `, emits ${row.emit}`}`, () => {
      const previous = STATES[row.from]!;
      const result = transition(previous, EVALUATIONS[row.on], timing(f, k), NOW);
      assert.equal(result.next.status, row.status);
      assert.equal(result.emit, row.emit);
      assert.equal(result.ignored, false);
      for (const [field, value] of Object.entries(row.fields ?? {})) {
        assert.deepEqual(result.next[field as keyof AlertState], value, field);
      }
      assert.ok(isAlertState(result.next));
      assert.deepEqual(JSON.parse(JSON.stringify(result.next)), result.next, 'the state is plain JSON');
      if (previous !== null) assert.notEqual(result.next, previous, 'the previous state is not modified in place');
    });
  }
});

test('no data with noDataResolveAfter', async (t) => {
  const after2 = timing(1, 2, 2);
  const rows: Array<{ name: string; from: AlertState; status: AlertStatus; emit: AlertEmit | null; fields?: Partial<AlertState> }> = [
    { name: 'firing, first no-data evaluation: held', from: STATES.firing!, status: 'firing', emit: null, fields: { noDataCount: 1 } },
    { name: 'firing, second no-data evaluation: resolves', from: { ...STATES.firing!, noDataCount: 1 }, status: 'resolved', emit: 'resolved', fields: { resolvedAt: AT, lastNotifiedAt: NOW, noDataCount: 2 } },
    { name: 'kept firing, second no-data evaluation: resolves', from: { ...STATES.firingQuiet1!, noDataCount: 1 }, status: 'resolved', emit: 'resolved' },
    { name: 'pending, second no-data evaluation: dropped without a message', from: { ...STATES.pending1!, noDataCount: 1 }, status: 'inactive', emit: null, fields: { pendingCount: 0, since: AT } },
    { name: 'inactive stays inactive', from: { ...STATES.inactive!, noDataCount: 5 }, status: 'inactive', emit: null, fields: { noDataCount: 6 } },
    { name: 'resolved stays resolved, no second message', from: { ...STATES.resolved!, noDataCount: 5 }, status: 'resolved', emit: null },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const result = transition(row.from, EVALUATIONS.noData, after2, NOW);
      assert.equal(result.next.status, row.status);
      assert.equal(result.emit, row.emit);
      for (const [field, value] of Object.entries(row.fields ?? {})) assert.deepEqual(result.next[field as keyof AlertState], value, field);
    });
  }
  await t.test('data resets the no-data count', () => {
    assert.equal(transition({ ...STATES.firing!, noDataCount: 1 }, EVALUATIONS.breach, after2, NOW).next.noDataCount, 0);
  });
});

test('replays and late evaluations', async (t) => {
  const firing = STATES.firing!; // lastDataAt = lastEvaluatedAt = AT - H
  const rows = [
    { name: 'the same window again with data is ignored', from: firing, evaluation: { breached: false, value: 0, at: AT - H }, ignored: true },
    { name: 'an older window with data is ignored', from: firing, evaluation: { breached: false, value: 0, at: AT - 2 * H }, ignored: true },
    { name: 'the same window again without data is ignored', from: firing, evaluation: { breached: null, value: null, at: AT - H }, ignored: true },
    {
      name: 'a recompute with data of a window that had none (late labels) counts',
      from: { ...STATES.pending1!, lastEvaluatedAt: AT + 2 * H, lastDataAt: AT - H }, evaluation: { breached: true, value: 1, at: AT }, ignored: false,
    },
    {
      name: 'a no-data evaluation older than the newest evaluated window is ignored',
      from: { ...STATES.pending1!, lastEvaluatedAt: AT + 2 * H, lastDataAt: AT - H }, evaluation: { breached: null, value: null, at: AT + H }, ignored: true,
    },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const result = transition(row.from, row.evaluation, timing(3, 0), NOW);
      assert.equal(result.ignored, row.ignored);
      if (row.ignored) {
        assert.equal(result.next, row.from);
        assert.equal(result.emit, null);
      }
    });
  }
  await t.test('a late recompute keeps lastEvaluatedAt at the newest window', () => {
    const result = transition({ ...STATES.pending1!, lastEvaluatedAt: AT + 2 * H, lastDataAt: AT - H }, EVALUATIONS.breach, timing(3, 0), NOW);
    assert.equal(result.next.lastEvaluatedAt, AT + 2 * H);
    assert.equal(result.next.lastDataAt, AT);
    assert.equal(result.next.pendingCount, 2);
  });
  await t.test('replaying a whole run after a crash that lost the state gives the same emits and states', () => {
    let state: AlertState | null = null;
    const emits: Array<AlertEmit | null> = [];
    const states: AlertState[] = [];
    for (let i = 0; i < 6; i++) {
      const result = transition(state, { breached: i < 4, value: i, at: i * H }, timing(1, 0), 50 * H + i * H);
      state = result.next;
      emits.push(result.emit);
      states.push(result.next);
    }
    state = null;
    for (let i = 0; i < 6; i++) {
      const result = transition(state, { breached: i < 4, value: i, at: i * H }, timing(1, 0), 50 * H + i * H);
      assert.deepEqual(result.next, states[i]);
      assert.equal(result.emit, emits[i]);
      state = result.next;
    }
    // And replaying on top of the saved state emits nothing.
    for (let i = 0; i < 6; i++) assert.equal(transition(state, { breached: i < 4, value: i, at: i * H }, timing(1, 0), 90 * H).emit, null);
  });
});

// Sequences: B breach, C clear, N no data; emits . none, F firing, R repeat, X resolved.
// One evaluation per hour of wall clock, repeat interval 4h.
const SEQUENCES: Array<{ for: number; keep: number; noDataAfter?: number; inputs: string; emits: string; statuses?: string }> = [
  { for: 0, keep: 0, inputs: 'BCBC', emits: 'FXFX' },
  { for: 1, keep: 0, inputs: 'BBC', emits: '.FX', statuses: 'pfr' },
  { for: 3, keep: 0, inputs: 'BBBBC', emits: '...FX', statuses: 'pppfr' },
  { for: 3, keep: 0, inputs: 'BBBCBBBB', emits: '.......F', statuses: 'pppipppf' },
  { for: 3, keep: 0, inputs: 'BBNBB', emits: '....F', statuses: 'ppppf' },
  { for: 0, keep: 2, inputs: 'BCCC', emits: 'F..X', statuses: 'fffr' },
  { for: 0, keep: 2, inputs: 'BCCBCCC', emits: 'F...R.X' },
  { for: 0, keep: 2, inputs: 'BCNNCC', emits: 'F...RX' },
  { for: 0, keep: 0, inputs: 'BBBBBBBBB', emits: 'F...R...R' },
  { for: 0, keep: 0, inputs: 'BNNNNB', emits: 'F....R' },
  { for: 0, keep: 9, inputs: 'BCCCCCCCC', emits: 'F...R...R' },
  { for: 1, keep: 1, inputs: 'BBCBCC', emits: '.F...X', statuses: 'pffffr' },
  { for: 0, keep: 0, noDataAfter: 3, inputs: 'BNNNB', emits: 'F..XF' },
  { for: 2, keep: 0, noDataAfter: 2, inputs: 'BBNNB', emits: '.....', statuses: 'pppip' },
  { for: 0, keep: 0, inputs: 'NNNCCB', emits: '.....F', statuses: 'iiiiif' },
  { for: 0, keep: 0, inputs: 'BCC', emits: 'FX.', statuses: 'frr' },
];

const EMIT_CODE: Record<string, AlertEmit | null> = { '.': null, F: 'firing', R: 'repeat', X: 'resolved' };
const STATUS_CODE: Record<string, AlertStatus> = { i: 'inactive', p: 'pending', f: 'firing', r: 'resolved' };

test('sequences', async (t) => {
  for (const row of SEQUENCES) {
    await t.test(`for ${row.for}, keep ${row.keep}${row.noDataAfter === undefined ? '' : `, no data after ${row.noDataAfter}`}: ${row.inputs} -> ${row.emits}`, () => {
      let state: AlertState | null = null;
      [...row.inputs].forEach((input, i) => {
        const breached = input === 'N' ? null : input === 'B';
        const result = transition(state, { breached, value: breached === null ? null : i, at: i * H }, timing(row.for, row.keep, row.noDataAfter ?? null), i * H);
        assert.equal(result.emit, EMIT_CODE[row.emits[i]!], `emit at evaluation ${i}`);
        if (row.statuses !== undefined) assert.equal(result.next.status, STATUS_CODE[row.statuses[i]!], `status at evaluation ${i}`);
        state = result.next;
      });
    });
  }
});

test('timing is checked', () => {
  const cases: Array<[AlertTiming, RegExp]> = [
    [{ for: -1, keepFiringFor: 0, repeatIntervalMs: H }, /for must be an integer >= 0/],
    [{ for: 0.5, keepFiringFor: 0, repeatIntervalMs: H }, /for must be an integer >= 0/],
    [{ for: 0, keepFiringFor: -1, repeatIntervalMs: H }, /keepFiringFor/],
    [{ for: 0, keepFiringFor: 0, repeatIntervalMs: 0 }, /repeatIntervalMs must be > 0/],
    [{ for: 0, keepFiringFor: 0, repeatIntervalMs: H, noDataResolveAfter: 0 }, /noDataResolveAfter must be an integer >= 1/],
  ];
  for (const [bad, message] of cases) assert.throws(() => transition(null, EVALUATIONS.breach, bad, NOW), message);
  assert.deepEqual(timingOf({ for: 2, keepFiringFor: 1, repeatIntervalMs: H, noDataResolveAfter: null }), { for: 2, keepFiringFor: 1, repeatIntervalMs: H, noDataResolveAfter: null });
});

test('isAlertState refuses corrupt rows', () => {
  assert.ok(isAlertState(initialState(0)));
  assert.ok(!isAlertState(null));
  assert.ok(!isAlertState({ ...initialState(0), status: 'open' }));
  assert.ok(!isAlertState({ ...initialState(0), pendingCount: -1 }));
  assert.ok(!isAlertState({ ...initialState(0), lastValue: 'x' }));
  const { quietCount: _, ...missing } = initialState(0);
  assert.ok(!isAlertState(missing));
});

function instance(key: string, breached: boolean | null): InstanceEvaluation {
  return { key, column: key, metric: 'psi', value: breached === null ? null : breached ? 0.3 : 0.01, breached, noData: breached === null ? 'n/a' : null, absent: false, details: {} };
}

function ruleEvaluation(at: number, instances: InstanceEvaluation[]): RuleEvaluation {
  return {
    group: { ruleId: 'r', modelId: 'm', modelVersion: null, monitorId: 'mon', segment: null },
    groupKey: 'g', at, window: { start: at, end: at + H }, reference: { kind: 'trailing', description: '7d' }, instances,
  };
}

test('transitionGroup lists every firing instance when one fires and aligns their repeat timers', () => {
  const states = new Map<string, AlertState>([
    ['a', { ...STATES.firing!, lastNotifiedAt: NOW - 3 * H }],
    ['c', { ...STATES.firingQuiet1! }],
    ['d', { ...STATES.inactive! }],
  ]);
  const transitions = transitionGroup(ruleEvaluation(AT, [instance('a', true), instance('b', true), instance('c', null), instance('d', false)]), states, timing(0, 2), NOW);
  assert.deepEqual(transitions.map((item) => [item.instance.key, item.next.status, item.emit]), [
    ['a', 'firing', 'repeat'], ['b', 'firing', 'firing'], ['c', 'firing', 'repeat'], ['d', 'inactive', null],
  ]);
  assert.deepEqual(transitions.map((item) => item.next.lastNotifiedAt), [NOW, NOW, NOW, null]);
  assert.equal(transitions[0]!.previous, states.get('a'));
  assert.equal(transitions[1]!.previous, null);
  // Nothing new and no repeat due: nothing is emitted.
  const later = new Map(transitions.map((item) => [item.instance.key, item.next]));
  const quiet = transitionGroup(ruleEvaluation(AT + H, [instance('a', true), instance('b', true), instance('c', true), instance('d', false)]), later, timing(0, 2), NOW + H);
  assert.deepEqual(quiet.map((item) => item.emit), [null, null, null, null]);
  // All three repeat together.
  const due = transitionGroup(ruleEvaluation(AT + 2 * H, [instance('a', true), instance('b', true), instance('c', true), instance('d', false)]),
    new Map(quiet.map((item) => [item.instance.key, item.next])), timing(0, 2), NOW + REPEAT);
  assert.deepEqual(due.map((item) => item.emit), ['repeat', 'repeat', 'repeat', null]);
});

// ---------------------------------------------------------------------------------------
// An independent formulation: look back over the data outcomes instead of keeping counters.
// fires when the last for + 1 data outcomes since the last reset are all breaches; resolves
// when the last keep + 1 data outcomes since it fired are all clears.

function lookBack(inputs: Array<boolean | null>, forCount: number, keep: number, noDataAfter: number | null, nowOf: (i: number) => number): Array<[AlertStatus, AlertEmit | null]> {
  const out: Array<[AlertStatus, AlertEmit | null]> = [];
  let status: AlertStatus = 'inactive';
  let history: boolean[] = []; // data outcomes since the last reset
  let firedAt = -1; // history index of the firing
  let lastNotified = -Infinity;
  let noDataRun = 0;
  inputs.forEach((input, i) => {
    let emit: AlertEmit | null = null;
    if (input === null) {
      noDataRun++;
      if (noDataAfter !== null && noDataRun >= noDataAfter && (status === 'firing' || status === 'pending')) {
        if (status === 'firing') { status = 'resolved'; emit = 'resolved'; lastNotified = nowOf(i); } else status = 'inactive';
        history = [];
      }
      out.push([status, emit]);
      return;
    }
    noDataRun = 0;
    history.push(input);
    const tail = (n: number) => history.slice(-n);
    if (status !== 'firing') {
      const streak = tail(forCount + 1);
      if (streak.length === forCount + 1 && streak.every((outcome) => outcome)) {
        status = 'firing'; emit = 'firing'; firedAt = history.length - 1; lastNotified = nowOf(i);
      } else status = input ? 'pending' : status === 'resolved' ? 'resolved' : 'inactive';
      // A clear breaks a streak: only outcomes after it can count.
      if (!input) history = [];
    } else {
      const sinceFired = history.slice(firedAt + 1);
      const quiet = sinceFired.slice(-(keep + 1));
      if (quiet.length === keep + 1 && quiet.every((outcome) => !outcome)) {
        status = 'resolved'; emit = 'resolved'; lastNotified = nowOf(i); history = [];
      } else if (nowOf(i) - lastNotified >= REPEAT) {
        emit = 'repeat'; lastNotified = nowOf(i);
      }
    }
    out.push([status, emit]);
  });
  return out;
}

test('random sequences agree with the look-back formulation', () => {
  let seed = 20260501;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let run = 0; run < 3000; run++) {
    const forCount = Math.floor(random() * 4);
    const keep = Math.floor(random() * 3);
    const noDataAfter = random() < 0.5 ? null : 1 + Math.floor(random() * 3);
    const pBreach = random();
    const inputs = Array.from({ length: 5 + Math.floor(random() * 30) }, () => {
      const draw = random();
      return draw < 0.15 ? null : draw < 0.15 + 0.85 * pBreach;
    });
    // Wall clock: 30 to 150 minutes between evaluations.
    const clock: number[] = [];
    inputs.forEach((_, i) => clock.push((clock[i - 1] ?? 0) + (30 + Math.floor(random() * 121)) * 60_000));
    const expected = lookBack(inputs, forCount, keep, noDataAfter, (i) => clock[i]!);
    let state: AlertState | null = null;
    inputs.forEach((breached, i) => {
      const result = transition(state, { breached, value: null, at: i * H }, timing(forCount, keep, noDataAfter), clock[i]!);
      assert.deepEqual([result.next.status, result.emit], expected[i], `run ${run}, for ${forCount}, keep ${keep}, no data after ${noDataAfter}, inputs ${inputs.map((x) => (x === null ? 'N' : x ? 'B' : 'C')).join('')}, evaluation ${i}`);
      state = result.next;
    });
  }
});

// alerting/delivery/retraining-policy.ts: run ids (against sha256sum), what a firing alert
// does under a cooldown (every status, the boundaries, approval), and the callback rules as a
// transition table over every run status and every reported status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyCallback, CALLBACK_STATUSES, COOLDOWN_STATUSES, decideRetraining, RETRAINING_STATUSES, retrainingRunId,
  type CallbackOutcome, type CallbackStatus, type RecentRun, type RetrainingDecision, type RetrainingStatus,
} from '../../alerting/delivery/retraining-policy.js';

const H = 3_600_000;
const COOLDOWN = 24 * H;
const NOW = Date.UTC(2024, 4, 2, 12);
const ALERT_KEY = 'grp-1:firing:1714568400000';

test('retrainingRunId', async (t) => {
  await t.test('the reference value', () => {
    // printf '%s' 'driftwatch-retraining/1:gh-retrain:grp-1:firing:1714568400000' | sha256sum | cut -c1-32
    assert.equal(retrainingRunId(ALERT_KEY, 'gh-retrain'), '9da22b579efc99afc8f12e2d272944e6');
    assert.equal(retrainingRunId(ALERT_KEY, 'af-retrain'), '2123661d9c10619dd668c744016619d4');
  });
  await t.test('deterministic', () => assert.equal(retrainingRunId(ALERT_KEY, 'gh-retrain'), retrainingRunId(ALERT_KEY, 'gh-retrain')));
  await t.test('32 lowercase hex characters', () => {
    for (const [key, target] of [[ALERT_KEY, 'gh'], ['', ''], ['ü:\n', 'x'.repeat(128)]] as const) {
      assert.match(retrainingRunId(key, target), /^[0-9a-f]{32}$/);
    }
  });
  await t.test('differs by target', () => assert.notEqual(retrainingRunId(ALERT_KEY, 'gh-retrain'), retrainingRunId(ALERT_KEY, 'gh-retrain2')));
  await t.test('differs by alert key', () => assert.notEqual(retrainingRunId(ALERT_KEY, 'gh-retrain'), retrainingRunId('grp-1:firing:1714572000000', 'gh-retrain')));
  await t.test('arguments are not interchangeable', () => assert.notEqual(retrainingRunId('a', 'b'), retrainingRunId('b', 'a')));
});

test('COOLDOWN_STATUSES are the statuses of a run started or about to start', () => {
  assert.deepEqual([...COOLDOWN_STATUSES].sort(), ['failed', 'pending_approval', 'sending', 'started', 'succeeded', 'triggered']);
});

const decide = (recent: RecentRun[], requireApproval = false, cooldownMs = COOLDOWN): RetrainingDecision =>
  decideRetraining({ nowMs: NOW, cooldownMs, requireApproval, recent });

const SEND: RetrainingDecision = { action: 'send' };
const AWAIT: RetrainingDecision = { action: 'await_approval' };

test('no recent runs: send, or wait for approval', () => {
  assert.deepEqual(decide([]), SEND);
  assert.deepEqual(decide([], true), AWAIT);
});

test('a run one hour ago, in each status', async (t) => {
  // An hour ago + 24h cooldown: the next run may start at 2024-05-03T11:00Z.
  const until = '2024-05-03T11:00:00.000Z';
  const rows: Array<{ status: RetrainingStatus; holds: boolean }> = [
    { status: 'pending_approval', holds: true },
    { status: 'rejected', holds: false },
    { status: 'suppressed', holds: false },
    { status: 'sending', holds: true },
    { status: 'triggered', holds: true },
    { status: 'send_failed', holds: false },
    { status: 'started', holds: true },
    { status: 'succeeded', holds: true },
    { status: 'failed', holds: true },
  ];
  assert.deepEqual(rows.map((row) => row.status), [...RETRAINING_STATUSES], 'every status once');
  for (const row of rows) {
    await t.test(row.status, () => {
      const recent = [{ runId: 'run-1', status: row.status, createdMs: NOW - H }];
      const held: RetrainingDecision = {
        action: 'suppress', blockingRunId: 'run-1',
        reason: `cooldown: run run-1 (${row.status}) started less than the cooldown ago; the next run may start after ${until}`,
      };
      assert.deepEqual(decide(recent), row.holds ? held : SEND);
      assert.deepEqual(decide(recent, true), row.holds ? held : AWAIT, 'approval does not lift a cooldown');
    });
  }
});

test('cooldown boundaries', async (t) => {
  const rows: Array<{ name: string; createdMs: number; cooldownMs?: number; blocks: boolean }> = [
    { name: 'exactly one cooldown ago: free (createdMs > since is strict)', createdMs: NOW - COOLDOWN, blocks: false },
    { name: '1 ms inside the cooldown', createdMs: NOW - COOLDOWN + 1, blocks: true },
    { name: 'long ago', createdMs: NOW - 30 * COOLDOWN, blocks: false },
    { name: 'created now', createdMs: NOW, blocks: true },
    { name: '1 ms in the future (clock skew): not blocking', createdMs: NOW + 1, blocks: false },
    { name: 'an hour in the future: not blocking', createdMs: NOW + H, blocks: false },
    { name: 'cooldown 0: a run created now does not block', createdMs: NOW, cooldownMs: 0, blocks: false },
    { name: 'cooldown 1 ms: a run created now blocks', createdMs: NOW, cooldownMs: 1, blocks: true },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const decision = decide([{ runId: 'run-1', status: 'triggered', createdMs: row.createdMs }], false, row.cooldownMs ?? COOLDOWN);
      assert.equal(decision.action, row.blocks ? 'suppress' : 'send');
    });
  }
});

test('the newest blocking run is named', async (t) => {
  await t.test('newest of several, whatever the input order', () => {
    const recent: RecentRun[] = [
      { runId: 'old-started', status: 'started', createdMs: NOW - 5 * H },
      { runId: 'newest-rejected', status: 'rejected', createdMs: NOW - 10 * 60_000 },
      { runId: 'new-triggered', status: 'triggered', createdMs: NOW - 2 * H },
      { runId: 'future-started', status: 'started', createdMs: NOW + H },
      { runId: 'expired-succeeded', status: 'succeeded', createdMs: NOW - 25 * H },
    ];
    const expected: RetrainingDecision = {
      action: 'suppress', blockingRunId: 'new-triggered',
      reason: 'cooldown: run new-triggered (triggered) started less than the cooldown ago; the next run may start after 2024-05-03T10:00:00.000Z',
    };
    assert.deepEqual(decide(recent), expected);
    assert.deepEqual(decide([...recent].reverse()), expected);
  });
  await t.test('only non-holding runs inside the cooldown', () => {
    const recent: RecentRun[] = [
      { runId: 'a', status: 'rejected', createdMs: NOW - H },
      { runId: 'b', status: 'suppressed', createdMs: NOW - 2 * H },
      { runId: 'c', status: 'send_failed', createdMs: NOW - 3 * H },
    ];
    assert.deepEqual(decide(recent), SEND);
    assert.deepEqual(decide(recent, true), AWAIT);
  });
  await t.test('the input list is not reordered', () => {
    const recent: RecentRun[] = [
      { runId: 'a', status: 'started', createdMs: NOW - 3 * H },
      { runId: 'b', status: 'started', createdMs: NOW - H },
    ];
    decide(recent);
    assert.deepEqual(recent.map((run) => run.runId), ['a', 'b']);
  });
});

// ---------------------------------------------------------------------------------------
// Callbacks: every run status x every reported status, written out.

const ACCEPT = (next: RetrainingStatus, changed: boolean): CallbackOutcome => ({ accept: true, next, changed });
const NEVER_STARTED = (status: RetrainingStatus): CallbackOutcome => ({ accept: false, problem: `the run was never started (it is ${status})` });
const FINISHED = (status: RetrainingStatus): CallbackOutcome => ({ accept: false, problem: `the run already finished as ${status}` });

const CALLBACK_TABLE: Array<{ current: RetrainingStatus; reported: CallbackStatus; outcome: CallbackOutcome }> = [
  { current: 'pending_approval', reported: 'started', outcome: NEVER_STARTED('pending_approval') },
  { current: 'pending_approval', reported: 'succeeded', outcome: NEVER_STARTED('pending_approval') },
  { current: 'pending_approval', reported: 'failed', outcome: NEVER_STARTED('pending_approval') },
  { current: 'rejected', reported: 'started', outcome: NEVER_STARTED('rejected') },
  { current: 'rejected', reported: 'succeeded', outcome: NEVER_STARTED('rejected') },
  { current: 'rejected', reported: 'failed', outcome: NEVER_STARTED('rejected') },
  { current: 'suppressed', reported: 'started', outcome: NEVER_STARTED('suppressed') },
  { current: 'suppressed', reported: 'succeeded', outcome: NEVER_STARTED('suppressed') },
  { current: 'suppressed', reported: 'failed', outcome: NEVER_STARTED('suppressed') },
  // A fast pipeline may call back before the request is recorded as triggered.
  { current: 'sending', reported: 'started', outcome: ACCEPT('started', true) },
  { current: 'sending', reported: 'succeeded', outcome: ACCEPT('succeeded', true) },
  { current: 'sending', reported: 'failed', outcome: ACCEPT('failed', true) },
  { current: 'triggered', reported: 'started', outcome: ACCEPT('started', true) },
  { current: 'triggered', reported: 'succeeded', outcome: ACCEPT('succeeded', true) },
  { current: 'triggered', reported: 'failed', outcome: ACCEPT('failed', true) },
  // A send that timed out may still have reached the pipeline.
  { current: 'send_failed', reported: 'started', outcome: ACCEPT('started', true) },
  { current: 'send_failed', reported: 'succeeded', outcome: ACCEPT('succeeded', true) },
  { current: 'send_failed', reported: 'failed', outcome: ACCEPT('failed', true) },
  { current: 'started', reported: 'started', outcome: ACCEPT('started', false) },
  { current: 'started', reported: 'succeeded', outcome: ACCEPT('succeeded', true) },
  { current: 'started', reported: 'failed', outcome: ACCEPT('failed', true) },
  { current: 'succeeded', reported: 'started', outcome: FINISHED('succeeded') },
  { current: 'succeeded', reported: 'succeeded', outcome: ACCEPT('succeeded', false) },
  { current: 'succeeded', reported: 'failed', outcome: FINISHED('succeeded') },
  { current: 'failed', reported: 'started', outcome: FINISHED('failed') },
  { current: 'failed', reported: 'succeeded', outcome: FINISHED('failed') },
  { current: 'failed', reported: 'failed', outcome: ACCEPT('failed', false) },
];

test('the callback table covers every status pair exactly once', () => {
  const covered = CALLBACK_TABLE.map((row) => `${row.current}/${row.reported}`);
  const expected = RETRAINING_STATUSES.flatMap((current) => CALLBACK_STATUSES.map((reported) => `${current}/${reported}`));
  assert.deepEqual([...covered].sort(), [...expected].sort());
  assert.equal(new Set(covered).size, covered.length);
});

test('applyCallback transition table', async (t) => {
  for (const row of CALLBACK_TABLE) {
    await t.test(`${row.current} + ${row.reported}`, () => assert.deepEqual(applyCallback(row.current, row.reported), row.outcome));
  }
});

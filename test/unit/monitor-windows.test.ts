// analyzer/monitors/windows.ts: UTC alignment (1w on Monday), complete and due windows,
// and cron expressions checked against node-cron's own matcher.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTask, validate } from 'node-cron';
import {
  completeWindows, CRON_TIMEZONE, cronExpressionFor, nextDueTime, parseMonitor, WINDOW_SIZES, windowContaining, windowSizeMs,
  windowStartOf, type WindowSchedule, type WindowSize,
} from '../../analyzer/monitors/index.js';
import { randomInt, seededRandom } from '../helpers/hostile-values.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const utc = (text: string) => Date.parse(text);

test('window sizes', () => {
  const expected: Record<WindowSize, number> = {
    '1m': MINUTE, '5m': 5 * MINUTE, '10m': 10 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE,
    '1h': HOUR, '2h': 2 * HOUR, '3h': 3 * HOUR, '4h': 4 * HOUR, '6h': 6 * HOUR, '8h': 8 * HOUR, '12h': 12 * HOUR,
    '1d': DAY, '1w': WEEK,
  };
  assert.deepEqual(Object.fromEntries(WINDOW_SIZES.map((size) => [size, windowSizeMs(size)])), expected);
  assert.throws(() => windowSizeMs('2m' as WindowSize), RangeError);
  assert.throws(() => windowStartOf('1h', Number.NaN), RangeError);
});

const STARTS: Array<{ size: WindowSize; t: string; start: string }> = [
  { size: '1m', t: '2026-11-27T10:15:59.999Z', start: '2026-11-27T10:15:00Z' },
  { size: '5m', t: '2026-11-27T10:14:59Z', start: '2026-11-27T10:10:00Z' },
  { size: '10m', t: '2026-11-27T10:20:00Z', start: '2026-11-27T10:20:00Z' },
  { size: '15m', t: '2026-11-27T10:44:00Z', start: '2026-11-27T10:30:00Z' },
  { size: '30m', t: '2026-11-27T23:59:59Z', start: '2026-11-27T23:30:00Z' },
  { size: '1h', t: '2026-11-27T10:15:00Z', start: '2026-11-27T10:00:00Z' },
  // The EU and US daylight saving switches mean nothing in UTC.
  { size: '1h', t: '2026-03-29T02:30:00Z', start: '2026-03-29T02:00:00Z' },
  { size: '1h', t: '2026-11-01T01:30:00Z', start: '2026-11-01T01:00:00Z' },
  { size: '2h', t: '2026-11-27T01:59:59Z', start: '2026-11-27T00:00:00Z' },
  { size: '3h', t: '2026-03-29T02:30:00Z', start: '2026-03-29T00:00:00Z' },
  { size: '3h', t: '2026-11-27T22:00:00Z', start: '2026-11-27T21:00:00Z' },
  { size: '4h', t: '2026-11-27T23:00:00Z', start: '2026-11-27T20:00:00Z' },
  { size: '6h', t: '2026-11-27T17:59:59Z', start: '2026-11-27T12:00:00Z' },
  { size: '8h', t: '2026-11-27T23:59:59Z', start: '2026-11-27T16:00:00Z' },
  { size: '12h', t: '2026-11-27T12:00:00Z', start: '2026-11-27T12:00:00Z' },
  { size: '1d', t: '2026-10-25T01:30:00Z', start: '2026-10-25T00:00:00Z' },
  { size: '1d', t: '2028-02-29T23:59:59.999Z', start: '2028-02-29T00:00:00Z' },
  { size: '1d', t: '1969-12-31T12:00:00Z', start: '1969-12-31T00:00:00Z' },
  // Weeks start on Monday 00:00 UTC, also across year ends.
  { size: '1w', t: '2026-01-01T12:00:00Z', start: '2025-12-29T00:00:00Z' }, // Thursday
  { size: '1w', t: '2027-01-01T00:00:00Z', start: '2026-12-28T00:00:00Z' }, // Friday
  { size: '1w', t: '2024-12-31T23:59:59Z', start: '2024-12-30T00:00:00Z' }, // Tuesday
  { size: '1w', t: '2020-12-31T00:00:00Z', start: '2020-12-28T00:00:00Z' }, // Thursday of ISO week 53
  { size: '1w', t: '2021-01-03T23:59:59.999Z', start: '2020-12-28T00:00:00Z' }, // Sunday
  { size: '1w', t: '2021-01-04T00:00:00Z', start: '2021-01-04T00:00:00Z' }, // Monday
  { size: '1w', t: '2021-01-04T00:00:00.001Z', start: '2021-01-04T00:00:00Z' },
  { size: '1w', t: '2026-03-29T02:30:00Z', start: '2026-03-23T00:00:00Z' }, // DST Sunday
  { size: '1w', t: '2028-02-29T12:00:00Z', start: '2028-02-28T00:00:00Z' }, // leap day
  { size: '1w', t: '1970-01-01T00:00:00Z', start: '1969-12-29T00:00:00Z' }, // the epoch, a Thursday
  { size: '1w', t: '1969-12-28T00:00:00Z', start: '1969-12-22T00:00:00Z' },
];

test('windowStartOf and windowContaining', async (t) => {
  for (const { size, t: time, start } of STARTS) {
    await t.test(`${size} ${time}`, () => {
      assert.equal(new Date(windowStartOf(size, utc(time))).toISOString(), new Date(utc(start)).toISOString());
      assert.deepEqual(windowContaining(size, utc(time)), { start: utc(start), end: utc(start) + windowSizeMs(size) });
    });
  }
});

test('every window is aligned in UTC calendar terms (random times 2000-2100)', () => {
  const random = seededRandom(20261127);
  for (let i = 0; i < 2000; i++) {
    const time = randomInt(random, Date.UTC(2000, 0, 1), Date.UTC(2100, 0, 1));
    for (const size of WINDOW_SIZES) {
      const { start, end } = windowContaining(size, time);
      const length = windowSizeMs(size);
      assert.ok(start <= time && time < end && end - start === length, `${size} ${time}`);
      const date = new Date(start);
      assert.equal(date.getUTCSeconds() + date.getUTCMilliseconds(), 0);
      if (size === '1w') {
        assert.equal(date.getUTCDay(), 1, `${date.toISOString()} is a Monday`);
        assert.equal(date.getUTCHours() + date.getUTCMinutes(), 0);
      } else if (length >= HOUR) {
        assert.equal(date.getUTCMinutes(), 0);
        assert.equal(date.getUTCHours() % (length / HOUR), 0, `${size} ${date.toISOString()}`);
      } else {
        assert.equal(date.getUTCMinutes() % (length / MINUTE), 0, `${size} ${date.toISOString()}`);
      }
    }
  }
});

const schedule = (window: WindowSize, delay: string): WindowSchedule => parseMonitor({ id: 'm', model_id: 'm', window, delay });
const T = utc('2026-11-27T10:00:00Z');
const FOREVER = Date.UTC(2100, 0, 1);

const COMPLETE: Array<{ name: string; monitor: WindowSchedule; from: number; to: number; now: number; starts: number[] }> = [
  { name: 'due at end + delay', monitor: schedule('1h', '5s'), from: T - 3 * HOUR, to: FOREVER, now: T + 5 * SECOND, starts: [T - 3 * HOUR, T - 2 * HOUR, T - HOUR] },
  { name: 'not yet due 1 ms before end + delay', monitor: schedule('1h', '5s'), from: T - 3 * HOUR, to: FOREVER, now: T + 5 * SECOND - 1, starts: [T - 3 * HOUR, T - 2 * HOUR] },
  { name: 'zero delay: due at its end', monitor: schedule('1h', '0s'), from: T - HOUR, to: FOREVER, now: T, starts: [T - HOUR] },
  { name: 'from inside a window includes that window', monitor: schedule('1h', '5s'), from: T - 150 * MINUTE, to: FOREVER, now: T + HOUR, starts: [T - 3 * HOUR, T - 2 * HOUR, T - HOUR] },
  { name: 'to on a boundary', monitor: schedule('1h', '5s'), from: T - 3 * HOUR, to: T - HOUR, now: T + HOUR, starts: [T - 3 * HOUR, T - 2 * HOUR] },
  { name: 'to inside a window excludes it', monitor: schedule('1h', '5s'), from: T - 3 * HOUR, to: T - 30 * MINUTE, now: T + HOUR, starts: [T - 3 * HOUR, T - 2 * HOUR] },
  { name: 'from after to', monitor: schedule('1h', '5s'), from: T, to: T - HOUR, now: T + HOUR, starts: [] },
  { name: 'nothing due yet', monitor: schedule('1h', '5s'), from: T + 5 * SECOND, to: FOREVER, now: T + 5 * SECOND, starts: [] },
  { name: 'delay longer than the window', monitor: schedule('1m', '90s'), from: T - 5 * MINUTE, to: FOREVER, now: T + 30 * SECOND, starts: [T - 5 * MINUTE, T - 4 * MINUTE, T - 3 * MINUTE, T - 2 * MINUTE] },
  { name: '1h delay on 1m windows', monitor: schedule('1m', '1h'), from: T - 62 * MINUTE, to: FOREVER, now: T, starts: [T - 62 * MINUTE, T - 61 * MINUTE] },
  {
    name: 'weeks across a year end',
    monitor: schedule('1w', '5s'), from: utc('2026-12-20T12:00:00Z'), to: FOREVER, now: utc('2027-01-11T00:00:05Z'),
    starts: ['2026-12-14', '2026-12-21', '2026-12-28', '2027-01-04'].map((day) => utc(`${day}T00:00:00Z`)),
  },
  {
    name: 'the last week not due 1 s early',
    monitor: schedule('1w', '5s'), from: utc('2026-12-20T12:00:00Z'), to: FOREVER, now: utc('2027-01-11T00:00:04Z'),
    starts: ['2026-12-14', '2026-12-21', '2026-12-28'].map((day) => utc(`${day}T00:00:00Z`)),
  },
  {
    name: 'days across a leap day', monitor: schedule('1d', '1h'), from: utc('2028-02-28T06:00:00Z'), to: FOREVER, now: utc('2028-03-02T01:00:00Z'),
    starts: ['2028-02-28', '2028-02-29', '2028-03-01'].map((day) => utc(`${day}T00:00:00Z`)),
  },
];

test('completeWindows', async (t) => {
  for (const { name, monitor, from, to, now, starts } of COMPLETE) {
    await t.test(name, () => {
      const length = windowSizeMs(monitor.window);
      assert.deepEqual(completeWindows(monitor, from, to, now), starts.map((start) => ({ start, end: start + length })));
    });
  }
});

const NEXT_DUE: Array<{ monitor: WindowSchedule; now: number; due: number }> = [
  { monitor: schedule('1h', '5s'), now: T - 1, due: T + 5 * SECOND },
  { monitor: schedule('1h', '5s'), now: T, due: T + 5 * SECOND },
  { monitor: schedule('1h', '5s'), now: T + 5 * SECOND - 1, due: T + 5 * SECOND },
  { monitor: schedule('1h', '5s'), now: T + 5 * SECOND, due: T + HOUR + 5 * SECOND },
  { monitor: schedule('1h', '0s'), now: T, due: T + HOUR },
  { monitor: schedule('1m', '90s'), now: T, due: T + 30 * SECOND },
  { monitor: schedule('1m', '90s'), now: T + 30 * SECOND, due: T + 90 * SECOND },
  { monitor: schedule('5m', '7m'), now: T, due: T + 2 * MINUTE },
  { monitor: schedule('1d', '1h'), now: utc('2026-11-27T00:59:59Z'), due: utc('2026-11-27T01:00:00Z') },
  { monitor: schedule('1d', '1h'), now: utc('2026-11-27T01:00:00Z'), due: utc('2026-11-28T01:00:00Z') },
  { monitor: schedule('1w', '1h'), now: utc('2027-01-04T00:30:00Z'), due: utc('2027-01-04T01:00:00Z') },
  { monitor: schedule('1w', '1h'), now: utc('2027-01-04T01:00:00Z'), due: utc('2027-01-11T01:00:00Z') },
  { monitor: schedule('1w', '5s'), now: utc('2026-12-31T00:00:00Z'), due: utc('2027-01-04T00:00:05Z') },
];

test('nextDueTime is the first due time strictly after now', async (t) => {
  for (const { monitor, now, due } of NEXT_DUE) {
    await t.test(`${monitor.window} +${monitor.delayMs}ms at ${new Date(now).toISOString()}`, () => {
      assert.equal(new Date(nextDueTime(monitor, now)).toISOString(), new Date(due).toISOString());
    });
  }
});

test('nextDueTime agrees with completeWindows; catch_up always covers the latest due window', () => {
  const monitors = [
    parseMonitor({ id: 'a', model_id: 'm', window: '1m', delay: '1h', catch_up: '61m' }),
    parseMonitor({ id: 'b', model_id: 'm', window: '1h' }),
    parseMonitor({ id: 'c', model_id: 'm', window: '1d', delay: '1h' }),
    parseMonitor({ id: 'd', model_id: 'm', window: '1w', delay: '1h' }),
    parseMonitor({ id: 'e', model_id: 'm', window: '1w', catch_up: '604805s' }),
    parseMonitor({ id: 'f', model_id: 'm', window: '15m', delay: '0s', catch_up: '15m' }),
  ];
  const random = seededRandom(7);
  for (const monitor of monitors) {
    const length = windowSizeMs(monitor.window);
    for (let i = 0; i < 300; i++) {
      const now = randomInt(random, Date.UTC(2020, 0, 1), Date.UTC(2030, 0, 1));
      const due = nextDueTime(monitor, now);
      assert.ok(due > now && due - now <= length, monitor.id);
      const windowEnd = due - monitor.delayMs;
      const before = completeWindows(monitor, windowEnd - length, FOREVER, due - 1);
      const at = completeWindows(monitor, windowEnd - length, FOREVER, due);
      assert.deepEqual([before.length, at.length], [0, 1], monitor.id);
      // The scheduler looks back catch_up from now: the latest due window is always in reach,
      // even in the last instant before the next one becomes due.
      for (const moment of [now, due - 1]) {
        const windows = completeWindows(monitor, moment - monitor.catchUpMs, FOREVER, moment);
        assert.equal(windows.at(-1)?.end, windowStartOf(monitor.window, moment - monitor.delayMs), `${monitor.id} at ${moment}`);
      }
    }
  }
});

const CRONS: Array<{ window: WindowSize; delay: string; expression: string }> = [
  { window: '1m', delay: '0s', expression: '0 * * * * *' },
  { window: '1m', delay: '5s', expression: '5 * * * * *' },
  { window: '1m', delay: '90s', expression: '30 * * * * *' },
  { window: '1m', delay: '1h', expression: '0 * * * * *' },
  { window: '5m', delay: '5s', expression: '5 */5 * * * *' },
  { window: '5m', delay: '7m', expression: '0 2-59/5 * * * *' },
  { window: '10m', delay: '599s', expression: '59 9-59/10 * * * *' },
  { window: '15m', delay: '61s', expression: '1 1-59/15 * * * *' },
  { window: '30m', delay: '45m', expression: '0 15-59/30 * * * *' },
  { window: '1h', delay: '5s', expression: '5 0 * * * *' },
  { window: '1h', delay: '3599s', expression: '59 59 * * * *' },
  { window: '1h', delay: '1h', expression: '0 0 * * * *' },
  { window: '2h', delay: '1h', expression: '0 0 1-23/2 * * *' },
  { window: '3h', delay: '5s', expression: '5 0 */3 * * *' },
  { window: '4h', delay: '2m', expression: '0 2 */4 * * *' },
  { window: '6h', delay: '1h', expression: '0 0 1-23/6 * * *' },
  { window: '8h', delay: '30s', expression: '30 0 */8 * * *' },
  { window: '12h', delay: '30m', expression: '0 30 */12 * * *' },
  { window: '1d', delay: '5s', expression: '5 0 0 * * *' },
  { window: '1d', delay: '1h', expression: '0 0 1 * * *' },
  { window: '1w', delay: '5s', expression: '5 0 0 * * 1' },
  { window: '1w', delay: '1h', expression: '0 0 1 * * 1' },
];

test('cronExpressionFor fires exactly at every window end + delay (node-cron, UTC)', async (t) => {
  assert.equal(CRON_TIMEZONE, 'UTC');
  for (const { window, delay, expression } of CRONS) {
    await t.test(`${window} + ${delay}`, () => {
      const monitor = schedule(window, delay);
      assert.equal(cronExpressionFor(monitor), expression);
      assert.ok(validate(expression), expression);
      const task = createTask(expression, () => undefined, { timezone: CRON_TIMEZONE });
      try {
        const isDue = (time: number) => windowStartOf(window, time - monitor.delayMs) === time - monitor.delayMs;
        const check = (time: number) => assert.equal(task.match(new Date(time)), isDue(time), new Date(time).toISOString());
        // Every second of a quarter hour around Monday 2026-12-28 00:00 UTC.
        const start = utc('2026-12-27T23:55:00Z');
        for (let time = start; time < start + 15 * MINUTE; time += SECOND) check(time);
        // Each minute (each hour for windows longer than 1h) at the delay's phase, over three
        // windows (at least 3h), and a second and a minute either side of every due time.
        const length = windowSizeMs(window);
        const step = length <= HOUR ? MINUTE : HOUR;
        const from = utc('2026-12-21T00:00:00Z') + (monitor.delayMs % step);
        for (let time = from; time < from + Math.max(3 * length, 3 * HOUR); time += step) {
          check(time);
          if (isDue(time)) for (const near of [-MINUTE, -SECOND, SECOND, MINUTE]) check(time + near);
        }
      } finally {
        void task.destroy();
      }
    });
  }
});

test('cronExpressionFor refuses a delay no monitor may have', () => {
  assert.throws(() => cronExpressionFor({ window: '1h', delayMs: HOUR + SECOND }), RangeError);
  assert.throws(() => cronExpressionFor({ window: '1h', delayMs: 1500 }), RangeError);
  assert.throws(() => cronExpressionFor({ window: '1h', delayMs: -SECOND }), RangeError);
});

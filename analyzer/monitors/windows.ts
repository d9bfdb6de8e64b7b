/**
 * Calendar-aligned UTC windows. Every time is epoch milliseconds.
 *
 * Windows up to 1d are aligned on the Unix epoch; every allowed size divides a day, so they
 * are also aligned on UTC midnight and on the hour (a 3h window starts at 00, 03, ... 21 UTC).
 * 1w windows start on Monday 00:00 UTC (ISO weeks), which the epoch (a Thursday) is not.
 * UTC has no daylight saving time, so every window of a size has the same length.
 *
 * A window [start, end) is complete once `end` has passed; it becomes due for analysis at
 * `end + delay`, leaving late events time to arrive.
 */
import type { Monitor } from './definition.js';

export const WINDOW_SIZES = ['1m', '5m', '10m', '15m', '30m', '1h', '2h', '3h', '4h', '6h', '8h', '12h', '1d', '1w'] as const;
export type WindowSize = (typeof WINDOW_SIZES)[number];

export interface TimeWindow {
  /** Inclusive, epoch ms. */
  start: number;
  /** Exclusive, epoch ms. */
  end: number;
}

/** The scheduling facts of a monitor; a whole Monitor fits. */
export type WindowSchedule = Pick<Monitor, 'window' | 'delayMs'>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch. */
const FIRST_MONDAY = 4 * DAY;

/** The time zone node-cron must be given for `cronExpressionFor`'s expressions. */
export const CRON_TIMEZONE = 'UTC';

const SIZE_MS: Record<WindowSize, number> = {
  '1m': MINUTE, '5m': 5 * MINUTE, '10m': 10 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE,
  '1h': HOUR, '2h': 2 * HOUR, '3h': 3 * HOUR, '4h': 4 * HOUR, '6h': 6 * HOUR, '8h': 8 * HOUR, '12h': 12 * HOUR,
  '1d': DAY, '1w': WEEK,
};

export function isWindowSize(value: unknown): value is WindowSize {
  return typeof value === 'string' && Object.hasOwn(SIZE_MS, value);
}

export function windowSizeMs(size: WindowSize): number {
  const ms = SIZE_MS[size];
  if (ms === undefined) throw new RangeError(`unknown window size "${String(size)}"; use one of ${WINDOW_SIZES.join(', ')}`);
  return ms;
}

/** Where windows of this size start, modulo their length. */
function alignmentOf(size: WindowSize): number {
  return size === '1w' ? FIRST_MONDAY : 0;
}

/** Start of the window containing `t` (floor). */
export function windowStartOf(size: WindowSize, t: number): number {
  if (!Number.isFinite(t)) throw new RangeError(`time must be finite epoch milliseconds (got ${t})`);
  const length = windowSizeMs(size);
  const origin = alignmentOf(size);
  return Math.floor((t - origin) / length) * length + origin;
}

export function windowContaining(size: WindowSize, t: number): TimeWindow {
  const start = windowStartOf(size, t);
  return { start, end: start + windowSizeMs(size) };
}

/**
 * The windows that can be analysed now, ascending: start >= the start of the window
 * containing `from` (so `from` itself is covered), end <= `to`, and end + delay <= `now`.
 * The caller bounds the span (a monitor's catch_up is at most 31d: 44,640 one-minute windows).
 */
export function completeWindows(monitor: WindowSchedule, from: number, to: number, now: number): TimeWindow[] {
  const length = windowSizeMs(monitor.window);
  const lastEnd = Math.min(to, now - monitor.delayMs);
  const windows: TimeWindow[] = [];
  for (let start = windowStartOf(monitor.window, from); start + length <= lastEnd; start += length) {
    windows.push({ start, end: start + length });
  }
  return windows;
}

/**
 * When the next window becomes due (its end + delay), strictly after `now`: a window due
 * exactly at `now` is already due and is returned by `completeWindows`.
 */
export function nextDueTime(monitor: WindowSchedule, now: number): number {
  const length = windowSizeMs(monitor.window);
  return windowStartOf(monitor.window, now - monitor.delayMs) + length + monitor.delayMs;
}

/**
 * A 6-field node-cron expression (second minute hour day-of-month month day-of-week) that
 * fires exactly at every window end + delay. Schedule it with `{ timezone: CRON_TIMEZONE }`.
 *
 * Due times are end + delay = k * window + delay, so the expression only needs the phase
 * delay mod window. Every allowed size divides an hour or a day (or is the Monday week),
 * and delay is whole seconds of at most 1h, so every phase has an exact expression: a delay
 * longer than the window (1m windows, 90s delay) fires every minute at :30, each firing
 * being the due time of the window that ended 90s before. Nothing is rounded or refused.
 */
export function cronExpressionFor(monitor: WindowSchedule): string {
  const length = windowSizeMs(monitor.window);
  if (!Number.isInteger(monitor.delayMs / 1000) || monitor.delayMs < 0 || monitor.delayMs > HOUR) {
    throw new RangeError(`delay must be whole seconds between 0s and 1h (got ${monitor.delayMs} ms)`);
  }
  // Weeks: the phase is measured from Monday 00:00, and a delay of at most 1h stays on Monday.
  const phase = monitor.window === '1w' ? monitor.delayMs : monitor.delayMs % length;
  const second = Math.floor(phase / 1000) % 60;
  const minute = Math.floor(phase / MINUTE) % 60;
  const hour = Math.floor(phase / HOUR);
  if (length < HOUR) return `${second} ${stepped(minute, length / MINUTE, 59)} * * * *`;
  if (length === HOUR) return `${second} ${minute} * * * *`;
  if (length < DAY) return `${second} ${minute} ${stepped(hour, length / HOUR, 23)} * * *`;
  if (length === DAY) return `${second} ${minute} ${hour} * * *`;
  return `${second} ${minute} ${hour} * * 1`;
}

/** Every `step` from `first`: `*` / `*\/5` / `2-59/5` (node-cron needs the range form for an offset). */
function stepped(first: number, step: number, max: number): string {
  if (step === 1) return '*';
  return first === 0 ? `*/${step}` : `${first}-${max}/${step}`;
}

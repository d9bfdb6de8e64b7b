// ingest/timestamp.ts: RFC 3339 parsing and the accepted range of event times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EARLIEST_ACCEPTED_MS, LATEST_REPRESENTABLE_MS, parseEventTimestamp, parseRfc3339 } from '../../ingest/timestamp.js';
import { randomInt, seededRandom } from '../helpers/hostile-values.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 27, 10, 15, 0);
const SKEW = DAY;
const BASE = Date.UTC(2026, 10, 27, 10, 15, 0);

const VALID: Array<{ text: string; expected: number }> = [
  { text: '2026-11-27T10:15:00Z', expected: BASE },
  { text: '2026-11-27t10:15:00z', expected: BASE },
  { text: '2026-11-27 10:15:00Z', expected: BASE },
  { text: '2026-11-27T10:15:00+00:00', expected: BASE },
  { text: '2026-11-27T10:15:00-00:00', expected: BASE },
  { text: '2026-11-27T11:15:00+01:00', expected: BASE },
  { text: '2026-11-27T04:45:00-05:30', expected: BASE },
  { text: '2026-11-28T00:00:00+13:45', expected: BASE },
  { text: '2026-11-27T10:14:00+23:59', expected: BASE - DAY },
  { text: '2026-11-26T10:16:00-23:59', expected: BASE },
  { text: '2026-11-27T10:15:00.1Z', expected: BASE + 100 },
  { text: '2026-11-27T10:15:00.12Z', expected: BASE + 120 },
  { text: '2026-11-27T10:15:00.123Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.1234Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.12345Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.123456Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.1234567Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.12345678Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.123456789Z', expected: BASE + 123 },
  { text: '2026-11-27T10:15:00.999999999Z', expected: BASE + 999 },
  { text: '2026-11-27T10:15:00.000000001Z', expected: BASE },
  { text: '2026-11-27T10:15:00.0Z', expected: BASE },
  { text: '2026-11-27T11:15:00.250+01:00', expected: BASE + 250 },
  { text: '2026-11-27T23:59:59.999Z', expected: Date.UTC(2026, 10, 27, 23, 59, 59, 999) },
  { text: '2026-11-27T00:00:00Z', expected: Date.UTC(2026, 10, 27) },
  { text: '2024-02-29T12:00:00Z', expected: Date.UTC(2024, 1, 29, 12) },
  { text: '2000-02-29T00:00:00Z', expected: Date.UTC(2000, 1, 29) },
  { text: '2026-12-31T23:59:59Z', expected: Date.UTC(2026, 11, 31, 23, 59, 59) },
  { text: '2026-04-30T00:00:00Z', expected: Date.UTC(2026, 3, 30) },
  // A leap second is folded onto the first second of the next minute.
  { text: '2016-12-31T23:59:60Z', expected: Date.UTC(2017, 0, 1) },
  { text: '2016-12-31T23:59:60.5Z', expected: Date.UTC(2017, 0, 1) + 500 },
  { text: '2017-01-01T00:59:60+01:00', expected: Date.UTC(2017, 0, 1) },
  { text: '1999-12-31T23:59:59Z', expected: Date.UTC(1999, 11, 31, 23, 59, 59) },
  { text: '1970-01-01T00:00:00Z', expected: 0 },
];

for (const { text, expected } of VALID) {
  test(`parseRfc3339 accepts ${text}`, () => {
    assert.equal(parseRfc3339(text), expected);
  });
}

const INVALID: Array<{ name: string; text: string }> = [
  { name: 'February 30', text: '2026-02-30T00:00:00Z' },
  { name: 'February 29 of a common year', text: '2026-02-29T00:00:00Z' },
  { name: 'February 29 of 2100 (not a leap year)', text: '2100-02-29T00:00:00Z' },
  { name: 'April 31', text: '2026-04-31T00:00:00Z' },
  { name: 'day 32', text: '2026-01-32T00:00:00Z' },
  { name: 'day 00', text: '2026-01-00T00:00:00Z' },
  { name: 'month 13', text: '2026-13-01T00:00:00Z' },
  { name: 'month 00', text: '2026-00-10T00:00:00Z' },
  { name: 'hour 24', text: '2026-11-27T24:00:00Z' },
  { name: 'minute 60', text: '2026-11-27T10:60:00Z' },
  { name: 'second 61', text: '2026-11-27T10:15:61Z' },
  { name: 'offset hour 24', text: '2026-11-27T10:15:00+24:00' },
  { name: 'offset minute 60', text: '2026-11-27T10:15:00+01:60' },
  { name: 'offset without colon', text: '2026-11-27T10:15:00+0100' },
  { name: 'offset hours only', text: '2026-11-27T10:15:00+01' },
  { name: 'no offset (local time)', text: '2026-11-27T10:15:00' },
  { name: 'ten fraction digits', text: '2026-11-27T10:15:00.1234567890Z' },
  { name: 'a point without digits', text: '2026-11-27T10:15:00.Z' },
  { name: 'a comma as decimal mark', text: '2026-11-27T10:15:00,5Z' },
  { name: 'no seconds', text: '2026-11-27T10:15Z' },
  { name: 'date only', text: '2026-11-27' },
  { name: 'single-digit month', text: '2026-1-27T10:15:00Z' },
  { name: 'five-digit year', text: '12026-11-27T10:15:00Z' },
  { name: 'two-digit year', text: '26-11-27T10:15:00Z' },
  { name: 'a leading space', text: ' 2026-11-27T10:15:00Z' },
  { name: 'a trailing newline', text: '2026-11-27T10:15:00Z\n' },
  { name: 'trailing text', text: '2026-11-27T10:15:00Z junk' },
  { name: 'an underscore separator', text: '2026-11-27_10:15:00Z' },
  { name: 'full-width digits', text: '２０２６-11-27T10:15:00Z' },
  { name: 'a time zone name', text: '2026-11-27T10:15:00 UTC' },
  { name: 'RFC 2822', text: 'Fri, 27 Nov 2026 10:15:00 GMT' },
  { name: 'digits as a string', text: '1795774500000' },
  { name: 'empty', text: '' },
];

for (const { name, text } of INVALID) {
  test(`parseRfc3339 refuses ${name}: ${JSON.stringify(text)}`, () => {
    assert.equal(parseRfc3339(text), undefined);
  });
}

test('parseRfc3339 agrees with Date.parse on 5000 seeded date-times with offsets and 1-9 fraction digits', () => {
  const random = seededRandom(3339);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  for (let i = 0; i < 5000; i += 1) {
    const instant = randomInt(random, Date.UTC(2000, 0, 1), Date.UTC(2099, 11, 31));
    const offsetMinutes = randomInt(random, -(23 * 60 + 59), 23 * 60 + 59);
    const local = new Date(instant + offsetMinutes * 60_000);
    const digits = randomInt(random, 0, 9);
    const fraction = digits === 0 ? '' : `.${String(randomInt(random, 0, 10 ** digits - 1)).padStart(digits, '0')}`;
    const sign = offsetMinutes < 0 ? '-' : '+';
    const offset = offsetMinutes === 0 && random() < 0.5 ? 'Z' : `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
    const wallClock = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`
      + `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
    const text = `${wallClock}${fraction}${offset}`;
    // The independent oracle: Date.parse of the same wall clock, milliseconds truncated to 3 digits.
    const millis = fraction === '' ? '' : `.${fraction.slice(1, 4).padEnd(3, '0')}`;
    const expected = Date.parse(`${wallClock}${millis}${offset}`);
    assert.ok(Number.isFinite(expected), `oracle failed on ${text}`);
    assert.equal(parseRfc3339(text), expected, text);
  }
});

// Date.UTC maps years 0-99 to 1900-1999 ("0099-06-01" would be read as 1999, and "0000-02-29",
// year 0 being a leap year, refused). parseEventTimestamp refuses either way ("before 2000").
test('parseRfc3339 reads years 0000-0099 as themselves', () => {
  assert.equal(parseRfc3339('0099-06-01T00:00:00Z'), Date.parse('0099-06-01T00:00:00Z'));
  assert.equal(parseRfc3339('0000-02-29T00:00:00Z'), Date.parse('0000-02-29T00:00:00Z'));
  assert.equal(parseRfc3339('0001-02-29T00:00:00Z'), undefined, 'year 1 is a common year');
  assert.deepEqual(parseEventTimestamp('0099-06-01T00:00:00Z', NOW, SKEW).ok, false);
});

const ACCEPTED_EVENTS: Array<{ name: string; value: string | number; nowMs?: number; skewMs?: number; expected: number }> = [
  { name: 'epoch milliseconds now', value: NOW, expected: NOW },
  { name: 'epoch milliseconds a year ago', value: NOW - 365 * DAY, expected: NOW - 365 * DAY },
  { name: 'the first accepted millisecond (2000-01-01)', value: EARLIEST_ACCEPTED_MS, expected: EARLIEST_ACCEPTED_MS },
  { name: 'exactly the future skew ahead', value: NOW + SKEW, expected: NOW + SKEW },
  { name: 'no skew allowed, exactly now', value: NOW, skewMs: 0, expected: NOW },
  { name: 'an RFC 3339 string', value: '2026-11-27T11:15:00.250+01:00', expected: NOW + 250 },
  { name: 'an RFC 3339 string exactly at 2000-01-01', value: '2000-01-01T00:00:00Z', expected: EARLIEST_ACCEPTED_MS },
  { name: 'the last representable instant (2100-01-01) with a large skew', value: LATEST_REPRESENTABLE_MS, nowMs: Date.UTC(2099, 11, 31), skewMs: 30 * DAY, expected: LATEST_REPRESENTABLE_MS },
];

for (const { name, value, nowMs, skewMs, expected } of ACCEPTED_EVENTS) {
  test(`parseEventTimestamp accepts ${name}`, () => {
    assert.deepEqual(parseEventTimestamp(value, nowMs ?? NOW, skewMs ?? SKEW), { ok: true, epochMs: expected });
  });
}

const REFUSED_EVENTS: Array<{ name: string; value: string | number; nowMs?: number; skewMs?: number; message: RegExp }> = [
  { name: 'epoch seconds sent as milliseconds', value: 1_795_774_500, message: /before 2000-01-01; epoch timestamps must be in milliseconds/ },
  { name: 'one millisecond before 2000', value: EARLIEST_ACCEPTED_MS - 1, message: /before 2000-01-01/ },
  { name: 'zero', value: 0, message: /before 2000-01-01/ },
  { name: 'a negative number', value: -1, message: /before 2000-01-01/ },
  { name: 'a fractional number', value: NOW + 0.5, message: /must be in milliseconds/ },
  { name: 'epoch microseconds (far future)', value: NOW * 1000, message: /in the future; epoch timestamps must be in milliseconds/ },
  // Nanoseconds exceed 2^53: refused, with the unit hint (the "before 2000" wording is odd).
  { name: 'epoch nanoseconds', value: NOW * 1_000_000, message: /epoch timestamps must be in milliseconds/ },
  { name: 'one millisecond beyond the future skew', value: NOW + SKEW + 1, message: new RegExp(`more than ${SKEW} ms in the future`) },
  { name: 'one millisecond ahead with no skew allowed', value: NOW + 1, skewMs: 0, message: /more than 0 ms in the future/ },
  { name: 'beyond 2100 even with a large skew', value: LATEST_REPRESENTABLE_MS + 1, nowMs: Date.UTC(2099, 11, 31), skewMs: 30 * DAY, message: /in the future/ },
  { name: 'an RFC 3339 string before 2000', value: '1999-12-31T23:59:59Z', message: /before 2000-01-01/ },
  { name: 'an RFC 3339 string two days ahead', value: '2026-11-29T10:15:00.001Z', message: /in the future/ },
  { name: 'an invalid calendar date', value: '2026-02-30T00:00:00Z', message: /"2026-02-30T00:00:00Z" is not an RFC 3339 date-time such as 2026-11-27T10:15:00Z/ },
  { name: 'free text', value: 'yesterday noon', message: /^\/timestamp: "yesterday noon" is not an RFC 3339 date-time/ },
  { name: 'hour 24', value: '2026-11-27T24:00:00Z', message: /is not an RFC 3339 date-time/ },
];

for (const { name, value, nowMs, skewMs, message } of REFUSED_EVENTS) {
  test(`parseEventTimestamp refuses ${name}`, () => {
    const result = parseEventTimestamp(value, nowMs ?? NOW, skewMs ?? SKEW);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.match(result.message, /^\/timestamp: /, 'the message names the field');
    assert.match(result.message, message);
  });
}

test('the accepted range constants are 2000-01-01 and 2100-01-01 UTC', () => {
  assert.equal(new Date(EARLIEST_ACCEPTED_MS).toISOString(), '2000-01-01T00:00:00.000Z');
  assert.equal(new Date(LATEST_REPRESENTABLE_MS).toISOString(), '2100-01-01T00:00:00.000Z');
});

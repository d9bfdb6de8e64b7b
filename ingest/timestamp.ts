// Event timestamps: RFC 3339 strings or epoch milliseconds, checked against a range so a
// unit mistake (seconds or microseconds sent as milliseconds) is refused, not stored.

export const EARLIEST_ACCEPTED_MS = Date.UTC(2000, 0, 1);
// ClickHouse DateTime ends in 2106; stay well inside it.
export const LATEST_REPRESENTABLE_MS = Date.UTC(2100, 0, 1);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export type TimestampResult = { ok: true; epochMs: number } | { ok: false; message: string };

export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = fields;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const dayStart = new Date(0).setUTCFullYear(y, mo - 1, d);
  // Date.UTC rolls 2026-02-30 over into March; refuse it instead.
  if (new Date(dayStart).getUTCDate() !== d) return undefined;
  let offsetMinutes = 0;
  if (offset && offset !== 'Z' && offset !== 'z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const offsetHours = Number(offset.slice(1, 3));
    const offsetMins = Number(offset.slice(4, 6));
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0;
  // A leap second (:60) is folded onto the next second, as most systems do.
  return dayStart + ((h * 60 + mi) * 60 + s) * 1000 + millis - offsetMinutes * 60_000;
}

export function parseEventTimestamp(value: string | number, nowMs: number, maxFutureSkewMs: number): TimestampResult {
  const epochMs = typeof value === 'number' ? value : parseRfc3339(value);
  if (epochMs === undefined) {
    return { ok: false, message: `/timestamp: "${value}" is not an RFC 3339 date-time such as 2026-11-27T10:15:00Z` };
  }
  if (!Number.isSafeInteger(epochMs) || epochMs < EARLIEST_ACCEPTED_MS) {
    return { ok: false, message: `/timestamp: ${value} is before 2000-01-01; epoch timestamps must be in milliseconds` };
  }
  const latest = Math.min(nowMs + maxFutureSkewMs, LATEST_REPRESENTABLE_MS);
  if (epochMs > latest) {
    return { ok: false, message: `/timestamp: ${value} is more than ${maxFutureSkewMs} ms in the future; epoch timestamps must be in milliseconds` };
  }
  return { ok: true, epochMs };
}

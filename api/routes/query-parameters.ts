// Query-string and body values checked once, the same way on every route, with errors that
// name the parameter. Times: RFC 3339 or epoch milliseconds, as events accept.
import { parseRfc3339 } from '../../ingest/timestamp.js';
import { ApiError } from '../errors.js';

export function parseTimeParameter(value: string | number, name: string): number {
  if (typeof value === 'number' || /^\d{1,15}$/.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return ms;
  } else {
    const ms = parseRfc3339(value);
    if (ms !== undefined) return ms;
  }
  throw new ApiError('DW_BAD_REQUEST', `${name}: must be an RFC 3339 time (2026-11-27T10:00:00Z) or epoch milliseconds, got ${JSON.stringify(value)}`);
}

/** One of `allowed`, or undefined when the parameter is absent. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ApiError('DW_BAD_REQUEST', `${name}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`, { field: name });
  return value as T;
}

/** `limit`: an integer from 1 to 10,000, or `fallback` when absent. */
export function limitParameter(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 10_000) throw new ApiError('DW_BAD_REQUEST', `limit: must be an integer from 1 to 10000 (got ${JSON.stringify(value)})`, { field: 'limit' });
  return limit;
}

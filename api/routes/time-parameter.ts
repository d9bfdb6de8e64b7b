// Times in query strings and bodies: RFC 3339 or epoch milliseconds, as events accept.
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

// An HTTP ingest request body -> per-record outcomes. Pure: the route sends the accepted
// records to Kafka, so HTTP and Kafka input share one path into ClickHouse.
import type { EventKind } from '../schemas/events.js';
import type { Rejection } from '../schemas/rejections.js';
import { decodeValue, type DecodeLimits } from './decode.js';

export type HttpRecordOutcome =
  | { index: number; ok: true; eventId: string; json: string }
  | { index: number; ok: false; rejection: Rejection };

/** A parsed JSON body (array or one object) or NDJSON text -> one entry per record. */
export function splitBody(body: unknown, isNdjson: boolean): Array<{ value: unknown } | { rejection: Rejection }> {
  if (isNdjson) {
    const text = typeof body === 'string' ? body : '';
    return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
      try {
        return { value: JSON.parse(line) as unknown };
      } catch (error) {
        return { rejection: { code: 'invalid_json', message: `not valid JSON: ${(error as Error).message}` } };
      }
    });
  }
  if (Array.isArray(body)) return body.map((value: unknown) => ({ value }));
  if (body === undefined || body === null || body === '') return [];
  return [{ value: body }];
}

export function decodeHttpBatch(kind: EventKind, body: unknown, isNdjson: boolean, nowMs: number, limits: DecodeLimits): HttpRecordOutcome[] {
  return splitBody(body, isNdjson).map((entry, index): HttpRecordOutcome => {
    if ('rejection' in entry) return { index, ok: false, rejection: entry.rejection };
    const json = JSON.stringify(entry.value);
    if (Buffer.byteLength(json) > limits.maxMessageBytes) {
      return { index, ok: false, rejection: { code: 'oversize', message: `the event is larger than ${limits.maxMessageBytes} bytes` } };
    }
    const decoded = decodeValue(kind, entry.value, nowMs, limits);
    if (!decoded.ok) return { index, ok: false, rejection: decoded.rejection };
    return { index, ok: true, eventId: decoded.row.event_id, json };
  });
}

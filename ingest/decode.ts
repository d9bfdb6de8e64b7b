// The ingest step shared by Kafka and HTTP: raw bytes or a parsed value -> a row for
// ClickHouse, or a rejection with a stable code. Pure: no producers, no clients.
import type { EventKind } from '../schemas/events.js';
import type { Rejection } from '../schemas/rejections.js';
import { validateEvent } from '../schemas/validate.js';
import { featureLogRow, labelRow, predictionRow, type FeatureLogRow, type LabelRow, type PredictionRow } from './rows.js';
import { parseEventTimestamp } from './timestamp.js';

export interface RowByKind {
  prediction: PredictionRow;
  feature_log: FeatureLogRow;
  label: LabelRow;
}

export type DecodeResult<K extends EventKind> = { ok: true; row: RowByKind[K] } | { ok: false; rejection: Rejection };

export interface DecodeLimits {
  maxMessageBytes: number;
  maxFutureSkewMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeValue<K extends EventKind>(kind: K, value: unknown, nowMs: number, limits: DecodeLimits): DecodeResult<K> {
  const validated = validateEvent(kind, value);
  if (!validated.ok) return validated;
  const event = validated.event;
  const time = parseEventTimestamp(event.timestamp, nowMs, limits.maxFutureSkewMs);
  if (!time.ok) return { ok: false, rejection: { code: 'invalid_timestamp', message: time.message } };
  const eventTime = { epochMs: time.epochMs, ingestedAtSeconds: Math.floor(nowMs / 1000) };
  const row = kind === 'prediction'
    ? predictionRow(event as never, eventTime)
    : kind === 'feature_log' ? featureLogRow(event as never, eventTime) : labelRow(event as never, eventTime);
  return { ok: true, row: row as RowByKind[K] };
}

export function decodeMessage<K extends EventKind>(kind: K, bytes: Buffer | null, nowMs: number, limits: DecodeLimits): DecodeResult<K> {
  if (bytes === null || bytes.length === 0) return { ok: false, rejection: { code: 'empty', message: 'the message has no body' } };
  if (bytes.length > limits.maxMessageBytes) {
    return { ok: false, rejection: { code: 'oversize', message: `the event has ${bytes.length} bytes; the limit is ${limits.maxMessageBytes}` } };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, rejection: { code: 'invalid_utf8', message: 'the message is not valid UTF-8' } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, rejection: { code: 'invalid_json', message: `not valid JSON: ${(error as Error).message}` } };
  }
  return decodeValue(kind, value, nowMs, limits);
}

// The dead-letter record: the original bytes untouched, plus why, where and when.
import type { ConsumedMessage, OutgoingMessage } from '../messaging/kafka.js';
import type { Rejection } from '../schemas/rejections.js';

export type IngestStep = 'decode' | 'store';

export interface DeadLetterSource {
  topic: string;
  partition: number;
}

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  message: 'dlq-message',
  step: 'dlq-step',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
  failedAt: 'dlq-failed-at',
} as const;

export function deadLetterMessage(original: ConsumedMessage, rejection: Rejection, step: IngestStep, source: DeadLetterSource, nowMs: number): OutgoingMessage {
  const headers: Record<string, string | Buffer | Array<string | Buffer>> = {};
  for (const [name, value] of Object.entries(original.headers ?? {})) {
    if (value !== undefined && !name.startsWith('dlq-')) headers[name] = value;
  }
  headers[DLQ_HEADERS.reason] = rejection.code;
  headers[DLQ_HEADERS.message] = rejection.message.slice(0, 1000);
  headers[DLQ_HEADERS.step] = step;
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = original.offset;
  headers[DLQ_HEADERS.failedAt] = new Date(nowMs).toISOString();
  return { key: original.key, value: original.value, headers };
}

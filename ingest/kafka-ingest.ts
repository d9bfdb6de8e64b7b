// The ingest role: consume event topics in a group, write each batch to ClickHouse, send
// what cannot be stored to the dead-letter topic, and only then commit the batch's
// offsets. A crash anywhere before the commit redelivers the batch; the tables and every
// query deduplicate by event_id, so redelivery never double counts.
import type { DriftwatchConfig } from '../config/config.js';
import type { BatchControl, ConsumedBatch, KafkaAdapter, OutgoingMessage, RunningConsumer } from '../messaging/kafka.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventKind } from '../schemas/events.js';
import type { DecodePool } from './decode-pool.js';
import { deadLetterMessage } from './dead-letter.js';
import { backoffDelay, WriteAbandonedError, type EventWriter } from './event-writer.js';

export function topicKinds(topics: DriftwatchConfig['kafka']['topics']): Map<string, EventKind> {
  return new Map<string, EventKind>([
    [topics.predictions, 'prediction'],
    [topics.features, 'feature_log'],
    [topics.labels, 'label'],
  ]);
}

export interface KafkaIngestDeps {
  config: DriftwatchConfig;
  kafka: KafkaAdapter;
  writer: EventWriter;
  decodePool: DecodePool;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

export class KafkaIngest {
  private consumer: RunningConsumer | undefined;
  private readonly kinds: Map<string, EventKind>;
  private readonly now: () => number;

  constructor(private readonly deps: KafkaIngestDeps) {
    this.kinds = topicKinds(deps.config.kafka.topics);
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    const { config, kafka } = this.deps;
    this.consumer = await kafka.startBatchConsumer({
      groupId: config.kafka.groupId,
      topics: [...this.kinds.keys()],
      maxBytesPerPartition: config.ingest.maxBytesPerPartition,
      partitionsConsumedConcurrently: config.ingest.partitionsConsumedConcurrently,
      onBatch: (batch, control) => this.processBatch(batch, control),
    });
  }

  /** Stops fetching and waits for the batch in flight to be written and committed. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
  }

  private async processBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    const kind = this.kinds.get(batch.topic);
    const last = batch.messages.at(-1);
    if (!kind || !last) return;
    const { config, writer, metrics, log } = this.deps;
    const timer = metrics.batchSeconds.startTimer({ kind });
    const nowMs = this.now();
    const deadLetters: OutgoingMessage[] = [];
    const source = { topic: batch.topic, partition: batch.partition };
    const decoded = await this.deps.decodePool.decode(kind, batch.messages.map((message) => message.value), nowMs, config.ingest);
    for (const { index, rejection } of decoded.rejected) {
      deadLetters.push(deadLetterMessage(batch.messages[index]!, rejection, 'decode', source, nowMs));
      metrics.eventsRejected.inc({ kind, source: 'kafka', reason: rejection.code });
    }
    const rows = decoded.encoded.indexes.length;

    try {
      const result = await writer.write(kind, decoded.encoded, {
        shouldContinue: control.shouldContinue,
        whileWaiting: control.heartbeat,
        onRetry: (error, attempt, delayMs) => {
          metrics.storageRetries.inc({ kind });
          log.warn('ClickHouse write failed, retrying', { kind, rows, attempt, delayMs, error: (error as Error).message });
        },
      });
      for (const { index, rejection } of result.refused) {
        deadLetters.push(deadLetterMessage(batch.messages[index]!, rejection, 'store', source, nowMs));
        metrics.eventsRejected.inc({ kind, source: 'kafka', reason: rejection.code });
      }
      await this.sendDeadLetters(deadLetters, control);
      await control.commit((BigInt(last.offset) + 1n).toString());
      metrics.eventsIngested.inc({ kind, source: 'kafka' }, result.written);
      metrics.batchRows.observe({ kind }, rows);
      metrics.consumerLag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n),
      );
      timer();
    } catch (error) {
      if (error instanceof WriteAbandonedError) {
        // Not committed: the batch is redelivered to whoever owns the partition next.
        log.info('batch abandoned uncommitted', { topic: batch.topic, partition: batch.partition, messages: batch.messages.length });
        return;
      }
      throw error;
    }
  }

  private async sendDeadLetters(messages: OutgoingMessage[], control: BatchControl): Promise<void> {
    if (messages.length === 0) return;
    const { kafka, config, log } = this.deps;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await kafka.send(config.kafka.topics.dlq, messages);
        return;
      } catch (error) {
        if (!control.shouldContinue()) throw new WriteAbandonedError('dead-letter write abandoned');
        const delayMs = backoffDelay(attempt, { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs });
        log.warn('dead-letter send failed, retrying', { attempt, delayMs, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await control.heartbeat().catch(() => undefined);
      }
    }
  }
}

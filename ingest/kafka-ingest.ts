// The ingest role: consume event topics in a group, write each batch to ClickHouse, send
// what cannot be stored to the dead-letter topic, and only then commit the batch's
// offsets. A crash anywhere before the commit redelivers the batch; the tables and every
// query deduplicate by event_id, so redelivery never double counts.
import type { DriftwatchConfig } from '../config/config.js';
import type { BatchControl, ConsumedBatch, KafkaAdapter, OutgoingMessage, RunningConsumer } from '../messaging/kafka.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventKind } from '../schemas/events.js';
import type { DecodedBatch } from './batch-decoder.js';
import type { DecodePool } from './decode-pool.js';
import { deadLetterMessage, type IngestStep } from './dead-letter.js';
import { heldMessages, holdBatch, type HeldBatch } from './held-batch.js';
import { backoffDelay, WriteAbandonedError, type EventWriter, type WriteResult } from './event-writer.js';

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

// Batches per partition between fetch and commit (one writing, one decoding): enough to
// overlap fetching, decoding and writing, and a bound on memory whatever the backlog.
const MAX_PENDING_WRITES = 1;
const SHUTDOWN_DRAIN_MS = 15_000;

interface PartitionQueue {
  /** The last queued write; the next one starts when it settles. */
  tail: Promise<void>;
  pending: number;
  failed?: Error;
}

export class KafkaIngest {
  private consumer: RunningConsumer | undefined;
  private readonly queues = new Map<string, PartitionQueue>();
  private activeBatches = 0;
  private abandonWrites = false;
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

  /** Shutdown: stop fetching, let every decoded batch be written and committed, then leave the group. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    consumer.pause();
    // A write that keeps failing (ClickHouse down) must not hold shutdown forever: after the
    // deadline it is abandoned uncommitted, and the next consumer reads the batch again.
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_MS).unref());
    await Promise.race([this.drain(), deadline]);
    this.abandonWrites = true;
    await this.drain();
    await consumer.stop();
    this.queues.clear();
  }

  /**
   * Starts decoding a batch, queues its write behind the partition's previous one and
   * returns, so Kafka fetches, decoding and ClickHouse writes overlap. Commits stay in
   * offset order: a batch commits only after every earlier batch of its partition has.
   */
  private async processBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    const kind = this.kinds.get(batch.topic);
    if (!kind || batch.messages.length === 0) return;
    const key = `${batch.topic}/${batch.partition}`;
    this.activeBatches += 1;
    try {
      this.throwIfBroken(key);
      const timer = this.deps.metrics.batchSeconds.startTimer({ kind });
      const nowMs = this.now();
      // Decoding starts now, on a worker; the handler returns without waiting for it, so the
      // consumer thread decodes the next fetch while the worker decodes this one.
      const { held, values } = holdBatch(batch);
      const decoding = this.deps.decodePool.decode(kind, values, nowMs, this.deps.config.ingest);
      decoding.catch(() => undefined);
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { tail: Promise.resolve(), pending: 0 };
        this.queues.set(key, queue);
      }
      // Back-pressure: a bounded number of batches per partition between fetch and commit.
      while (queue.pending >= MAX_PENDING_WRITES) await queue.tail.catch(() => undefined);
      this.throwIfBroken(key);
      const pipeline = queue;
      pipeline.pending += 1;
      const job = pipeline.tail
        .then(async () => this.writeAndCommit(kind, held, await decoding, control, nowMs))
        .then(() => {
          timer();
        }, (error: unknown) => {
          pipeline.failed ??= error instanceof Error ? error : new Error(String(error));
          throw error;
        })
        .finally(() => {
          pipeline.pending -= 1;
        });
      job.catch(() => undefined);
      pipeline.tail = job;
      control.markFetched(held.nextOffset);
    } finally {
      this.activeBatches -= 1;
    }
  }

  /** After a write that did not complete, nothing later in that partition may commit. */
  private throwIfBroken(key: string): void {
    const failed = this.queues.get(key)?.failed;
    if (!failed) return;
    this.queues.delete(key);
    // Abandoned = stopping or the partition moved: the next owner (or the next assignment)
    // fetches again from the last committed offset, so the queue can simply start over.
    if (failed instanceof WriteAbandonedError) return;
    // Anything else: restart the consumer, which resumes from the last committed offset.
    throw new Error(`ingest of ${key} restarts from its last committed offset after: ${failed.message}`);
  }

  private async writeAndCommit(kind: EventKind, batch: HeldBatch, decoded: DecodedBatch, control: BatchControl, nowMs: number): Promise<void> {
    const { writer, metrics, log } = this.deps;
    const source = { topic: batch.topic, partition: batch.partition };
    const deadLetters: OutgoingMessage[] = [];
    const refuse = (refused: WriteResult['refused'], step: IngestStep): void => {
      const originals = heldMessages(batch, decoded.messages, refused.map(({ index }) => index));
      refused.forEach(({ rejection }, position) => {
        deadLetters.push(deadLetterMessage(originals[position]!, rejection, step, source, nowMs));
        metrics.eventsRejected.inc({ kind, source: 'kafka', reason: rejection.code });
      });
    };
    refuse(decoded.rejected, 'decode');
    const rows = decoded.encoded.indexes.length;
    const shouldContinue = () => !this.abandonWrites && control.shouldContinue();
    try {
      const result = await writer.write(kind, decoded.encoded, {
        shouldContinue,
        whileWaiting: control.heartbeat,
        onRetry: (error, attempt, delayMs) => {
          metrics.storageRetries.inc({ kind });
          log.warn('ClickHouse write failed, retrying', { kind, rows, attempt, delayMs, error: (error as Error).message });
        },
      });
      refuse(result.refused, 'store');
      await this.sendDeadLetters(deadLetters, control, shouldContinue);
      await control.commit(batch.nextOffset);
      metrics.eventsIngested.inc({ kind, source: 'kafka' }, result.written);
      metrics.batchRows.observe({ kind }, rows);
      metrics.consumerLag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Number(BigInt(batch.highWatermark) - BigInt(batch.nextOffset)),
      );
    } catch (error) {
      if (error instanceof WriteAbandonedError) {
        // Not committed: the batch is redelivered to whoever owns the partition next.
        log.info('batch abandoned uncommitted', { ...source, messages: batch.count });
      } else {
        log.error('batch write failed; the partition restarts from its last committed offset', { ...source, error: (error as Error).message });
      }
      throw error;
    }
  }

  /** Resolves when no batch is being decoded and every queued write has finished. */
  private async drain(): Promise<void> {
    for (;;) {
      const tails = [...this.queues.values()].map((queue) => queue.tail.catch(() => undefined));
      await Promise.all(tails);
      if (this.activeBatches === 0 && [...this.queues.values()].every((queue) => queue.pending === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async sendDeadLetters(messages: OutgoingMessage[], control: BatchControl, shouldContinue: () => boolean): Promise<void> {
    if (messages.length === 0) return;
    const { kafka, config, log } = this.deps;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await kafka.send(config.kafka.topics.dlq, messages);
        return;
      } catch (error) {
        if (!shouldContinue()) throw new WriteAbandonedError('dead-letter write abandoned');
        const delayMs = backoffDelay(attempt, { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs });
        log.warn('dead-letter send failed, retrying', { attempt, delayMs, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await control.heartbeat().catch(() => undefined);
      }
    }
  }
}

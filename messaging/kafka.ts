// Thin adapter over kafkajs (unmaintained since 2023): everything else in Driftwatch sees
// only these types, so the client can be replaced without touching the pipeline.
import { Kafka, logLevel as KafkaLogLevel, type Consumer, type IHeaders, type Offsets, type Producer } from 'kafkajs';
import type { Logger } from '../observability/logger.js';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
}

/** Kafka record headers, as the client gives them. */
export type MessageHeaders = IHeaders;

export interface ConsumedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  highWatermark: string;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was reassigned: abandon without committing. */
  shouldContinue(): boolean;
  /**
   * Lets the consumer fetch past this batch (nothing is committed). Without it the next
   * fetch would return the same messages again.
   */
  markFetched(nextOffset: string): void;
  /** Commits `nextOffset` (one past the last processed message) for this batch's partition; may be called after the batch handler returned. */
  commit(nextOffset: string): Promise<void>;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  maxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  /** How long the group waits for a silent member before handing its partitions on (default 30 s). */
  sessionTimeoutMs?: number;
  onBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  onCrash?(error: Error): void;
}

export interface RunningConsumer {
  /** Stops fetching new batches; batches already handed over still complete. */
  pause(): void;
  stop(): Promise<void>;
}

export class KafkaAdapter {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(settings: KafkaSettings, private readonly log: Logger) {
    this.kafka = new Kafka({
      clientId: settings.clientId,
      brokers: settings.brokers,
      logLevel: KafkaLogLevel.NOTHING,
      connectionTimeout: 3000,
      // kafkajs' own retries cover broker hiccups; ours (in ingest) cover ClickHouse.
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    });
  }

  /** Creates missing topics; existing ones are left as they are. */
  async ensureTopics(topics: string[], partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async isReachable(timeoutMs: number): Promise<boolean> {
    const admin = this.kafka.admin();
    const attempt = (async () => {
      await admin.connect();
      await admin.listTopics();
      return true;
    })();
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    try {
      return await Promise.race([attempt, timeout]);
    } catch {
      return false;
    } finally {
      attempt.catch(() => undefined).finally(() => admin.disconnect().catch(() => undefined));
    }
  }

  private async getProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = undefined;
      throw error;
    });
    return this.producerReady;
  }

  /** Resolves once every replica in sync has the messages (acks = all). */
  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key ?? null,
        value: message.value,
        ...(message.headers ? { headers: message.headers } : {}),
      })),
    });
  }

  async startBatchConsumer(options: BatchConsumerOptions): Promise<RunningConsumer> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      maxBytesPerPartition: options.maxBytesPerPartition,
      // Bounds one fetch across partitions, so memory stays flat whatever the backlog.
      maxBytes: options.maxBytesPerPartition * Math.max(2, options.partitionsConsumedConcurrently),
      maxWaitTimeInMs: 250,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const error = event.payload.error;
      this.log.error('kafka consumer crashed', { group: options.groupId, error: error.message, restart: event.payload.restart });
      options.onCrash?.(error);
    });
    await consumer.connect();
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    this.consumers.add(consumer);
    const state: ConsumerState = { running: true, inHandler: new Set() };
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) => {
        const handler: HandlerFunctions = { heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary };
        state.inHandler.add(handler);
        try {
          await options.onBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              // kafkajs messages already have this shape; no copy per message on the hot path.
              messages: batch.messages as ConsumedMessage[],
            },
            batchControl(consumer, state, batch.topic, batch.partition, handler),
          );
        } finally {
          state.inHandler.delete(handler);
          handler.heartbeat = handler.isRunning = handler.isStale = handler.resolveOffset = handler.commitOffsetsIfNecessary = undefined;
        }
      },
    });
    return {
      pause: () => consumer.pause(options.topics.map((topic) => ({ topic }))),
      stop: async () => {
        state.running = false;
        // stop() waits for the batch in flight to finish (written and committed, or abandoned).
        await consumer.stop();
        await consumer.disconnect();
        this.consumers.delete(consumer);
      },
    };
  }

  async close(): Promise<void> {
    for (const consumer of this.consumers) await consumer.disconnect().catch(() => undefined);
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.producerReady = undefined;
  }
}

/** kafkajs' per-batch functions, held only while the batch handler runs (see batchControl). */
interface HandlerFunctions {
  heartbeat: (() => Promise<void>) | undefined;
  isRunning: (() => boolean) | undefined;
  isStale: (() => boolean) | undefined;
  resolveOffset: ((offset: string) => void) | undefined;
  commitOffsetsIfNecessary: ((offsets: Offsets) => Promise<void>) | undefined;
}

interface ConsumerState {
  running: boolean;
  /** Handlers running now, of any partition. */
  inHandler: Set<HandlerFunctions>;
}

/**
 * The control of one batch, usable after its handler returned (ingest commits later).
 * kafkajs' per-batch closures share a scope with the batch and all its messages, so holding
 * one until the commit kept every message alive through the write; they survived young
 * collections and were promoted (a third of the consumer thread's time went to garbage
 * collection). This control reaches them only through `handler`, emptied when the handler
 * returns; later commits go through the consumer's public commitOffsets (which, unlike the
 * handler's, is skipped once the consumer stops: the batch is then simply redelivered).
 */
function batchControl(consumer: Consumer, state: ConsumerState, topic: string, partition: number, handler: HandlerFunctions): BatchControl {
  return {
    // Outside a handler kafkajs' fetch loop heartbeats by itself; while another handler
    // waits (back-pressure), that handler's heartbeat keeps the membership alive.
    heartbeat: async () => {
      const heartbeat = handler.heartbeat ?? [...state.inHandler].find((running) => running.heartbeat)?.heartbeat;
      await heartbeat?.();
    },
    shouldContinue: () => (handler.isRunning && handler.isStale ? handler.isRunning() && !handler.isStale() : state.running),
    markFetched: (nextOffset) => {
      if (!handler.resolveOffset) throw new Error('markFetched is only valid inside the batch handler');
      handler.resolveOffset((BigInt(nextOffset) - 1n).toString());
    },
    commit: async (nextOffset) => {
      if (handler.commitOffsetsIfNecessary) await handler.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      else await consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
    },
  };
}

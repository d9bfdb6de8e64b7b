// Child process of bench/kafka-clients.ts: one Kafka client, in a fresh consumer group,
// consumes a topic from the beginning, doing only what a consumer must (read every value,
// commit each batch's next offset), and prints one JSON line with its own figures.
// The client's module is imported only after the baseline RSS is read, so the other
// client's code is never loaded into this process.
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export type ClientName = 'kafkajs' | 'platformatic';

export interface ConsumeSpec {
  client: ClientName;
  brokers: string[];
  topic: string;
  groupId: string;
  events: number;
  maxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  timeoutMs: number;
}

export interface ConsumeResult {
  client: ClientName;
  events: number;
  valueBytes: number;
  /** Commits issued: one per partition per fetched batch. */
  commits: number;
  /** From creating the client to the last message handed over. */
  wallSeconds: number;
  /** Connect, join the group and the first fetch. */
  firstMessageSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  cpuMicrosPerEvent: number;
  gcSeconds: number;
  gcCount: number;
  rssBeforeClientMb: number;
  peakRssMb: number;
}

/** What a consumer loop reports to the measurement: delivered messages and issued commits. */
interface Tally {
  delivered(count: number, valueBytes: number): void;
  committing(commit: Promise<void>): void;
}

interface StartedClient {
  stop(): Promise<void>;
}

type StartClient = (spec: ConsumeSpec, tally: Tally, fail: (error: Error) => void) => Promise<StartedClient>;

function statusMb(field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

/** Loads kafkajs (outside the measured time) and returns how to start consuming with it. */
async function loadKafkajs(): Promise<StartClient> {
  // The production adapter itself, so settings (fetch sizes, concurrency, manual commits) are the product's.
  const { KafkaAdapter } = await import('../messaging/kafka.js');
  const { silentLogger } = await import('../observability/logger.js');
  return async (spec, tally, fail) => {
    const adapter = new KafkaAdapter({ brokers: spec.brokers, clientId: 'bench-kafkajs' }, silentLogger);
    const consumer = await adapter.startBatchConsumer({
      groupId: spec.groupId,
      topics: [spec.topic],
      maxBytesPerPartition: spec.maxBytesPerPartition,
      partitionsConsumedConcurrently: spec.partitionsConsumedConcurrently,
      sessionTimeoutMs: spec.sessionTimeoutMs,
      onCrash: fail,
      onBatch: async (batch, control) => {
        const last = batch.messages.at(-1);
        if (!last) return;
        let valueBytes = 0;
        for (const message of batch.messages) valueBytes += message.value?.length ?? 0;
        const nextOffset = (BigInt(last.offset) + 1n).toString();
        control.markFetched(nextOffset);
        // As the ingest does: the commit completes after the handler returned.
        tally.committing(control.commit(nextOffset));
        tally.delivered(batch.messages.length, valueBytes);
      },
    });
    return {
      stop: async () => {
        await consumer.stop();
        await adapter.close();
      },
    };
  };
}

interface PlatformaticMessage {
  partition: number;
  value: Buffer;
  commit(callback: (error?: Error | null) => void): void;
}

interface PlatformaticStream {
  on(event: 'data', listener: (message: PlatformaticMessage) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): Promise<void>;
}

interface PlatformaticModule {
  Consumer: new (options: Record<string, unknown>) => { consume(options: Record<string, unknown>): Promise<PlatformaticStream>; close(): Promise<void> };
  MessagesStreamModes: { COMMITTED: unknown };
  MessagesStreamFallbackModes: { EARLIEST: unknown };
}

/** Loads @platformatic/kafka (outside the measured time) and returns how to start consuming with it. */
async function loadPlatformatic(): Promise<StartClient> {
  // Not a dependency of the product (measured and not adopted): scripts/bench.sh installs it
  // for this bench only, so it is typed here by the little this bench uses.
  const moduleName = '@platformatic/kafka';
  const { Consumer, MessagesStreamModes, MessagesStreamFallbackModes } = (await import(moduleName)) as PlatformaticModule;
  return async (spec, tally, fail) => {
    // The same bounds as messaging/kafka.ts gives kafkajs.
    const fetchSettings = {
      maxBytesPerPartition: spec.maxBytesPerPartition,
      maxBytes: spec.maxBytesPerPartition * Math.max(2, spec.partitionsConsumedConcurrently),
      maxWaitTime: 250,
      sessionTimeout: spec.sessionTimeoutMs,
      heartbeatInterval: 3000,
      autocommit: false,
    };
    const consumer = new Consumer({ clientId: 'bench-platformatic', bootstrapBrokers: spec.brokers, groupId: spec.groupId, connectTimeout: 3000, ...fetchSettings });
    // Group offsets first, the beginning when the group has none: kafkajs' `fromBeginning`.
    const stream = await consumer.consume({ topics: [spec.topic], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, ...fetchSettings });
    // The stream hands over single messages; one fetch response is pushed synchronously, so
    // everything delivered before the next turn of the event loop is one batch per partition.
    const lastOfBatch = new Map<number, PlatformaticMessage>();
    let commitScheduled = false;
    const commitBatches = () => {
      commitScheduled = false;
      for (const message of lastOfBatch.values()) {
        tally.committing(new Promise<void>((resolve, reject) => {
          message.commit((error) => (error ? reject(error) : resolve()));
        }));
      }
      lastOfBatch.clear();
    };
    stream.on('data', (message: PlatformaticMessage) => {
      lastOfBatch.set(message.partition, message);
      if (!commitScheduled) {
        commitScheduled = true;
        setImmediate(commitBatches);
      }
      tally.delivered(1, message.value.length);
    });
    stream.on('error', fail);
    return {
      stop: async () => {
        await stream.close();
        await consumer.close();
      },
    };
  };
}

async function consume(spec: ConsumeSpec): Promise<ConsumeResult> {
  let gcSeconds = 0;
  let gcCount = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcSeconds += entry.duration / 1000;
      gcCount += 1;
    }
  });
  const rssBeforeClientMb = statusMb('VmRSS');
  const startClient = await (spec.client === 'kafkajs' ? loadKafkajs : loadPlatformatic)();
  let delivered = 0;
  let valueBytes = 0;
  let firstMessageAt = 0;
  const commits: Array<Promise<void>> = [];
  let settle!: (error?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  const timer = setTimeout(() => settle(new Error(`timed out after ${spec.timeoutMs} ms with ${delivered} of ${spec.events} events`)), spec.timeoutMs);
  let endAt = 0;
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  gcObserver.observe({ entryTypes: ['gc'] });
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  const tally: Tally = {
    delivered(count, bytes) {
      if (firstMessageAt === 0) firstMessageAt = performance.now();
      delivered += count;
      valueBytes += bytes;
      if (delivered >= spec.events && endAt === 0) {
        endAt = performance.now();
        cpuAtEnd = process.cpuUsage(cpuAtStart);
        settle();
      }
    },
    committing(commit) {
      commits.push(commit);
      commit.catch((error: unknown) => settle(error instanceof Error ? error : new Error(String(error))));
    },
  };
  const client = await startClient(spec, tally, settle);
  try {
    await finished;
    // The last batch's commit is scheduled on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(commits);
  } finally {
    clearTimeout(timer);
    gcObserver.disconnect();
  }
  const peakRssMb = statusMb('VmHWM');
  await client.stop();
  const cpu = cpuAtEnd!;
  return {
    client: spec.client,
    events: delivered,
    valueBytes,
    commits: commits.length,
    wallSeconds: (endAt - startedAt) / 1000,
    firstMessageSeconds: (firstMessageAt - startedAt) / 1000,
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    cpuMicrosPerEvent: (cpu.user + cpu.system) / delivered,
    gcSeconds,
    gcCount,
    rssBeforeClientMb,
    peakRssMb,
  };
}

const spec = JSON.parse(process.argv[2] ?? 'null') as ConsumeSpec | null;
if (!spec || (spec.client !== 'kafkajs' && spec.client !== 'platformatic')) {
  console.error('usage: node kafka-clients-consumer.js <ConsumeSpec JSON>; started by bench/kafka-clients.ts');
  process.exit(2);
}
consume(spec).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(`${spec.client} consumer failed:`, error);
    process.exit(1);
  },
);

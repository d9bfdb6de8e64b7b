// npm run bench:kafka-clients — kafkajs (the product's client) against @platformatic/kafka,
// consuming only, to decide whether the Kafka client is worth replacing.
//
// 1. Pre-produce N prediction events (the traffic of bench/ingest.ts) to a fresh topic
//    created as Driftwatch creates its topics (3 partitions by default).
// 2. Consume all of them from the beginning, each client in its own process and its own
//    fresh consumer group (bench/kafka-clients-consumer.ts), alternating kafkajs,
//    platformatic, kafkajs, ...; the clients read every value and commit every batch.
//    The child processes run with the heap flags of an ingest-only process (app/node-flags.ts).
// 3. Check that each group committed the end of every partition, print the medians and
//    the ratios, then delete the topic and the groups.
//
// BENCH_KAFKA_EVENTS (default 1,000,000), BENCH_KAFKA_RUNS (3 per client),
// BENCH_KAFKA_TIMEOUT_S (300 per consumer run), BENCH_KAFKA_NODE_FLAGS (extra node flags
// for the consumer processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../config/config.js';
import { KafkaAdapter } from '../messaging/kafka.js';
import { silentLogger } from '../observability/logger.js';
import type { ClientName, ConsumeResult, ConsumeSpec } from './kafka-clients-consumer.js';
import { predictionEvents, produceEvents } from './prediction-events.js';
import { NODE_HEAP_FLAGS } from '../app/node-flags.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS: ClientName[] = ['kafkajs', 'platformatic'];

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

const EVENTS = positiveInteger('BENCH_KAFKA_EVENTS', 1_000_000);
const RUNS = positiveInteger('BENCH_KAFKA_RUNS', 3);
const TIMEOUT_MS = positiveInteger('BENCH_KAFKA_TIMEOUT_S', 300) * 1000;
const NODE_FLAGS = [...NODE_HEAP_FLAGS, ...(process.env.BENCH_KAFKA_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')];
const RUN = Date.now().toString(36);
const config = loadConfig(process.env, undefined);

type RunOutcome = { client: ClientName; run: number; result: ConsumeResult } | { client: ClientName; run: number; error: string };

/** Runs one consumer process; resolves with its figures or rejects with why it failed. */
function runConsumer(spec: ConsumeSpec): Promise<ConsumeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '--enable-source-maps', `${REPO}dist/bench/kafka-clients-consumer.js`, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
    });
    // The child has its own deadline; this one catches a child that cannot even honour it.
    let killedForTimeout = false;
    const killer = setTimeout(() => {
      killedForTimeout = true;
      child.kill('SIGKILL');
    }, spec.timeoutMs + 15_000);
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ConsumeResult);
      else reject(new Error(killedForTimeout ? `killed after ${(spec.timeoutMs + 15_000) / 1000} s` : `exited with ${signal ?? code} (its stderr is above)`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const topic = `bench.${RUN}.kafka-clients`;
  const kafka = new Kafka({ clientId: 'bench', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const groups: string[] = [];
  const outcomes: RunOutcome[] = [];
  let produced = { count: 0, bytes: 0, seconds: 0 };
  try {
    // 1. Pre-produce.
    const topicAdapter = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'bench' }, silentLogger);
    await topicAdapter.ensureTopics([topic], config.kafka.topicPartitions);
    await topicAdapter.close();
    const produceStart = performance.now();
    const { count, bytes } = await produceEvents(kafka, topic, predictionEvents(EVENTS, Date.now() - 3 * 86_400_000));
    produced = { count, bytes, seconds: (performance.now() - produceStart) / 1000 };
    const endOffsets = await admin.fetchTopicOffsets(topic);
    const stored = endOffsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    if (stored !== EVENTS) throw new Error(`topic ${topic} holds ${stored} messages, expected ${EVENTS}`);
    console.log(`pre-produced ${EVENTS} events (${(bytes / EVENTS).toFixed(0)} bytes each on average) to ${topic} (${endOffsets.length} partitions) in ${produced.seconds.toFixed(1)} s`);
    console.log(`consumer settings: maxBytesPerPartition ${config.ingest.maxBytesPerPartition}, partitionsConsumedConcurrently ${config.ingest.partitionsConsumedConcurrently}; node ${process.version} ${NODE_FLAGS.join(' ')}`);

    // 2. Consume, alternating the clients.
    for (let run = 1; run <= RUNS; run += 1) {
      for (const client of CLIENTS) {
        const groupId = `bench-${RUN}-${client}-${run}`;
        groups.push(groupId);
        const spec: ConsumeSpec = {
          client,
          brokers: config.kafka.brokers,
          topic,
          groupId,
          events: EVENTS,
          maxBytesPerPartition: config.ingest.maxBytesPerPartition,
          partitionsConsumedConcurrently: config.ingest.partitionsConsumedConcurrently,
          sessionTimeoutMs: 30_000,
          timeoutMs: TIMEOUT_MS,
        };
        try {
          const result = await runConsumer(spec);
          if (result.events !== EVENTS) throw new Error(`delivered ${result.events} messages, expected ${EVENTS}`);
          // Every partition's committed offset must be its end: the commits really happened.
          const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
          for (const { partition, high } of endOffsets) {
            const offset = committed[0]?.partitions.find((entry) => entry.partition === partition)?.offset;
            if (offset !== high) throw new Error(`group ${groupId} committed ${offset} on partition ${partition}, expected ${high}`);
          }
          outcomes.push({ client, run, result });
          console.log(`run ${run} ${client.padEnd(12)} ${Math.round(EVENTS / result.wallSeconds).toString().padStart(7)} events/s  ${result.cpuMicrosPerEvent.toFixed(2).padStart(6)} us CPU/event  peak RSS ${result.peakRssMb.toFixed(0)} MB  wall ${result.wallSeconds.toFixed(2)} s (first message at ${result.firstMessageSeconds.toFixed(2)} s)  GC ${result.gcSeconds.toFixed(2)} s in ${result.gcCount}  ${result.commits} commits`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          outcomes.push({ client, run, error: message });
          console.log(`run ${run} ${client.padEnd(12)} FAILED: ${message}`);
        }
      }
    }
  } finally {
    // 3. Clean up whatever was created, even after a failure.
    const cleanup: string[] = [];
    if (groups.length > 0) {
      await admin.deleteGroups(groups).catch((error: unknown) => cleanup.push(`consumer groups not deleted (${(error as Error).message}): ${groups.join(', ')}`));
    }
    await admin.deleteTopics({ topics: [topic] }).catch((error: unknown) => cleanup.push(`topic ${topic} not deleted: ${(error as Error).message}`));
    await admin.disconnect();
    for (const line of cleanup) console.error(line);
  }

  const summary: Record<string, unknown> = {};
  for (const client of CLIENTS) {
    const results = outcomes.flatMap((outcome) => (outcome.client === client && 'result' in outcome ? [outcome.result] : []));
    const errors = outcomes.flatMap((outcome) => (outcome.client === client && 'error' in outcome ? [outcome.error] : []));
    summary[client] = results.length === 0 ? { runs: 0, errors } : {
      runs: results.length,
      events_per_second: Math.round(median(results.map((result) => EVENTS / result.wallSeconds))),
      events_per_second_once_consuming: Math.round(median(results.map((result) => EVENTS / (result.wallSeconds - result.firstMessageSeconds)))),
      cpu_us_per_event: round(median(results.map((result) => result.cpuMicrosPerEvent)), 2),
      gc_seconds: round(median(results.map((result) => result.gcSeconds)), 2),
      peak_rss_mb: round(median(results.map((result) => result.peakRssMb)), 1),
      rss_before_client_mb: round(median(results.map((result) => result.rssBeforeClientMb)), 1),
      first_message_seconds: round(median(results.map((result) => result.firstMessageSeconds)), 2),
      commits: median(results.map((result) => result.commits)),
      per_run_events_per_second: results.map((result) => Math.round(EVENTS / result.wallSeconds)),
      errors,
    };
  }
  const kafkajs = summary.kafkajs as { events_per_second?: number; cpu_us_per_event?: number; peak_rss_mb?: number };
  const platformatic = summary.platformatic as { events_per_second?: number; cpu_us_per_event?: number; peak_rss_mb?: number };
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? round(a / b, 2) : null);
  const result = {
    events: EVENTS,
    runs_per_client: RUNS,
    value_bytes_average: round(produced.bytes / Math.max(1, produced.count), 0),
    partitions: config.kafka.topicPartitions,
    max_bytes_per_partition: config.ingest.maxBytesPerPartition,
    partitions_consumed_concurrently: config.ingest.partitionsConsumedConcurrently,
    node: process.version,
    node_flags: NODE_FLAGS,
    ...summary,
    platformatic_over_kafkajs: {
      events_per_second: ratio(platformatic.events_per_second, kafkajs.events_per_second),
      cpu_us_per_event: ratio(platformatic.cpu_us_per_event, kafkajs.cpu_us_per_event),
      peak_rss_mb: ratio(platformatic.peak_rss_mb, kafkajs.peak_rss_mb),
    },
  };

  console.log(`\nmedians of ${RUNS} runs, ${EVENTS} events:`);
  console.log('| client | events/s | us CPU per event | peak RSS (MB) | GC (s) |');
  console.log('|---|---|---|---|---|');
  for (const client of CLIENTS) {
    const figures = summary[client] as { runs: number; events_per_second?: number; cpu_us_per_event?: number; peak_rss_mb?: number; gc_seconds?: number };
    if (figures.runs === 0) console.log(`| ${client} | failed | | | |`);
    else console.log(`| ${client} | ${figures.events_per_second} | ${figures.cpu_us_per_event} | ${figures.peak_rss_mb} | ${figures.gc_seconds} |`);
  }
  console.log(`platformatic / kafkajs: events/s x${result.platformatic_over_kafkajs.events_per_second}, CPU per event x${result.platformatic_over_kafkajs.cpu_us_per_event}, peak RSS x${result.platformatic_over_kafkajs.peak_rss_mb}`);
  mkdirSync(`${REPO}bench/out`, { recursive: true });
  writeFileSync(`${REPO}bench/out/kafka-clients.json`, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
  if (outcomes.some((outcome) => 'error' in outcome)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

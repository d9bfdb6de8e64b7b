// npm run bench:ingest — Kafka -> ClickHouse ingest throughput, against its ceiling.
//
// 1. Pre-produce N prediction events (20 features, mixed numeric/categorical) to Kafka.
// 2. Start `driftwatch start --roles ingest` as its own process and time it consuming all
//    of them into ClickHouse; sample its RSS (peak = VmHWM from /proc).
// 3. Ceiling, same run: the same rows inserted straight into a copy of the table from
//    memory by a bare @clickhouse/client, in 10k-row batches.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../config/config.js';
import { decodeValue } from '../ingest/decode.js';
import { insertRowBinary } from '../ingest/event-writer.js';
import { PREDICTION_COLUMNS, type PredictionRow } from '../ingest/rows.js';
import { encodeRows } from '../storage/row-binary.js';
import { ENCODERS } from '../ingest/batch-decoder.js';
import { predictionEvents, produceEvents } from './prediction-events.js';
import { createClickHouse, queryRows } from '../storage/clickhouse.js';
import { migrate } from '../storage/migrate.js';
import { NODE_HEAP_FLAGS } from '../app/node-flags.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUN = Date.now().toString(36);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DRIFTWATCH_CLICKHOUSE_DATABASE: 'driftwatch_bench',
  DRIFTWATCH_TOPIC_PREDICTIONS: `bench.${RUN}.predictions`,
  DRIFTWATCH_TOPIC_FEATURES: `bench.${RUN}.features`,
  DRIFTWATCH_TOPIC_LABELS: `bench.${RUN}.labels`,
  DRIFTWATCH_TOPIC_DLQ: `bench.${RUN}.dlq`,
  DRIFTWATCH_KAFKA_GROUP_ID: `bench-${RUN}`,
  DRIFTWATCH_LOG_LEVEL: 'warn',
};
const config = loadConfig(env, undefined);
const T0 = Date.now() - 3 * 86_400_000;

const events = () => predictionEvents(EVENTS, T0);

/** CPU seconds (user + system) a process has used so far. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pids of the local ClickHouse and Kafka servers, to account for their CPU during ingest. */
function serverPids(): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('clickhouse-server')) pids.clickhouse ??= Number(entry);
    if (cmdline.includes('kafka.Kafka')) pids.kafka ??= Number(entry);
  }
  return pids;
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  const admin = createClickHouse(config.clickhouse, { withDatabase: false });
  await admin.command({ query: 'DROP DATABASE IF EXISTS driftwatch_bench' });
  await admin.close();
  await migrate(config.clickhouse);
  const clickhouse = createClickHouse(config.clickhouse);
  const count = async (table: string) => Number((await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM ${table}`))[0]?.n ?? 0);

  // 1. Pre-produce.
  const kafka = new Kafka({ clientId: 'bench', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ waitForLeaders: true, topics: [config.kafka.topics.predictions, config.kafka.topics.features, config.kafka.topics.labels, config.kafka.topics.dlq].map((topic) => ({ topic, numPartitions: config.kafka.topicPartitions })) });
  await kafkaAdmin.disconnect();
  const produceStart = performance.now();
  const { bytes } = await produceEvents(kafka, config.kafka.topics.predictions, events());
  const produceSeconds = (performance.now() - produceStart) / 1000;
  console.log(`pre-produced ${EVENTS} events (${(bytes / EVENTS).toFixed(0)} bytes each on average) in ${produceSeconds.toFixed(1)} s`);

  // 2. Driftwatch ingest, as its own process.
  const servers = serverPids();
  const serverCpuBefore = Object.fromEntries(Object.entries(servers).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const ingestStart = performance.now();
  // The heap flags of an ingest-only process (app/node-flags.ts). BENCH_INGEST_NODE_FLAGS,
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", adds flags (a profile of the ingest process).
  const nodeFlags = [...NODE_HEAP_FLAGS, ...(process.env.BENCH_INGEST_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')];
  const child = spawn(process.execPath, [...nodeFlags, `${REPO}dist/cli/main.js`, 'start', '--roles', 'ingest'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  let peakRssMb = 0;
  let firstRowAt = 0;
  let stored = 0;
  while (stored < EVENTS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}`);
    peakRssMb = Math.max(peakRssMb, rssOf(child.pid!).peakMb);
    stored = await count('predictions');
    if (stored > 0 && firstRowAt === 0) firstRowAt = performance.now();
  }
  const ingestEnd = performance.now();
  peakRssMb = Math.max(peakRssMb, rssOf(child.pid!).peakMb);
  const cpuSeconds: Record<string, number> = { driftwatch_ingest: cpuSecondsOf(child.pid!) };
  for (const [name, pid] of Object.entries(servers)) cpuSeconds[name] = Number((cpuSecondsOf(pid) - serverCpuBefore[name]!).toFixed(2));
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const ingestSeconds = (ingestEnd - ingestStart) / 1000;
  const steadySeconds = (ingestEnd - firstRowAt) / 1000;
  const unique = Number((await queryRows<{ n: string }>(clickhouse, 'SELECT uniqExact(event_id) AS n FROM predictions'))[0]?.n);

  // 3. Ceiling: the same rows, already decoded in memory, inserted by a bare client on one
  // connection in 10k-row inserts. Encoding is timed with the inserts, since Driftwatch has
  // to encode too; the format is the one Driftwatch sends (RowBinary). For reference, the
  // client's own JSONEachRow insert of the same rows is timed as well.
  await clickhouse.command({ query: 'CREATE TABLE predictions_ceiling AS predictions' });
  await clickhouse.command({ query: 'CREATE TABLE predictions_ceiling_json AS predictions' });
  // Chunks are generated and decoded outside the timers, so the bench process never holds
  // a million rows (whose garbage collection would slow the ceiling down).
  const nowMs = Date.now();
  const encoder = ENCODERS.prediction;
  let ceilingSeconds = 0;
  let jsonSeconds = 0;
  let ceilingChunk: PredictionRow[] = [];
  const flush = async () => {
    let started = performance.now();
    await insertRowBinary(clickhouse, 'predictions_ceiling', encoder.columns, encodeRows(encoder, ceilingChunk).bytes);
    ceilingSeconds += (performance.now() - started) / 1000;
    started = performance.now();
    await clickhouse.insert({ table: 'predictions_ceiling_json', values: ceilingChunk, format: 'JSONEachRow', columns: [...PREDICTION_COLUMNS] as [string, ...string[]] });
    jsonSeconds += (performance.now() - started) / 1000;
    ceilingChunk = [];
  };
  for (const value of events()) {
    const decoded = decodeValue('prediction', JSON.parse(value), nowMs, config.ingest);
    if (!decoded.ok) throw new Error(decoded.rejection.message);
    ceilingChunk.push(decoded.row);
    if (ceilingChunk.length === 10_000) await flush();
  }
  if (ceilingChunk.length > 0) await flush();
  const ceilingRows = await count('predictions_ceiling');
  await clickhouse.close();

  const result = {
    events: EVENTS,
    stored_unique: unique,
    ingest_seconds_from_process_start: Number(ingestSeconds.toFixed(2)),
    ingest_events_per_second: Math.round(EVENTS / ingestSeconds),
    ingest_events_per_second_steady: Math.round(EVENTS / steadySeconds),
    ingest_peak_rss_mb: Number(peakRssMb.toFixed(1)),
    cpu_seconds_during_ingest: cpuSeconds,
    ceiling_seconds: Number(ceilingSeconds.toFixed(2)),
    ceiling_rows: ceilingRows,
    ceiling_events_per_second: Math.round(EVENTS / ceilingSeconds),
    ratio_to_ceiling: Number((ceilingSeconds / ingestSeconds).toFixed(3)),
    json_each_row_client_events_per_second: Math.round(EVENTS / jsonSeconds),
    goals: { events_per_second: 50_000, ratio: 0.5, rss_mb: 256 },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log([
    `ingest: ${result.ingest_events_per_second} events/s (${result.ingest_events_per_second_steady} steady), peak RSS ${result.ingest_peak_rss_mb} MB`,
    `ceiling (bare client, from memory, RowBinary): ${result.ceiling_events_per_second} events/s; the client's JSONEachRow insert: ${result.json_each_row_client_events_per_second} events/s`,
    `ratio to ceiling: ${result.ratio_to_ceiling}`,
    `goals: >= 50000 events/s ${result.ingest_events_per_second >= 50_000 ? 'MET' : 'MISSED'}, ratio >= 0.5 ${result.ratio_to_ceiling >= 0.5 ? 'MET' : 'MISSED'}, RSS < 256 MB ${result.ingest_peak_rss_mb < 256 ? 'MET' : 'MISSED'}`,
  ].join('\n'));
  if (unique !== EVENTS) throw new Error(`expected ${EVENTS} unique events, found ${unique}`);
  mkdirSync(`${REPO}bench/out`, { recursive: true });
  writeFileSync(`${REPO}bench/out/ingest.json`, JSON.stringify(result, null, 2));
}

/** Every run makes its own topics and group: remove them, or the broker piles them up. */
async function removeRunTopics(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-cleanup', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const { topics } = config.kafka;
    await kafkaAdmin.deleteTopics({ topics: [topics.predictions, topics.features, topics.labels, topics.dlq] }).catch(() => undefined);
    await kafkaAdmin.deleteGroups([config.kafka.groupId]).catch(() => undefined);
  } finally {
    await kafkaAdmin.disconnect();
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => removeRunTopics().catch((error: unknown) => console.error('could not remove the run\'s topics:', error)));

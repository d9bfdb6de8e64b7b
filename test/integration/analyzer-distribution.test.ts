// Analysis jobs distributed through Kafka: two instances side by side (each with its own
// scheduler and job runner in one consumer group) analyse every window exactly once, and
// an analyzer killed in the middle of a run leaves the window to be retried and completed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseMonitor } from '../../analyzer/monitors/index.js';
import { enqueueJobs, JobRunner } from '../../analyzer/service/job-runner.js';
import { jobId } from '../../analyzer/service/jobs.js';
import { saveMonitor } from '../../analyzer/service/monitor-store.js';
import { AnalysisScheduler } from '../../analyzer/service/scheduler.js';
import { createRandom, normal } from '../../demo/traffic.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { loadConfig } from '../../config/config.js';
import { dropTestDatabase, testEnv } from '../helpers/environment.js';
import { insertPredictions } from '../helpers/seed.js';
import { waitFor } from '../helpers/wait.js';

const env = testEnv('distribution', { DRIFTWATCH_KAFKA_TOPIC_PARTITIONS: '3' });
const config = loadConfig(env, undefined);
const log = createLogger('error');
let client: ClickHouseClient;
const adapters: KafkaAdapter[] = [];
const children: ChildProcess[] = [];

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 0, 0, 30); // just after midnight: yesterday's hours are complete
const MONITORS = ['m-a', 'm-b', 'm-c', 'm-d'];

function hourlyTraffic(): PredictionEvent[] {
  const random = createRandom(7);
  const events: PredictionEvent[] = [];
  for (let hour = 0; hour < 12; hour++) {
    const start = NOW - 30_000 - (12 - hour) * HOUR;
    for (let index = 0; index < 60; index++) {
      events.push({
        event_id: `e-${hour}-${index}`,
        model_id: 'shared',
        model_version: 'v1',
        timestamp: start + index * 60_000,
        features: { x: normal(random), kind: random() < 0.5 ? 'a' : 'b' },
        prediction: random(),
      });
    }
  }
  return events;
}

function adapter(name: string): KafkaAdapter {
  const created = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: name }, log);
  adapters.push(created);
  return created;
}

function runner(name: string, kafka: KafkaAdapter): JobRunner {
  return new JobRunner({
    client,
    kafka,
    settings: { jobsTopic: config.kafka.topics.jobs, groupId: config.analyzer.groupId, maxAttempts: 3, retryInitialMs: 50, instance: name },
    findDataset: async () => null,
    log,
  });
}

async function succeededRuns(): Promise<Array<{ monitor_id: string; ws: string; n: string; instances: string[] }>> {
  return queryRows(client, `SELECT monitor_id, toUInt32(window_start) AS ws, count() AS n, groupUniqArray(instance) AS instances
    FROM analysis_runs FINAL WHERE status = 'succeeded' GROUP BY monitor_id, ws ORDER BY monitor_id, ws`);
}

before(async () => {
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  const admin = adapter('distribution-admin');
  await admin.ensureTopics([config.kafka.topics.jobs], 3);
  await insertPredictions(client, hourlyTraffic());
  for (const id of MONITORS) {
    await saveMonitor(client, parseMonitor({
      id, model_id: 'shared', window: '1h', catch_up: '6h', min_events: 10,
      reference: { type: 'trailing', length: '3h', offset: '0s' },
    }), 'api');
  }
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const kafka of adapters) await kafka.close();
  await client?.close();
  await dropTestDatabase(config);
});

test('two instances side by side analyse every window exactly once', { timeout: 120_000 }, async () => {
  const instances = ['instance-1', 'instance-2'].map((name) => {
    const kafka = adapter(name);
    const jobs = runner(name, kafka);
    const scheduler = new AnalysisScheduler({
      client, enqueue: (queued) => enqueueJobs(kafka, config.kafka.topics.jobs, queued), log, defaultMonitors: false, sweepIntervalMs: 3_600_000, now: () => NOW,
    });
    return { jobs, scheduler };
  });
  await Promise.all(instances.map((instance) => instance.jobs.start()));
  // Both schedulers enqueue every due window (the cron of each instance would, too).
  await Promise.all(instances.map((instance) => instance.scheduler.sweep()));
  await Promise.all(instances.map((instance) => instance.scheduler.sweep()));
  const expectedWindows = MONITORS.length * 6;
  const runs = await waitFor(async () => {
    const done = await succeededRuns();
    return done.length === expectedWindows ? done : undefined;
  }, { timeoutMs: 90_000, what: `${expectedWindows} analysed windows` });
  // Give late duplicates time to be consumed, then check nothing ran twice.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const final = await succeededRuns();
  assert.equal(final.length, expectedWindows);
  assert.ok(final.every((row) => Number(row.n) === 1), `a window was analysed twice: ${JSON.stringify(final.filter((row) => Number(row.n) !== 1))}`);
  assert.deepEqual(
    [...new Set(runs.map((row) => Number(row.ws) * 1000))].sort(),
    Array.from({ length: 6 }, (_, index) => NOW - 30_000 - (6 - index) * HOUR),
  );
  const results = await queryRows<{ n: string }>(client, "SELECT count() AS n FROM window_results FINAL WHERE segment_name = ''");
  assert.equal(Number(results[0]?.n), expectedWindows);
  for (const instance of instances) {
    await instance.scheduler.stop();
    await instance.jobs.stop();
  }
});

test('an analyzer killed mid-run: the window is retried by another instance and completed', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/analyzer-child.js', import.meta.url))], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const seen: string[] = [];
  lines.on('line', (line) => seen.push(line));
  await waitFor(() => seen.includes('RUNNER_READY'), { timeoutMs: 30_000, what: 'the child analyzer to start' });

  const windowStart = NOW - 30_000 - 8 * HOUR; // outside the scheduler test's catch_up: never analysed yet
  const requestedMs = Date.now();
  const job = { jobId: jobId('m-a', windowStart, 'manual' as const, requestedMs), monitorId: 'm-a', windowStart, windowEnd: windowStart + HOUR, reason: 'manual' as const, requestedMs };
  await enqueueJobs(adapter('producer'), config.kafka.topics.jobs, [job]);
  await waitFor(() => seen.some((line) => line === `ANALYSIS_STARTED ${job.jobId}`), { timeoutMs: 60_000, what: 'the child to start the analysis' });
  child.kill('SIGKILL');

  const survivor = runner('survivor', adapter('survivor'));
  await survivor.start();
  const runs = await waitFor(async () => {
    const rows = await queryRows<{ status: string; instance: string; finished_ms: string }>(
      client,
      `SELECT status, instance, finished_ms FROM analysis_runs FINAL WHERE monitor_id = 'm-a' AND toUInt32(window_start) = ${windowStart / 1000} ORDER BY started_ms`,
    );
    return rows.some((row) => row.status === 'succeeded') ? rows : undefined;
  }, { timeoutMs: 90_000, what: 'the killed window to be completed' });
  // The killed attempt stays recorded as running (it never finished); the retry succeeded.
  assert.deepEqual(runs.map((row) => [row.status, row.instance]), [['running', 'child'], ['succeeded', 'survivor']]);
  const [window] = await queryRows<{ status: string; current_count: string }>(
    client,
    `SELECT status, current_count FROM window_results FINAL WHERE monitor_id = 'm-a' AND toUInt32(window_start) = ${windowStart / 1000}`,
  );
  assert.equal(window?.status, 'ok');
  assert.equal(Number(window?.current_count), 60);
  await survivor.stop();
});

// `driftwatch backfill --monitor ID --from T --to T`: analyse every complete window of a
// monitor in a time range. By default the windows go to the jobs topic like scheduled
// ones (so running analyzers share them and nothing runs twice) and the command waits for
// them; --local analyses them in this process instead, without Kafka.
import { getReferenceDataset } from '../analyzer/references/reference-store.js';
import { completeWindows } from '../analyzer/monitors/index.js';
import { enqueueJobs, JobRunner } from '../analyzer/service/job-runner.js';
import { jobId, type AnalysisJob } from '../analyzer/service/jobs.js';
import { getMonitor } from '../analyzer/service/monitor-store.js';
import { succeededWindows } from '../analyzer/service/run-store.js';
import { ConfigError, type DriftwatchConfig } from '../config/config.js';
import { parseRfc3339 } from '../ingest/timestamp.js';
import { KafkaAdapter } from '../messaging/kafka.js';
import { createLogger } from '../observability/logger.js';
import { createClickHouse } from '../storage/clickhouse.js';

export const BACKFILL_HELP = `Usage: driftwatch backfill --monitor ID --from TIME --to TIME [--local] [--no-wait] [--timeout SECONDS]

Analyses every complete window of the monitor that starts at or after --from and ends at
or before --to (RFC 3339 or epoch ms). Re-analysing a window replaces its results.
  --local          analyse in this process (no analyzer or Kafka needed)
  --no-wait        only enqueue the windows for the running analyzers
  --timeout S      how long to wait for the analyzers (default 3600)`;

const MAX_WINDOWS = 10_000;

export interface BackfillIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function value(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const next = args[index + 1];
  if (next === undefined || next.startsWith('--')) throw new ConfigError(`${name} needs a value`);
  return next;
}

function time(args: string[], name: string): number {
  const text = value(args, name);
  if (text === undefined) throw new ConfigError(`${name} is required\n\n${BACKFILL_HELP}`);
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : parseRfc3339(text);
  if (ms === undefined) throw new ConfigError(`${name}: "${text}" is not an RFC 3339 time or epoch milliseconds`);
  return ms;
}

export async function runBackfillCommand(args: string[], config: DriftwatchConfig, io: BackfillIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write(`${BACKFILL_HELP}\n`);
    return 0;
  }
  const monitorId = value(args, '--monitor');
  if (monitorId === undefined) throw new ConfigError(`--monitor is required\n\n${BACKFILL_HELP}`);
  const from = time(args, '--from');
  const to = time(args, '--to');
  if (!(to > from)) throw new ConfigError('--to must be after --from');
  const timeoutSeconds = Number(value(args, '--timeout') ?? 3600);
  if (!(timeoutSeconds > 0)) throw new ConfigError('--timeout must be a positive number of seconds');

  const log = createLogger(config.logLevel, { command: 'backfill' });
  const client = createClickHouse(config.clickhouse);
  const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-backfill` }, log);
  try {
    const stored = await getMonitor(client, monitorId);
    if (stored === null) {
      io.stderr.write(`driftwatch backfill: no monitor "${monitorId}" (GET /v1/monitors lists them)\n`);
      return 1;
    }
    const monitor = stored.monitor;
    const requestedMs = Date.now();
    const windows = completeWindows(monitor, from, to, requestedMs);
    if (windows.length === 0) {
      io.stdout.write('no complete window in that range\n');
      return 0;
    }
    if (windows.length > MAX_WINDOWS) throw new ConfigError(`the range holds ${windows.length} windows of ${monitor.window}; backfill at most ${MAX_WINDOWS} at a time`);
    const jobs: AnalysisJob[] = windows.map((window) => ({
      jobId: jobId(monitor.id, window.start, 'backfill', requestedMs), monitorId: monitor.id, windowStart: window.start, windowEnd: window.end, reason: 'backfill', requestedMs,
    }));

    if (args.includes('--local')) {
      const runner = new JobRunner({
        client, kafka,
        settings: { jobsTopic: config.kafka.topics.jobs, groupId: config.analyzer.groupId, maxAttempts: config.analyzer.maxAttempts, retryInitialMs: config.analyzer.retryInitialMs, instance: `${config.analyzer.instance}:backfill` },
        findDataset: async (name) => {
          const dataset = await getReferenceDataset(client, name);
          return dataset === null ? null : { uploadId: dataset.upload_id };
        },
        log,
      });
      let failed = 0;
      for (const job of jobs) {
        const outcome = await runner.runJob(job);
        if (outcome === 'failed') failed++;
        io.stdout.write(`${new Date(job.windowStart).toISOString()} ${outcome}\n`);
      }
      io.stdout.write(`${jobs.length - failed} of ${jobs.length} windows analysed\n`);
      return failed === 0 ? 0 : 1;
    }

    await kafka.ensureTopics([config.kafka.topics.jobs], config.kafka.topicPartitions);
    await enqueueJobs(kafka, config.kafka.topics.jobs, jobs);
    io.stdout.write(`${jobs.length} windows of ${monitor.id} queued for analysis\n`);
    if (args.includes('--no-wait')) return 0;
    const deadline = Date.now() + timeoutSeconds * 1000;
    let done = 0;
    while (Date.now() < deadline) {
      const succeeded = await succeededWindows(client, monitor.id, windows[0]!.start, windows[windows.length - 1]!.end);
      done = windows.filter((window) => (succeeded.get(window.start) ?? -1) >= requestedMs).length;
      if (done === windows.length) {
        io.stdout.write(`${done} of ${windows.length} windows analysed\n`);
        return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    io.stderr.write(`driftwatch backfill: ${windows.length - done} of ${windows.length} windows not analysed after ${timeoutSeconds} s; is an analyzer running (driftwatch start --roles analyzer)? --local analyses without one\n`);
    return 1;
  } finally {
    await kafka.close();
    await client.close();
  }
}

/**
 * The analyzer role: a consumer group on the jobs topic. Jobs of one monitor share a
 * partition, so one consumer runs them in order, and a job is committed only once its
 * window was analysed and stored (or was found done already). A run that fails is
 * recorded with its error and retried with doubling delays; a process killed mid-run never
 * committed its job, so the partition's next owner runs it again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Monitor, TimeWindow } from '../monitors/index.js';
import type { KafkaAdapter, RunningConsumer } from '../../messaging/kafka.js';
import type { Logger } from '../../observability/logger.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { decodeJob, encodeJob, JobFormatError, satisfiedSince, type AnalysisJob } from './jobs.js';
import { getMonitor } from './monitor-store.js';
import { recordRun, hasSucceededRun } from './run-store.js';
import { storeWindowResults } from './result-store.js';
import { analyzeWindow, type DatasetLookup } from './window-analysis.js';

export interface AnalyzerSettings {
  jobsTopic: string;
  groupId: string;
  maxAttempts: number;
  retryInitialMs: number;
  instance: string;
}

export interface AnalyzerMetricsSink {
  runFinished(status: 'succeeded' | 'failed' | 'skipped', durationMs: number): void;
}

export interface JobRunnerDeps {
  client: ClickHouseClient;
  kafka: KafkaAdapter;
  settings: AnalyzerSettings;
  findDataset: DatasetLookup;
  log: Logger;
  metrics?: AnalyzerMetricsSink;
  /** Test hook: called after a run is recorded as running, before analysing. */
  beforeAnalysis?(job: AnalysisJob): Promise<void>;
  /**
   * Called once a window's results are stored and its run recorded as succeeded (alerting
   * evaluates its rules here). A failure is logged; it does not fail the run.
   */
  afterWindowStored?(event: { monitor: Monitor; window: TimeWindow; runId: string; job: AnalysisJob }): Promise<void>;
}

export type JobOutcome = 'succeeded' | 'failed' | 'skipped' | 'abandoned';

class RunAbandonedError extends Error {
  override readonly name = 'RunAbandonedError';
}

export async function enqueueJobs(kafka: KafkaAdapter, topic: string, jobs: readonly AnalysisJob[]): Promise<void> {
  await kafka.send(topic, jobs.map(encodeJob));
}

export class JobRunner {
  private consumer: RunningConsumer | undefined;
  private stopping = false;

  constructor(private readonly deps: JobRunnerDeps) {}

  async start(): Promise<void> {
    this.consumer = await this.deps.kafka.startBatchConsumer({
      groupId: this.deps.settings.groupId,
      topics: [this.deps.settings.jobsTopic],
      // Jobs are tiny and slow to run: a small fetch keeps a backlog on the broker, where
      // another instance can take it after a rebalance.
      maxBytesPerPartition: 64 * 1024,
      partitionsConsumedConcurrently: 1,
      // A killed analyzer's jobs move on after 10 s; a running job heartbeats every 3 s.
      sessionTimeoutMs: 10_000,
      onBatch: async (batch, control) => {
        for (const message of batch.messages) {
          if (!control.shouldContinue() || this.stopping) return;
          const nextOffset = (BigInt(message.offset) + 1n).toString();
          let job: AnalysisJob;
          try {
            job = decodeJob(message.value);
          } catch (error) {
            if (!(error instanceof JobFormatError)) throw error;
            this.deps.log.error('malformed analysis job skipped', { partition: batch.partition, offset: message.offset, error: error.message });
            control.markFetched(nextOffset);
            await control.commit(nextOffset);
            continue;
          }
          const heartbeat = setInterval(() => void control.heartbeat().catch(() => undefined), 3000);
          let outcome: JobOutcome;
          try {
            // A shutdown lets the run in progress finish and commit; a lost partition does not.
            outcome = await this.runJob(job, () => control.shouldContinue());
          } finally {
            clearInterval(heartbeat);
          }
          if (outcome === 'abandoned') return; // uncommitted: the partition's next owner runs it
          control.markFetched(nextOffset);
          await control.commit(nextOffset);
        }
      },
      onCrash: (error) => this.deps.log.error('analysis job consumer crashed', { error: error.message }),
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.stop();
  }

  /** Runs one job to completion (or to its last failed attempt). */
  async runJob(job: AnalysisJob, shouldContinue: () => boolean = () => true): Promise<JobOutcome> {
    const { client, settings, log } = this.deps;
    const stored = await getMonitor(client, job.monitorId);
    if (stored === null || !stored.monitor.enabled) {
      log.info('analysis job skipped: monitor deleted or disabled', { monitor_id: job.monitorId, job_id: job.jobId });
      this.deps.metrics?.runFinished('skipped', 0);
      return 'skipped';
    }
    const monitor = stored.monitor;
    if (await hasSucceededRun(client, monitor.id, job.windowStart, satisfiedSince(job))) {
      this.deps.metrics?.runFinished('skipped', 0);
      return 'skipped';
    }
    for (let attempt = 1; ; attempt++) {
      const runId = randomUUID();
      const startedMs = Date.now();
      const run = {
        runId, jobId: job.jobId, monitorId: monitor.id, modelId: monitor.modelId, windowStart: job.windowStart, windowEnd: job.windowEnd,
        reason: job.reason, instance: settings.instance, startedMs, error: '',
      };
      try {
        await recordRun(client, { ...run, status: 'running', finishedMs: 0 });
        await this.deps.beforeAnalysis?.(job);
        const results = await analyzeWindow({ client, findDataset: this.deps.findDataset, runId, nowMs: startedMs }, monitor, { start: job.windowStart, end: job.windowEnd });
        // Partitions moved to another instance during the run: it runs the job again, so this
        // run stores nothing (its job stays uncommitted) rather than analysing the window twice.
        if (!shouldContinue()) throw new RunAbandonedError('the jobs partition was reassigned (rebalance or shutdown) during the run');
        await storeWindowResults(client, results);
        const finishedMs = Date.now();
        await recordRun(client, { ...run, status: 'succeeded', finishedMs });
        this.deps.metrics?.runFinished('succeeded', finishedMs - startedMs);
        await this.deps.afterWindowStored?.({ monitor, window: { start: job.windowStart, end: job.windowEnd }, runId, job })
          .catch((error: unknown) => log.error('after-analysis hook failed', { monitor_id: monitor.id, error: (error as Error).message }));
        log.info('window analysed', { monitor_id: monitor.id, window_start: new Date(job.windowStart).toISOString(), reason: job.reason, duration_ms: finishedMs - startedMs });
        return 'succeeded';
      } catch (error) {
        const message = (error as Error).message;
        const finishedMs = Date.now();
        this.deps.metrics?.runFinished('failed', finishedMs - startedMs);
        log.error('window analysis failed', { monitor_id: monitor.id, window_start: new Date(job.windowStart).toISOString(), attempt, error: message });
        await recordRun(client, { ...run, status: 'failed', error: message, finishedMs }).catch(() => undefined);
        if (error instanceof RunAbandonedError) return 'abandoned';
        if (attempt >= settings.maxAttempts || !shouldContinue()) return 'failed';
        await sleep(settings.retryInitialMs * 2 ** (attempt - 1));
      }
    }
  }
}

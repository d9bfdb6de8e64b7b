/**
 * Decides which windows need analysing and enqueues them on the jobs topic; it never runs
 * an analysis itself. Every analyzer instance runs one: a window enqueued by two schedulers
 * is still analysed once (see jobs.ts). Two triggers:
 *  - a node-cron task per monitor, firing when a window becomes due (end + delay), so a
 *    result follows the end of its window by the analysis time only;
 *  - a periodic sweep that picks up what the cron missed (start-up, downtime, failed runs
 *    within catch_up), windows whose late labels arrived within the grace period, new
 *    monitors, and models seen for the first time (their default monitor).
 */
import cron, { type ScheduledTask } from 'node-cron';
import {
  completeWindows,
  CRON_TIMEZONE,
  cronExpressionFor,
  defaultMonitor,
  monitorToJson,
  windowSizeMs,
  type Monitor,
  type TimeWindow,
} from '../monitors/index.js';
import type { Logger } from '../../observability/logger.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { jobId, type AnalysisJob } from './jobs.js';
import { listMonitors, modelsWithoutMonitor, saveMonitor } from './monitor-store.js';
import { succeededWindows } from './run-store.js';

export interface SchedulerDeps {
  client: ClickHouseClient;
  enqueue(jobs: AnalysisJob[]): Promise<void>;
  log: Logger;
  /** Create the default monitor for models seen for the first time. */
  defaultMonitors: boolean;
  sweepIntervalMs: number;
  now?: () => number;
  /** Reports the number of due windows not yet analysed (the "windows behind" gauge). */
  onBacklog?(windows: number): void;
}

/** A window enqueued recently is not enqueued again by this instance until this passes. */
const REENQUEUE_AFTER_MS = 10 * 60_000;

const WEEK_ALIGNMENT_SECONDS = 4 * 86_400; // the first Monday after the epoch

export class AnalysisScheduler {
  private readonly tasks = new Map<string, { task: ScheduledTask; definition: string }>();
  private readonly recentlyEnqueued = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.deps.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    await this.sweeping;
  }

  /** One full pass; overlapping calls share the pass in progress. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => this.deps.log.error('scheduler sweep failed', { error: (error as Error).message }))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    if (this.deps.defaultMonitors) {
      for (const modelId of await modelsWithoutMonitor(this.deps.client)) {
        await saveMonitor(this.deps.client, defaultMonitor(modelId), 'default', this.now());
        this.deps.log.info('default monitor created for a new model', { model_id: modelId });
      }
    }
    const monitors = (await listMonitors(this.deps.client)).map((stored) => stored.monitor).filter((monitor) => monitor.enabled);
    if (!this.stopped) this.syncCronTasks(monitors);
    let backlog = 0;
    for (const monitor of monitors) {
      if (this.stopped) return;
      // One read of the succeeded runs serves both: the grace period and catch_up overlap.
      const now = this.now();
      // A window's start lies up to one window before the range it overlaps.
      const from = now - Math.max(monitor.catchUpMs, monitor.performance.gracePeriodMs) - windowSizeMs(monitor.window);
      const done = await succeededWindows(this.deps.client, monitor.id, from, now);
      backlog += await this.enqueueDue(monitor, done);
      await this.enqueueLateLabels(monitor, done);
    }
    this.deps.onBacklog?.(backlog);
  }

  private syncCronTasks(monitors: Monitor[]): void {
    const wanted = new Map(monitors.map((monitor) => [monitor.id, monitor]));
    for (const [id, entry] of this.tasks) {
      const monitor = wanted.get(id);
      if (monitor === undefined || JSON.stringify(monitorToJson(monitor)) !== entry.definition) {
        void entry.task.destroy();
        this.tasks.delete(id);
      }
    }
    for (const monitor of monitors) {
      if (this.tasks.has(monitor.id)) continue;
      const task = cron.schedule(
        cronExpressionFor(monitor),
        () => this.enqueueDue(monitor).catch((error: unknown) => this.deps.log.error('scheduled enqueue failed', { monitor_id: monitor.id, error: (error as Error).message })),
        { timezone: CRON_TIMEZONE, name: `monitor ${monitor.id}`, noOverlap: true },
      );
      this.tasks.set(monitor.id, { task, definition: JSON.stringify(monitorToJson(monitor)) });
    }
  }

  /** Enqueues the complete windows within catch_up that have no succeeded run; returns how many are behind. */
  async enqueueDue(monitor: Monitor, succeeded?: ReadonlyMap<number, number>): Promise<number> {
    const now = this.now();
    const windows = completeWindows(monitor, now - monitor.catchUpMs, now, now);
    if (windows.length === 0) return 0;
    const done = succeeded ?? await succeededWindows(this.deps.client, monitor.id, windows[0]!.start, windows[windows.length - 1]!.end);
    const behind = windows.filter((window) => !done.has(window.start));
    await this.enqueue(monitor, behind, 'schedule', now);
    return behind.length;
  }

  /** Windows within the grace period whose labels arrived after their last successful run. */
  async enqueueLateLabels(monitor: Monitor, succeeded?: ReadonlyMap<number, number>): Promise<void> {
    const now = this.now();
    const windows = completeWindows(monitor, now - monitor.performance.gracePeriodMs, now, now);
    if (windows.length === 0) return;
    const from = windows[0]!.start;
    const to = windows[windows.length - 1]!.end;
    const done = new Map([...(succeeded ?? await succeededWindows(this.deps.client, monitor.id, from, to))].filter(([start]) => start >= from && start < to));
    if (done.size === 0) return;
    const oldestSuccess = Math.min(...done.values());
    const size = windowSizeMs(monitor.window) / 1000;
    const alignment = monitor.window === '1w' ? WEEK_ALIGNMENT_SECONDS : 0;
    const version = monitor.modelVersion === null ? '' : sql` AND model_version = ${monitor.modelVersion}`;
    // ALL INNER JOIN (one row per event_id on the right): a current ClickHouse's ANY INNER JOIN
    // would also keep one row per event_id of the left, 18.16's not (the same max() either way).
    const rows = await queryRows<{ w: string; labeled: string }>(
      this.deps.client,
      sql`SELECT intDiv(toUInt32(ts) - ${alignment}, ${size}) * ${size} + ${alignment} AS w, max(last_label) AS labeled
          FROM (SELECT event_id, ts FROM predictions WHERE model_id = ${monitor.modelId} AND ts >= toDateTime(${from / 1000}) AND ts < toDateTime(${to / 1000})` +
        version +
        sql`) AS predicted
          ALL INNER JOIN (SELECT event_id, toUInt32(max(ingested_at)) AS last_label FROM labels
                          WHERE model_id = ${monitor.modelId} AND ingested_at >= toDateTime(${Math.floor(oldestSuccess / 1000)}) GROUP BY event_id) AS labeled
          USING event_id GROUP BY w`,
    );
    for (const row of rows) {
      const start = Number(row.w) * 1000;
      const lastSuccess = done.get(start);
      // ingested_at has whole seconds: a label of the second a run started may have missed it.
      const labeledMs = Number(row.labeled) * 1000;
      if (lastSuccess === undefined || labeledMs + 999 < lastSuccess) continue;
      const window = windows.find((candidate) => candidate.start === start);
      // Requested "when the label arrived": any run started after that satisfies the job,
      // so instances enqueueing the same late label do not recompute twice.
      if (window) await this.enqueue(monitor, [window], 'late_labels', labeledMs);
    }
  }

  private async enqueue(monitor: Monitor, windows: TimeWindow[], reason: AnalysisJob['reason'], requestedMs: number): Promise<void> {
    const now = this.now();
    for (const [key, at] of this.recentlyEnqueued) if (now - at > REENQUEUE_AFTER_MS) this.recentlyEnqueued.delete(key);
    const jobs: AnalysisJob[] = [];
    for (const window of windows) {
      const recent = `${monitor.id}|${window.start}|${reason}|${reason === 'schedule' ? 0 : requestedMs}`;
      if (this.recentlyEnqueued.has(recent)) continue;
      this.recentlyEnqueued.set(recent, now);
      jobs.push({ jobId: jobId(monitor.id, window.start, reason, requestedMs), monitorId: monitor.id, windowStart: window.start, windowEnd: window.end, reason, requestedMs });
    }
    if (jobs.length === 0) return;
    try {
      await this.deps.enqueue(jobs);
    } catch (error) {
      for (const job of jobs) this.recentlyEnqueued.delete(`${monitor.id}|${job.windowStart}|${reason}|${reason === 'schedule' ? 0 : requestedMs}`);
      throw error;
    }
  }
}

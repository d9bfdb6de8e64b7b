/**
 * analysis_runs: every attempt at a window, with its outcome. It is the record the job
 * runner consults before running (was this already done?) and the scheduler consults to
 * find windows never analysed; it also serves the API's run history.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface AnalysisRun {
  runId: string;
  jobId: string;
  monitorId: string;
  modelId: string;
  windowStart: number;
  windowEnd: number;
  reason: string;
  status: RunStatus;
  error: string;
  instance: string;
  startedMs: number;
  finishedMs: number;
}

export async function recordRun(client: ClickHouseClient, run: AnalysisRun): Promise<void> {
  await client.insert({
    table: 'analysis_runs',
    format: 'JSONEachRow',
    columns: ['run_id', 'job_id', 'monitor_id', 'model_id', 'window_start', 'window_end', 'reason', 'status', 'error', 'instance', 'started_ms', 'finished_ms', 'updated_ms'],
    values: [{
      run_id: run.runId,
      job_id: run.jobId,
      monitor_id: run.monitorId,
      model_id: run.modelId,
      window_start: Math.floor(run.windowStart / 1000),
      window_end: Math.floor(run.windowEnd / 1000),
      reason: run.reason,
      status: run.status,
      error: run.error.slice(0, 4000),
      instance: run.instance,
      started_ms: run.startedMs,
      finished_ms: run.finishedMs,
      // running < succeeded/failed for the same run, whatever the clocks say.
      updated_ms: run.startedMs * 4 + (run.status === 'running' ? 0 : 1),
    }],
  });
}

/** True when a run of this window that started at or after `sinceMs` succeeded. */
export async function hasSucceededRun(client: ClickHouseClient, monitorId: string, windowStart: number, sinceMs: number): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    client,
    sql`SELECT count() AS n FROM analysis_runs FINAL WHERE monitor_id = ${monitorId} AND window_start = toDateTime(${Math.floor(windowStart / 1000)}) AND status = 'succeeded' AND started_ms >= ${sinceMs}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Window starts (epoch ms) in [from, to) with a succeeded run, and when its newest success started. */
export async function succeededWindows(client: ClickHouseClient, monitorId: string, from: number, to: number): Promise<Map<number, number>> {
  const rows = await queryRows<{ window_start: number | string; started: string }>(
    client,
    sql`SELECT toUInt32(window_start) AS window_start, max(started_ms) AS started FROM analysis_runs FINAL
        WHERE monitor_id = ${monitorId} AND window_start >= toDateTime(${Math.floor(from / 1000)}) AND window_start < toDateTime(${Math.floor(to / 1000)}) AND status = 'succeeded'
        GROUP BY window_start`,
  );
  return new Map(rows.map((row) => [Number(row.window_start) * 1000, Number(row.started)]));
}

export interface RunListFilter {
  monitorId?: string;
  modelId?: string;
  status?: RunStatus;
  limit: number;
}

export async function listRuns(client: ClickHouseClient, filter: RunListFilter): Promise<AnalysisRun[]> {
  const conditions = [
    filter.monitorId === undefined ? '1' : sql`monitor_id = ${filter.monitorId}`,
    filter.modelId === undefined ? '1' : sql`model_id = ${filter.modelId}`,
    filter.status === undefined ? '1' : sql`status = ${filter.status}`,
  ].join(' AND ');
  const rows = await queryRows<Record<string, string | number>>(
    client,
    `SELECT run_id, job_id, monitor_id, model_id, toUInt32(window_start) AS ws, toUInt32(window_end) AS we, reason, status, error, instance, started_ms, finished_ms
     FROM analysis_runs FINAL WHERE ${conditions} ORDER BY started_ms DESC LIMIT ${Math.max(1, Math.min(10_000, Math.floor(filter.limit)))}`,
  );
  return rows.map((row) => ({
    runId: String(row.run_id),
    jobId: String(row.job_id),
    monitorId: String(row.monitor_id),
    modelId: String(row.model_id),
    windowStart: Number(row.ws) * 1000,
    windowEnd: Number(row.we) * 1000,
    reason: String(row.reason),
    status: row.status as RunStatus,
    error: String(row.error),
    instance: String(row.instance),
    startedMs: Number(row.started_ms),
    finishedMs: Number(row.finished_ms),
  }));
}

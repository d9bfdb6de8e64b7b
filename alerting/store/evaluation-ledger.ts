/**
 * Which stored analyzer runs alerting has evaluated (alert_evaluations). The row is the
 * last write of an evaluation, so its presence means events and states are stored too;
 * catch-up looks for runs without one.
 */
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export interface EvaluationKey {
  monitorId: string;
  windowStart: number;
  runId: string;
}

export async function wasEvaluated(client: ClickHouseClient, key: EvaluationKey): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    client,
    sql`SELECT count() AS n FROM alert_evaluations WHERE monitor_id = ${key.monitorId} AND window_start = toDateTime(${Math.floor(key.windowStart / 1000)}) AND run_id = ${key.runId}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

export async function recordEvaluation(client: ClickHouseClient, key: EvaluationKey & { modelId: string; events: number }, nowMs: number): Promise<void> {
  await client.insert({
    table: 'alert_evaluations',
    format: 'JSONEachRow',
    columns: ['monitor_id', 'model_id', 'window_start', 'run_id', 'events', 'evaluated_ms'],
    values: [{ monitor_id: key.monitorId, model_id: key.modelId, window_start: Math.floor(key.windowStart / 1000), run_id: key.runId, events: key.events, evaluated_ms: nowMs }],
  });
}

export interface PendingRun {
  monitorId: string;
  modelId: string;
  window: { start: number; end: number };
  runId: string;
}

/**
 * The newest stored run of every (monitor, window) with window_start >= `from` and results
 * stored before `storedBefore` that has no ledger row, oldest window first.
 */
export async function unevaluatedRuns(client: ClickHouseClient, options: { from: number; storedBefore: number; limit: number }): Promise<PendingRun[]> {
  const from = Math.floor(options.from / 1000);
  const rows = await queryRows<{ monitor_id: string; model_id: string; ws: string | number; we: string | number; run_id: string }>(
    client,
    sql`SELECT monitor_id, model AS model_id, toUInt32(window_start) AS ws, toUInt32(end_time) AS we, latest_run AS run_id FROM (
          SELECT monitor_id, any(model_id) AS model, window_start, any(window_end) AS end_time,
                 argMax(run_id, computed_ms) AS latest_run, max(computed_ms) AS stored_ms
          FROM window_results WHERE window_start >= toDateTime(${from})
          GROUP BY monitor_id, window_start) AS latest
        WHERE stored_ms < ${options.storedBefore}
          AND (monitor_id, window_start, latest_run) NOT IN (
            SELECT monitor_id, window_start, run_id FROM alert_evaluations WHERE window_start >= toDateTime(${from}))
        ORDER BY window_start, monitor_id
        LIMIT ${options.limit}`,
  );
  return rows.map((row) => ({
    monitorId: row.monitor_id,
    modelId: row.model_id,
    window: { start: Number(row.ws) * 1000, end: Number(row.we) * 1000 },
    runId: row.run_id,
  }));
}

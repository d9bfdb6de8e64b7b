/**
 * Retraining trigger runs (retraining_runs): one row per version of a run, the newest
 * wins. The run keeps the alert it came from (to send after an approval), every decision,
 * the request's outcome and the pipeline's status reports; of its callback token only the
 * SHA-256 is stored.
 */
import type { AlertNotification } from '../notification.js';
import type { RetrainingStatus } from '../delivery/retraining-policy.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';
import { nextVersionMs } from '../../storage/versioned-table.js';

export interface RetrainingRunRecord {
  notification: AlertNotification;
  /** Why it was suppressed, rejected or failed; '' otherwise. */
  reason: string;
  decision: { by: string; at: number; approved: boolean; comment: string } | null;
  request: { url: string; attempts: number; responseCode: number | null; detail: string; errorCode: string; error: string; at: number } | null;
  callbacks: Array<{ status: string; at: number; url: string | null; message: string | null; modelVersion: string | null }>;
  /** The pipeline's run page, from the request's answer or a callback. */
  pipelineUrl: string | null;
}

export interface RetrainingRun {
  runId: string;
  targetId: string;
  modelId: string;
  ruleId: string;
  alertKey: string;
  status: RetrainingStatus;
  record: RetrainingRunRecord;
  tokenSha256: string;
  createdMs: number;
  updatedMs: number;
}

interface RunRow {
  run_id: string; target_id: string; model_id: string; rule_id: string; alert_key: string; status: RetrainingStatus;
  record: string; token_sha256: string; created_ms: string; updated_ms: string;
}

const COLUMNS = 'run_id, target_id, model_id, rule_id, alert_key, status, record, token_sha256, created_ms, updated_ms';

function fromRow(row: RunRow): RetrainingRun {
  return {
    runId: row.run_id, targetId: row.target_id, modelId: row.model_id, ruleId: row.rule_id, alertKey: row.alert_key, status: row.status,
    record: JSON.parse(row.record) as RetrainingRunRecord, tokenSha256: row.token_sha256, createdMs: Number(row.created_ms), updatedMs: Number(row.updated_ms),
  };
}

export async function getRetrainingRun(client: ClickHouseClient, runId: string): Promise<RetrainingRun | null> {
  const rows = await queryRows<RunRow>(client, `SELECT ${COLUMNS} FROM retraining_runs FINAL${sql` WHERE run_id = ${runId}`}`);
  return rows[0] === undefined ? null : fromRow(rows[0]);
}

/** Writes a new version; `updatedMs` grows past the stored one even within a millisecond. */
export async function writeRetrainingRun(client: ClickHouseClient, run: Omit<RetrainingRun, 'updatedMs'>, nowMs: number): Promise<RetrainingRun> {
  const updatedMs = await nextVersionMs(client, 'retraining_runs', 'run_id', run.runId, nowMs);
  await client.insert({
    table: 'retraining_runs',
    format: 'JSONEachRow',
    columns: ['run_id', 'target_id', 'model_id', 'rule_id', 'alert_key', 'status', 'record', 'token_sha256', 'created_ms', 'updated_ms'],
    values: [{
      run_id: run.runId, target_id: run.targetId, model_id: run.modelId, rule_id: run.ruleId, alert_key: run.alertKey, status: run.status,
      record: JSON.stringify(run.record), token_sha256: run.tokenSha256, created_ms: run.createdMs, updated_ms: updatedMs,
    }],
  });
  return { ...run, updatedMs };
}

export interface RetrainingRunFilter {
  modelId?: string;
  targetId?: string;
  status?: RetrainingStatus;
  /** created_ms >= since */
  since?: number;
  limit: number;
}

/** Newest runs first. */
export async function listRetrainingRuns(client: ClickHouseClient, filter: RetrainingRunFilter): Promise<RetrainingRun[]> {
  // Filters on columns a run never changes go inside; status changes, so it is filtered
  // after FINAL picked the newest version (a PREWHERE would see old versions).
  const parts = ['1'];
  if (filter.modelId !== undefined) parts.push(sql`model_id = ${filter.modelId}`);
  if (filter.targetId !== undefined) parts.push(sql`target_id = ${filter.targetId}`);
  if (filter.since !== undefined) parts.push(sql`created_ms >= ${filter.since}`);
  const status = filter.status === undefined ? '1' : sql`status = ${filter.status}`;
  const rows = await queryRows<RunRow>(
    client,
    `SELECT ${COLUMNS} FROM (SELECT ${COLUMNS} FROM retraining_runs FINAL WHERE ${parts.join(' AND ')}) AS newest
     WHERE ${status} ORDER BY created_ms DESC, run_id LIMIT ${sql`${filter.limit}`}`,
  );
  return rows.map(fromRow);
}

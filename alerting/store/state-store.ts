/**
 * The newest AlertState of every alert instance (alert_states). A state is plain JSON in a
 * String column, so its figures come back exactly. Versions grow per instance: the next
 * write of an instance is newer than the one it was computed from, whatever the clocks say.
 */
import { isAlertState, type AlertState, type AlertStatus } from '../state/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export interface StoredAlertState {
  ruleId: string;
  instanceKey: string;
  modelId: string;
  /** The rule's metric when the state was written (inhibition reads it). */
  metric: string;
  /** null for window and performance instances. */
  column: string | null;
  state: AlertState;
  /** The analysed window whose evaluation wrote the state (epoch ms). */
  windowStart: number;
  updatedMs: number;
}

interface StateRow {
  rule_id: string;
  instance_key: string;
  model_id: string;
  metric: string;
  column_name: string;
  state: string;
  ws: number | string;
  updated_ms: number | string;
}

function fromRow(row: StateRow): StoredAlertState | null {
  let state: unknown;
  try {
    state = JSON.parse(row.state);
  } catch {
    return null;
  }
  // A corrupt row is not an alert; the instance starts over.
  if (!isAlertState(state)) return null;
  let column: string | null = null;
  try {
    const parts = JSON.parse(row.instance_key) as unknown[];
    column = typeof parts[parts.length - 1] === 'string' ? (parts[parts.length - 1] as string) : null;
  } catch {
    column = row.column_name === '' ? null : row.column_name;
  }
  return {
    ruleId: row.rule_id, instanceKey: row.instance_key, modelId: row.model_id, metric: row.metric, column,
    state, windowStart: Number(row.ws) * 1000, updatedMs: Number(row.updated_ms),
  };
}

const SELECT = `SELECT rule_id, instance_key, model_id, metric, column_name, state, toUInt32(window_start) AS ws, updated_ms FROM alert_states FINAL`;

/** Every stored instance state of a model (all rules): the evaluator's previous states and inhibition sources. */
export async function loadModelStates(client: ClickHouseClient, modelId: string): Promise<StoredAlertState[]> {
  const rows = await queryRows<StateRow>(client, `${SELECT}${sql` WHERE model_id = ${modelId}`} ORDER BY rule_id, instance_key`);
  return rows.map(fromRow).filter((entry): entry is StoredAlertState => entry !== null);
}

/** States of one rule's instances (optionally of one model). */
export async function loadRuleStates(client: ClickHouseClient, ruleId: string, modelId?: string): Promise<StoredAlertState[]> {
  const where = modelId === undefined ? sql` WHERE rule_id = ${ruleId}` : sql` WHERE rule_id = ${ruleId} AND model_id = ${modelId}`;
  const rows = await queryRows<StateRow>(client, `${SELECT}${where} ORDER BY instance_key`);
  return rows.map(fromRow).filter((entry): entry is StoredAlertState => entry !== null);
}

/** Instances pending or firing now, optionally of one model or rule. */
export async function listActiveStates(client: ClickHouseClient, filter: { modelId?: string; ruleId?: string } = {}): Promise<StoredAlertState[]> {
  const parts = [`status IN ('pending', 'firing')`];
  if (filter.modelId !== undefined) parts.push(sql`model_id = ${filter.modelId}`);
  if (filter.ruleId !== undefined) parts.push(sql`rule_id = ${filter.ruleId}`);
  const rows = await queryRows<StateRow>(client, `${SELECT} WHERE ${parts.join(' AND ')} ORDER BY model_id, rule_id, instance_key`);
  return rows.map(fromRow).filter((entry): entry is StoredAlertState => entry !== null);
}

export interface StateWrite {
  ruleId: string;
  instanceKey: string;
  modelId: string;
  metric: string;
  column: string | null;
  state: AlertState;
  windowStart: number;
  /** updated_ms of the state this one was computed from, if any. */
  previousUpdatedMs: number | null;
}

/** One insert for all of an evaluation's states, so they land together or not at all. */
export async function writeStates(client: ClickHouseClient, writes: readonly StateWrite[], nowMs: number): Promise<void> {
  if (writes.length === 0) return;
  await client.insert({
    table: 'alert_states',
    format: 'JSONEachRow',
    columns: ['rule_id', 'instance_key', 'model_id', 'metric', 'column_name', 'status', 'state', 'window_start', 'updated_ms'],
    values: writes.map((write) => ({
      rule_id: write.ruleId,
      instance_key: write.instanceKey,
      model_id: write.modelId,
      metric: write.metric,
      column_name: write.column ?? '',
      status: write.state.status satisfies AlertStatus,
      state: JSON.stringify(write.state),
      window_start: Math.floor(write.windowStart / 1000),
      updated_ms: Math.max(nowMs, (write.previousUpdatedMs ?? 0) + 1),
    })),
  });
}

/**
 * Alert rules live in ClickHouse like monitors (analyzer/service/monitor-store.ts): one row
 * per version of a definition, the newest wins, a deleted flag removes it. Rules come from
 * the API or from the config file ("rules as code", written at start-up).
 */
import { parseRule, ruleToJson, type Rule } from '../rules/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export type RuleSource = 'api' | 'config';

export interface StoredRule {
  rule: Rule;
  source: RuleSource;
  updatedMs: number;
}

interface RuleRow {
  rule_id: string;
  latest_source: RuleSource;
  latest_definition: string;
  is_deleted: number | string;
  latest_ms: string;
}

const LATEST = `SELECT rule_id, argMax(source, updated_ms) AS latest_source, argMax(definition, updated_ms) AS latest_definition,
  argMax(deleted, updated_ms) AS is_deleted, max(updated_ms) AS latest_ms FROM alert_rules`;

function fromRow(row: RuleRow): StoredRule | null {
  if (Number(row.is_deleted) === 1) return null;
  // Definitions were validated when written; one an older release wrote that no longer
  // parses is skipped rather than stopping every other rule.
  try {
    return { rule: parseRule(JSON.parse(row.latest_definition)), source: row.latest_source, updatedMs: Number(row.latest_ms) };
  } catch {
    return null;
  }
}

export async function listRules(client: ClickHouseClient): Promise<StoredRule[]> {
  const rows = await queryRows<RuleRow>(client, `${LATEST} GROUP BY rule_id ORDER BY rule_id`);
  return rows.map(fromRow).filter((stored): stored is StoredRule => stored !== null);
}

export async function getRule(client: ClickHouseClient, ruleId: string): Promise<StoredRule | null> {
  const rows = await queryRows<RuleRow>(client, `${LATEST}${sql` WHERE rule_id = ${ruleId}`} GROUP BY rule_id`);
  return rows[0] ? fromRow(rows[0]) : null;
}

async function writeRow(client: ClickHouseClient, ruleId: string, source: RuleSource, definition: string, deleted: boolean, nowMs: number): Promise<number> {
  // Versions must grow even if two writes share a millisecond or the clock steps back.
  const [latest] = await queryRows<{ v: string }>(client, sql`SELECT max(updated_ms) AS v FROM alert_rules WHERE rule_id = ${ruleId}`);
  const updatedMs = Math.max(nowMs, Number(latest?.v ?? 0) + 1);
  await client.insert({
    table: 'alert_rules',
    format: 'JSONEachRow',
    columns: ['rule_id', 'source', 'definition', 'deleted', 'updated_ms'],
    values: [{ rule_id: ruleId, source, definition, deleted: deleted ? 1 : 0, updated_ms: updatedMs }],
  });
  return updatedMs;
}

export async function saveRule(client: ClickHouseClient, rule: Rule, source: RuleSource, nowMs = Date.now()): Promise<StoredRule> {
  const updatedMs = await writeRow(client, rule.id, source, JSON.stringify(ruleToJson(rule)), false, nowMs);
  return { rule, source, updatedMs };
}

export async function deleteRule(client: ClickHouseClient, ruleId: string, nowMs = Date.now()): Promise<void> {
  await writeRow(client, ruleId, 'api', '{}', true, nowMs);
}

/**
 * Rules as code: writes config-file rules whose stored definition differs (or is missing),
 * and deletes rules that came from the config file but are no longer in it.
 */
export async function syncConfigRules(client: ClickHouseClient, rules: readonly Rule[], nowMs = Date.now()): Promise<{ written: number; deleted: number }> {
  let written = 0;
  let deleted = 0;
  const declared = new Set(rules.map((rule) => rule.id));
  const stored = new Map((await listRules(client)).map((entry) => [entry.rule.id, entry]));
  for (const entry of stored.values()) {
    if (entry.source === 'config' && !declared.has(entry.rule.id)) {
      await deleteRule(client, entry.rule.id, nowMs);
      deleted++;
    }
  }
  for (const rule of rules) {
    const existing = stored.get(rule.id);
    if (existing !== undefined && existing.source === 'config' && JSON.stringify(ruleToJson(existing.rule)) === JSON.stringify(ruleToJson(rule))) continue;
    await saveRule(client, rule, 'config', nowMs);
    written++;
  }
  return { written, deleted };
}

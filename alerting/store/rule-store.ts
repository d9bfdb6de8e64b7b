/**
 * Alert rules live in ClickHouse like monitors (storage/versioned-table.ts): one row per
 * version of a definition, the newest wins, a deleted flag removes it. Rules come from
 * the API or from the config file ("rules as code", written at start-up).
 */
import { parseRule, ruleToJson, type Rule } from '../rules/index.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { syncDeclared } from '../../storage/declared-definitions.js';
import { latestVersion, latestVersions, writeVersion, type LatestVersion, type VersionedTable } from '../../storage/versioned-table.js';

export type RuleSource = 'api' | 'config';

export interface StoredRule {
  rule: Rule;
  source: RuleSource;
  updatedMs: number;
}

const RULES: VersionedTable = { table: 'alert_rules', id: 'rule_id', hasSource: true };

function fromVersion(version: LatestVersion): StoredRule | null {
  // Definitions were validated when written; one an older release wrote that no longer
  // parses is skipped rather than stopping every other rule.
  try {
    return { rule: parseRule(JSON.parse(version.definition)), source: version.source as RuleSource, updatedMs: version.updatedMs };
  } catch {
    return null;
  }
}

export async function listRules(client: ClickHouseClient): Promise<StoredRule[]> {
  return (await latestVersions(client, RULES)).map(fromVersion).filter((stored): stored is StoredRule => stored !== null);
}

export async function getRule(client: ClickHouseClient, ruleId: string): Promise<StoredRule | null> {
  const version = await latestVersion(client, RULES, ruleId);
  return version === null ? null : fromVersion(version);
}

export async function saveRule(client: ClickHouseClient, rule: Rule, source: RuleSource, nowMs = Date.now()): Promise<StoredRule> {
  const updatedMs = await writeVersion(client, RULES, rule.id, { source, definition: JSON.stringify(ruleToJson(rule)), deleted: false }, nowMs);
  return { rule, source, updatedMs };
}

export async function deleteRule(client: ClickHouseClient, ruleId: string, nowMs = Date.now()): Promise<void> {
  await writeVersion(client, RULES, ruleId, { source: 'api', definition: '{}', deleted: true }, nowMs);
}

/**
 * Rules as code: writes config-file rules whose stored definition differs (or is missing),
 * and deletes rules that came from the config file but are no longer in it.
 */
export async function syncConfigRules(client: ClickHouseClient, rules: readonly Rule[], nowMs = Date.now()): Promise<{ written: number; deleted: number }> {
  return syncDeclared({
    declared: rules,
    stored: (await listRules(client)).map((entry) => ({ item: entry.rule, source: entry.source })),
    id: (rule) => rule.id,
    toJson: ruleToJson,
    save: (rule) => saveRule(client, rule, 'config', nowMs),
    remove: (rule) => deleteRule(client, rule.id, nowMs),
  });
}

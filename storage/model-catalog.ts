// Every model seen, with per-version counts deduplicated by event_id. (Joined subqueries
// carry aliases: current ClickHouse requires them, 18.16 accepts them.) Feature logs and
// labels carry no version: they count under the version of the prediction they join.
import { queryRows, type ClickHouseClient } from './clickhouse.js';

export interface ModelVersionSummary {
  model_version: string;
  predictions: number;
  feature_logs: number;
  labels: number;
  first_event_at: string | null;
  last_event_at: string | null;
}

export interface ModelSummary {
  model_id: string;
  predictions: number;
  feature_logs: number;
  labels: number;
  /** Labels whose prediction has not (yet) been seen. */
  unmatched_labels: number;
  first_event_at: string | null;
  last_event_at: string | null;
  versions: ModelVersionSummary[];
}

interface CountRow { model_id: string; model_version?: string; n: string | number; first_ts?: number | string; last_ts?: number | string }

const joinedCount = (table: string) => `
  SELECT model_id, model_version, count() AS n
  FROM (SELECT DISTINCT model_id, event_id FROM ${table}) AS logged
  ALL INNER JOIN (SELECT DISTINCT model_id, event_id, model_version FROM predictions) AS predicted USING (model_id, event_id)
  GROUP BY model_id, model_version`;

const isoOrNull = (seconds: number | string | undefined): string | null =>
  seconds === undefined || Number(seconds) === 0 ? null : new Date(Number(seconds) * 1000).toISOString();

function minIso(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a < b ? a : b;
}
function maxIso(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a > b ? a : b;
}

/** The catalog's queries, exported so scripts/check-sql-current.sh can run them on a current ClickHouse. */
export const MODEL_CATALOG_QUERIES = {
  predictions: `SELECT model_id, model_version, uniqExact(event_id) AS n, toUInt32(min(ts)) AS first_ts, toUInt32(max(ts)) AS last_ts FROM predictions GROUP BY model_id, model_version`,
  featureLogsByVersion: joinedCount('feature_logs'),
  labelsByVersion: joinedCount('labels'),
  featureLogTotals: `SELECT model_id, uniqExact(event_id) AS n, toUInt32(min(ts)) AS first_ts, toUInt32(max(ts)) AS last_ts FROM feature_logs GROUP BY model_id`,
  labelTotals: `SELECT model_id, uniqExact(event_id) AS n, toUInt32(min(ts)) AS first_ts, toUInt32(max(ts)) AS last_ts FROM labels GROUP BY model_id`,
} as const;

export async function listModels(client: ClickHouseClient): Promise<ModelSummary[]> {
  const q = MODEL_CATALOG_QUERIES;
  const [predictions, featureLogsByVersion, labelsByVersion, featureLogTotals, labelTotals] = await Promise.all([
    queryRows<CountRow>(client, q.predictions),
    queryRows<CountRow>(client, q.featureLogsByVersion),
    queryRows<CountRow>(client, q.labelsByVersion),
    queryRows<CountRow>(client, q.featureLogTotals),
    queryRows<CountRow>(client, q.labelTotals),
  ]);
  const models = new Map<string, ModelSummary>();
  const model = (id: string): ModelSummary => {
    let entry = models.get(id);
    if (!entry) {
      entry = { model_id: id, predictions: 0, feature_logs: 0, labels: 0, unmatched_labels: 0, first_event_at: null, last_event_at: null, versions: [] };
      models.set(id, entry);
    }
    return entry;
  };
  const version = (id: string, name: string): ModelVersionSummary => {
    const entry = model(id);
    let found = entry.versions.find((candidate) => candidate.model_version === name);
    if (!found) {
      found = { model_version: name, predictions: 0, feature_logs: 0, labels: 0, first_event_at: null, last_event_at: null };
      entry.versions.push(found);
    }
    return found;
  };
  for (const row of predictions) {
    const entry = version(row.model_id, row.model_version ?? '');
    entry.predictions = Number(row.n);
    entry.first_event_at = isoOrNull(row.first_ts);
    entry.last_event_at = isoOrNull(row.last_ts);
  }
  for (const row of featureLogsByVersion) version(row.model_id, row.model_version ?? '').feature_logs = Number(row.n);
  for (const row of labelsByVersion) version(row.model_id, row.model_version ?? '').labels = Number(row.n);
  for (const entry of models.values()) {
    entry.predictions = entry.versions.reduce((sum, v) => sum + v.predictions, 0);
    for (const v of entry.versions) {
      entry.first_event_at = minIso(entry.first_event_at, v.first_event_at);
      entry.last_event_at = maxIso(entry.last_event_at, v.last_event_at);
    }
  }
  for (const [rows, field] of [[featureLogTotals, 'feature_logs'], [labelTotals, 'labels']] as const) {
    for (const row of rows) {
      const entry = model(row.model_id);
      entry[field] = Number(row.n);
      entry.first_event_at = minIso(entry.first_event_at, isoOrNull(row.first_ts));
      entry.last_event_at = maxIso(entry.last_event_at, isoOrNull(row.last_ts));
    }
  }
  for (const entry of models.values()) {
    entry.unmatched_labels = entry.labels - entry.versions.reduce((sum, v) => sum + v.labels, 0);
    entry.versions.sort((a, b) => a.model_version.localeCompare(b.model_version));
  }
  return [...models.values()].sort((a, b) => a.model_id.localeCompare(b.model_id));
}

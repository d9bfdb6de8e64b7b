// Validated events -> ClickHouse rows (the column layout of schemas/migrations/0002_events.sql).
import type { ColumnSpec, ColumnType } from '../storage/row-binary.js';
import type { FeatureLogEvent, FeatureValue, LabelEvent, PredictionEvent } from '../schemas/events.js';

export interface FeatureColumns {
  num_feature_names: string[];
  num_feature_values: number[];
  cat_feature_names: string[];
  cat_feature_values: string[];
  null_feature_names: string[];
}

export interface PredictionRow extends FeatureColumns {
  model_id: string;
  model_version: string;
  ts: number;
  ts_ms: number;
  event_id: string;
  prediction_kind: ValueKind;
  prediction_num: number;
  prediction_str: string;
  score: number | null;
  score_classes: string[];
  score_values: number[];
  segment_names: string[];
  segment_values: string[];
  ingested_at: number;
}

export interface FeatureLogRow extends FeatureColumns {
  model_id: string;
  ts: number;
  ts_ms: number;
  event_id: string;
  ingested_at: number;
}

export interface LabelRow {
  model_id: string;
  ts: number;
  ts_ms: number;
  event_id: string;
  label_kind: ValueKind;
  label_num: number;
  label_str: string;
  ingested_at: number;
}

export type ValueKind = 'number' | 'string' | 'boolean';

const VALUE_KIND: ColumnType = { enum8: { number: 1, string: 2, boolean: 3 } };
const FEATURE_SPEC = [
  ['num_feature_names', 'Array(String)'], ['num_feature_values', 'Array(Float64)'], ['cat_feature_names', 'Array(String)'],
  ['cat_feature_values', 'Array(String)'], ['null_feature_names', 'Array(String)'],
] as const satisfies ReadonlyArray<ColumnSpec<FeatureColumns>>;

// Column order and types as in schemas/migrations/0002_events.sql.
export const PREDICTION_SPEC: ReadonlyArray<ColumnSpec<PredictionRow>> = [
  ['model_id', 'String'], ['model_version', 'String'], ['ts', 'DateTime'], ['ts_ms', 'UInt16'], ['event_id', 'String'],
  ['prediction_kind', VALUE_KIND], ['prediction_num', 'Float64'], ['prediction_str', 'String'], ['score', 'Nullable(Float64)'],
  ['score_classes', 'Array(String)'], ['score_values', 'Array(Float64)'], ...FEATURE_SPEC,
  ['segment_names', 'Array(String)'], ['segment_values', 'Array(String)'], ['ingested_at', 'DateTime'],
];

export const FEATURE_LOG_SPEC: ReadonlyArray<ColumnSpec<FeatureLogRow>> = [
  ['model_id', 'String'], ['ts', 'DateTime'], ['ts_ms', 'UInt16'], ['event_id', 'String'], ...FEATURE_SPEC, ['ingested_at', 'DateTime'],
];

export const LABEL_SPEC: ReadonlyArray<ColumnSpec<LabelRow>> = [
  ['model_id', 'String'], ['ts', 'DateTime'], ['ts_ms', 'UInt16'], ['event_id', 'String'], ['label_kind', VALUE_KIND],
  ['label_num', 'Float64'], ['label_str', 'String'], ['ingested_at', 'DateTime'],
];

export const PREDICTION_COLUMNS = PREDICTION_SPEC.map(([name]) => name);
export const FEATURE_LOG_COLUMNS = FEATURE_LOG_SPEC.map(([name]) => name);
export const LABEL_COLUMNS = LABEL_SPEC.map(([name]) => name);

/** Booleans are categorical values "true"/"false"; the kind keeps what was sent. */
function splitValue(value: number | string | boolean): { kind: ValueKind; num: number; str: string } {
  if (typeof value === 'number') return { kind: 'number', num: value, str: '' };
  if (typeof value === 'boolean') return { kind: 'boolean', num: value ? 1 : 0, str: value ? 'true' : 'false' };
  return { kind: 'string', num: 0, str: value };
}

export function splitFeatures(features: Record<string, FeatureValue> | undefined): FeatureColumns {
  const columns: FeatureColumns = {
    num_feature_names: [], num_feature_values: [], cat_feature_names: [], cat_feature_values: [], null_feature_names: [],
  };
  if (!features) return columns;
  for (const name in features) {
    const value = features[name];
    if (typeof value === 'number') {
      columns.num_feature_names.push(name);
      columns.num_feature_values.push(value);
    } else if (typeof value === 'string') {
      columns.cat_feature_names.push(name);
      columns.cat_feature_values.push(value);
    } else if (typeof value === 'boolean') {
      columns.cat_feature_names.push(name);
      columns.cat_feature_values.push(value ? 'true' : 'false');
    } else {
      columns.null_feature_names.push(name);
    }
  }
  return columns;
}

export interface EventTime {
  epochMs: number;
  ingestedAtSeconds: number;
}

function timeColumns(time: EventTime): { ts: number; ts_ms: number; ingested_at: number } {
  return { ts: Math.floor(time.epochMs / 1000), ts_ms: time.epochMs % 1000, ingested_at: time.ingestedAtSeconds };
}

export function predictionRow(event: PredictionEvent, time: EventTime): PredictionRow {
  const prediction = splitValue(event.prediction);
  const scores = event.scores ?? {};
  const segments = event.segments ?? {};
  const { ts, ts_ms, ingested_at } = timeColumns(time);
  return {
    model_id: event.model_id,
    model_version: event.model_version,
    ts,
    ts_ms,
    event_id: event.event_id,
    prediction_kind: prediction.kind,
    prediction_num: prediction.num,
    prediction_str: prediction.str,
    score: event.score ?? null,
    score_classes: Object.keys(scores),
    score_values: Object.values(scores),
    ...splitFeatures(event.features),
    segment_names: Object.keys(segments),
    segment_values: Object.values(segments),
    ingested_at,
  };
}

export function featureLogRow(event: FeatureLogEvent, time: EventTime): FeatureLogRow {
  const { ts, ts_ms, ingested_at } = timeColumns(time);
  return { model_id: event.model_id, ts, ts_ms, event_id: event.event_id, ...splitFeatures(event.features), ingested_at };
}

export function labelRow(event: LabelEvent, time: EventTime): LabelRow {
  const label = splitValue(event.label);
  const { ts, ts_ms, ingested_at } = timeColumns(time);
  return {
    model_id: event.model_id, ts, ts_ms, event_id: event.event_id,
    label_kind: label.kind, label_num: label.num, label_str: label.str, ingested_at,
  };
}

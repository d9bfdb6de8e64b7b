/**
 * The rows one side of an analysis reads (a window of live traffic, or an uploaded
 * dataset), as SQL. Both shapes end in the same columns, so every drift query runs on
 * `bothSides(reference, current)` whatever the reference is:
 *   side      0 = reference, 1 = current
 *   num_names / num_values   numeric columns of the row: features as 'f.<name>', plus
 *                            'prediction' (numeric predictions) and 'score'
 *   cat_names / cat_values   categorical columns: features and non-numeric predictions
 * Live traffic is read with FINAL so a redelivered event counts once.
 */
import { fragment, SqlFragment } from '../../storage/sql.js';

export interface SegmentFilter {
  name: string;
  value: string;
}

export type SideSource =
  | {
      kind: 'traffic';
      modelId: string;
      /** null: every version together. */
      modelVersion: string | null;
      /** Epoch ms, whole seconds; [from, to). */
      from: number;
      to: number;
      segment: SegmentFilter | null;
    }
  | { kind: 'dataset'; datasetName: string; uploadId: string };

export const FEATURE_PREFIX = 'f.';
export const PREDICTION_COLUMN = 'prediction';
export const SCORE_COLUMN = 'score';

export type ColumnRole = 'feature' | 'prediction' | 'score';

export function columnRole(key: string): ColumnRole {
  if (key === PREDICTION_COLUMN) return 'prediction';
  if (key === SCORE_COLUMN) return 'score';
  return 'feature';
}

/** The name a user knows a column by: the feature name, or prediction / score. */
export function columnDisplayName(key: string): string {
  return key.startsWith(FEATURE_PREFIX) ? key.slice(FEATURE_PREFIX.length) : key;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** WHERE clause of a traffic side over the predictions table. */
export function trafficFilter(source: Extract<SideSource, { kind: 'traffic' }>): SqlFragment {
  const version = source.modelVersion === null ? fragment`` : fragment` AND model_version = ${source.modelVersion}`;
  const segment =
    source.segment === null
      ? fragment``
      : fragment` AND has(segment_names, ${source.segment.name}) AND segment_values[indexOf(segment_names, ${source.segment.name})] = ${source.segment.value}`;
  return fragment`model_id = ${source.modelId}${version} AND ts >= toDateTime(${seconds(source.from)}) AND ts < toDateTime(${seconds(source.to)})${segment}`;
}

// prediction_kind is 'number' | 'string' | 'boolean' in predictions and adds 'none' in reference_rows.
const COLUMN_ARRAYS = `
  arrayConcat(arrayMap(n -> concat('${FEATURE_PREFIX}', n), num_feature_names),
              if(prediction_kind = 'number', ['${PREDICTION_COLUMN}'], emptyArrayString()),
              if(isNull(score), emptyArrayString(), ['${SCORE_COLUMN}'])) AS num_names,
  arrayConcat(num_feature_values,
              if(prediction_kind = 'number', [prediction_num], emptyArrayFloat64()),
              if(isNull(score), emptyArrayFloat64(), [ifNull(score, 0)])) AS num_values,
  arrayConcat(arrayMap(n -> concat('${FEATURE_PREFIX}', n), cat_feature_names),
              if(prediction_kind IN ('string', 'boolean'), ['${PREDICTION_COLUMN}'], emptyArrayString())) AS cat_names,
  arrayConcat(cat_feature_values,
              if(prediction_kind IN ('string', 'boolean'), [prediction_str], emptyArrayString())) AS cat_values`;

/** One side's rows with the shared column arrays. */
export function sideRows(source: SideSource, side: 0 | 1): SqlFragment {
  const sideColumn = new SqlFragment(`${side} AS side`);
  if (source.kind === 'traffic') {
    return fragment`SELECT ${sideColumn}, ${raw(COLUMN_ARRAYS)} FROM predictions FINAL WHERE ${trafficFilter(source)}`;
  }
  return fragment`SELECT ${sideColumn}, ${raw(COLUMN_ARRAYS)} FROM reference_rows WHERE dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId}`;
}

/** Reference (side 0) and current (side 1) rows in one subquery. */
export function bothSides(reference: SideSource, current: SideSource): SqlFragment {
  return fragment`(${sideRows(reference, 0)} UNION ALL ${sideRows(current, 1)})`;
}

function raw(text: string): SqlFragment {
  return new SqlFragment(text);
}

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
      /** Also read features logged separately (feature_logs), joined by event_id. */
      withFeatureLogs?: boolean;
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
function columnArrays(features: { numNames: string; numValues: string; catNames: string; catValues: string }): SqlFragment {
  return raw(`
  arrayConcat(arrayMap(n -> concat('${FEATURE_PREFIX}', n), ${features.numNames}),
              if(prediction_kind = 'number', ['${PREDICTION_COLUMN}'], emptyArrayString()),
              if(isNull(score), emptyArrayString(), ['${SCORE_COLUMN}'])) AS num_names,
  arrayConcat(${features.numValues},
              if(prediction_kind = 'number', [prediction_num], emptyArrayFloat64()),
              if(isNull(score), emptyArrayFloat64(), [ifNull(score, 0)])) AS num_values,
  arrayConcat(arrayMap(n -> concat('${FEATURE_PREFIX}', n), ${features.catNames}),
              if(prediction_kind IN ('string', 'boolean'), ['${PREDICTION_COLUMN}'], emptyArrayString())) AS cat_names,
  arrayConcat(${features.catValues},
              if(prediction_kind IN ('string', 'boolean'), [prediction_str], emptyArrayString())) AS cat_values`);
}

const STORED_FEATURES = columnArrays({ numNames: 'num_feature_names', numValues: 'num_feature_values', catNames: 'cat_feature_names', catValues: 'cat_feature_values' });
// Different names for the merged arrays: 18.16 resolves an alias that shadows a column inside its own expression.
const MERGED_FEATURES = columnArrays({ numNames: 'merged_num_names', numValues: 'merged_num_values', catNames: 'merged_cat_names', catValues: 'merged_cat_values' });

/**
 * Predictions with the features of their feature log (serving stacks often log the request
 * apart from the response). A prediction without a feature log keeps its own features.
 */
function predictionsWithFeatureLogs(source: Extract<SideSource, { kind: 'traffic' }>): SqlFragment {
  const filter = trafficFilter(source);
  return fragment`SELECT prediction_kind, prediction_num, prediction_str, score,
      arrayConcat(num_feature_names, logged_num_names) AS merged_num_names, arrayConcat(num_feature_values, logged_num_values) AS merged_num_values,
      arrayConcat(cat_feature_names, logged_cat_names) AS merged_cat_names, arrayConcat(cat_feature_values, logged_cat_values) AS merged_cat_values
    FROM (SELECT event_id, prediction_kind, prediction_num, prediction_str, score, num_feature_names, num_feature_values, cat_feature_names, cat_feature_values
          FROM predictions FINAL WHERE ${filter}) AS predicted
    ANY LEFT JOIN (SELECT event_id, num_feature_names AS logged_num_names, num_feature_values AS logged_num_values,
                          cat_feature_names AS logged_cat_names, cat_feature_values AS logged_cat_values
                   FROM feature_logs FINAL WHERE model_id = ${source.modelId} AND event_id IN (SELECT event_id FROM predictions WHERE ${filter})) AS logged
    USING event_id`;
}

/** One side's rows with the shared column arrays. */
export function sideRows(source: SideSource, side: 0 | 1): SqlFragment {
  const sideColumn = new SqlFragment(`${side} AS side`);
  if (source.kind === 'traffic') {
    if (source.withFeatureLogs) return fragment`SELECT ${sideColumn}, ${MERGED_FEATURES} FROM (${predictionsWithFeatureLogs(source)})`;
    return fragment`SELECT ${sideColumn}, ${STORED_FEATURES} FROM predictions FINAL WHERE ${trafficFilter(source)}`;
  }
  return fragment`SELECT ${sideColumn}, ${STORED_FEATURES} FROM reference_rows WHERE dataset_name = ${source.datasetName} AND upload_id = ${source.uploadId}`;
}

/** Reference (side 0) and current (side 1) rows in one subquery. */
export function bothSides(reference: SideSource, current: SideSource): SqlFragment {
  return fragment`(${sideRows(reference, 0)} UNION ALL ${sideRows(current, 1)})`;
}

function raw(text: string): SqlFragment {
  return new SqlFragment(text);
}

/**
 * The rules a user picks in one step. Each preset is a function from its parameters
 * (the same snake_case object a JSON preset reference carries in `params`) to a complete
 * rule definition, which parseRule then checks like any other:
 *
 *   { "preset": "accuracy_dropped", "params": { "by": 0.05, "min_labels": 200 },
 *     "id": "fraud-accuracy", "severity": "critical" }
 *
 * Fields next to `preset` and `params` override the preset's fields; `labels` and
 * `annotations` merge key by key, everything else is replaced.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { compileOnFirstUse } from '../../schemas/compile-on-first-use.js';
import { ModelId } from '../../schemas/events.js';
import type { Severity } from '../notification.js';
// Used only inside functions: definition.ts imports this module too.
import { describeSchemaError, joinField, RuleDefinitionError, type RuleJson } from './definition.js';

const SeverityParam = Type.Unsafe<Severity>({ type: 'string', enum: ['info', 'warning', 'critical'] });

/** Which results the preset watches; all optional (omitted: every model, version, monitor). */
const Target = {
  model_id: Type.Optional(ModelId),
  model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  monitor_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' })),
  severity: Type.Optional(SeverityParam),
};
const Columns = Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { uniqueItems: true, minItems: 1, maxItems: 2000 }));
const QUALITY_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'mae', 'rmse', 'mape'] as const;

const AnyFeatureDriftsParams = Type.Object({ ...Target, columns: Columns }, { additionalProperties: false });
const DatasetDriftShareAboveParams = Type.Object({
  ...Target,
  threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of tested columns that drifted, in (0, 1]' }),
}, { additionalProperties: false });
const AccuracyDroppedParams = Type.Object({
  ...Target,
  by: Type.Number({ exclusiveMinimum: 0, description: 'Drop from the reference value (absolute, or a fraction of it when relative)' }),
  min_labels: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 100 })),
  metric: Type.Optional(Type.Unsafe<(typeof QUALITY_METRICS)[number]>({ type: 'string', enum: [...QUALITY_METRICS], default: 'accuracy' })),
  relative: Type.Optional(Type.Boolean({ default: false, description: 'Compare relative_decay (decay / |reference|) instead of decay' })),
}, { additionalProperties: false });
const MissingValuesAboveParams = Type.Object({
  ...Target,
  threshold: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Share of rows with the column missing, in [0, 1)' }),
  columns: Columns,
}, { additionalProperties: false });
const PredictionDriftsParams = Type.Object({ ...Target }, { additionalProperties: false });
const TrafficVolumeCollapsedParams = Type.Object({
  ...Target,
  drop: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Fires when volume_change <= -drop: 0.8 = at most 20% of the expected events' }),
}, { additionalProperties: false });

export type AnyFeatureDriftsParams = Static<typeof AnyFeatureDriftsParams>;
export type DatasetDriftShareAboveParams = Static<typeof DatasetDriftShareAboveParams>;
export type AccuracyDroppedParams = Static<typeof AccuracyDroppedParams>;
export type MissingValuesAboveParams = Static<typeof MissingValuesAboveParams>;
export type PredictionDriftsParams = Static<typeof PredictionDriftsParams>;
export type TrafficVolumeCollapsedParams = Static<typeof TrafficVolumeCollapsedParams>;
type TargetParams = AnyFeatureDriftsParams;

function target(preset: string, params: TargetParams, severity: Severity): Pick<RuleJson, 'id' | 'model_id' | 'model_version' | 'monitor_id' | 'severity'> {
  // A readable default id; MONITOR_ID_PATTERN has no "/", which model ids may contain.
  const id = params.model_id === undefined ? preset : `${preset}.${params.model_id.replace(/[^A-Za-z0-9._:-]/g, '_')}`.slice(0, 128);
  return {
    id,
    ...(params.model_id === undefined ? {} : { model_id: params.model_id }),
    ...(params.model_version === undefined ? {} : { model_version: params.model_version }),
    ...(params.monitor_id === undefined ? {} : { monitor_id: params.monitor_id }),
    severity: params.severity ?? severity,
  };
}

/** Every drifted feature (the analyzer's drift decision), one alert per feature. */
export function anyFeatureDrifts(params: AnyFeatureDriftsParams = {}): RuleJson {
  return {
    ...target('any_feature_drifts', params, 'warning'),
    name: 'A feature drifts',
    metric: 'drifted',
    column_roles: ['feature'],
    ...(params.columns === undefined ? {} : { columns: [...params.columns] }),
    condition: { operator: '==', threshold: 1 },
    annotations: { summary: '{{ items_count }} feature(s) of model {{ model_id }} drifted: {{ columns }}', description: '{{ items }}' },
  };
}

/** The share of tested columns that drifted is above the threshold. */
export function datasetDriftShareAbove(params: DatasetDriftShareAboveParams): RuleJson {
  return {
    ...target('dataset_drift_share_above', params, 'warning'),
    name: `Dataset drift share above ${params.threshold}`,
    metric: 'drift_share',
    condition: { operator: '>', threshold: params.threshold },
    annotations: { summary: 'Model {{ model_id }}: drift share above {{ threshold }}', description: '{{ items }}' },
  };
}

/** A model-quality metric fell by at least `by` from its reference value, counted on at least min_labels labels. */
export function accuracyDropped(params: AccuracyDroppedParams): RuleJson {
  const metric = params.metric ?? 'accuracy';
  return {
    ...target('accuracy_dropped', params, 'warning'),
    name: `${metric} dropped by ${params.by}${params.relative === true ? ' (relative)' : ''}`,
    metric,
    value_field: params.relative === true ? 'relative_decay' : 'decay',
    condition: { operator: '>=', threshold: params.by },
    min_labels: params.min_labels ?? 100,
    annotations: { summary: 'Model {{ model_id }}: {{ rule_name }}', description: '{{ items }}' },
  };
}

/** A feature's share of missing values is above the threshold, one alert per feature. */
export function missingValuesAbove(params: MissingValuesAboveParams): RuleJson {
  return {
    ...target('missing_values_above', params, 'warning'),
    name: `Missing values above ${params.threshold}`,
    metric: 'missing_share',
    column_roles: ['feature'],
    ...(params.columns === undefined ? {} : { columns: [...params.columns] }),
    condition: { operator: '>', threshold: params.threshold },
    annotations: { summary: 'Model {{ model_id }}: missing values in {{ columns }}', description: '{{ items }}' },
  };
}

/** The prediction or score distribution drifts (the analyzer's drift decision on those columns). */
export function predictionDrifts(params: PredictionDriftsParams = {}): RuleJson {
  return {
    ...target('prediction_drifts', params, 'warning'),
    name: 'Prediction distribution drifts',
    metric: 'drifted',
    column_roles: ['prediction', 'score'],
    condition: { operator: '==', threshold: 1 },
    annotations: { summary: 'Model {{ model_id }}: the {{ columns }} distribution drifted', description: '{{ items }}' },
  };
}

/** Traffic fell to (1 - drop) of the reference rate or less; also fires on a window with no events at all. */
export function trafficVolumeCollapsed(params: TrafficVolumeCollapsedParams): RuleJson {
  return {
    ...target('traffic_volume_collapsed', params, 'critical'),
    name: `Traffic volume down ${Math.round(params.drop * 100)}% or more`,
    metric: 'volume_change',
    condition: { operator: '<=', threshold: -params.drop },
    annotations: { summary: 'Model {{ model_id }}: traffic collapsed', description: '{{ items }}' },
  };
}

interface Preset<P> {
  title: string;
  params: TSchema;
  build: (params: P) => RuleJson;
}

/** The preset catalogue, by the name a JSON reference uses (for the API and the UI's one-step picker). */
export const PRESETS = {
  any_feature_drifts: { title: 'Any feature drifts', params: AnyFeatureDriftsParams, build: anyFeatureDrifts } as Preset<AnyFeatureDriftsParams>,
  dataset_drift_share_above: { title: 'Dataset drift share above X', params: DatasetDriftShareAboveParams, build: datasetDriftShareAbove } as Preset<DatasetDriftShareAboveParams>,
  accuracy_dropped: { title: 'Accuracy dropped by X with at least N labels', params: AccuracyDroppedParams, build: accuracyDropped } as Preset<AccuracyDroppedParams>,
  missing_values_above: { title: 'Missing values above X', params: MissingValuesAboveParams, build: missingValuesAbove } as Preset<MissingValuesAboveParams>,
  prediction_drifts: { title: 'Prediction distribution drifts', params: PredictionDriftsParams, build: predictionDrifts } as Preset<PredictionDriftsParams>,
  traffic_volume_collapsed: { title: 'Traffic volume collapsed', params: TrafficVolumeCollapsedParams, build: trafficVolumeCollapsed } as Preset<TrafficVolumeCollapsedParams>,
} as const;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
const validators = new Map(PRESET_NAMES.map((name) => [name, compileOnFirstUse(ajv, PRESETS[name].params)]));

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A JSON object with a `preset` field: parseRule expands it with expandPreset first. */
export function isPresetReference(value: unknown): value is Record<string, unknown> & { preset: unknown } {
  return isObject(value) && Object.hasOwn(value, 'preset');
}

/** The rule JSON a preset reference stands for, overrides applied; not yet checked as a rule. */
export function expandPreset(reference: Record<string, unknown>, where = ''): Record<string, unknown> {
  const { preset, params = {}, ...overrides } = reference;
  if (typeof preset !== 'string' || !Object.hasOwn(PRESETS, preset)) {
    throw new RuleDefinitionError(joinField(where, ['preset']), `must be one of ${PRESET_NAMES.join(', ')} (got ${JSON.stringify(preset) ?? String(preset)})`);
  }
  const name = preset as PresetName;
  const validate = validators.get(name)!();
  if (!isObject(params)) throw new RuleDefinitionError(joinField(where, ['params']), 'must be an object');
  if (!validate(params)) {
    const { path, problem } = describeSchemaError(validate.errors![0]!);
    throw new RuleDefinitionError(joinField(where, ['params', ...path]), problem);
  }
  const built = (PRESETS[name].build as (params: unknown) => RuleJson)(params) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...built, ...overrides };
  for (const key of ['labels', 'annotations'] as const) {
    if (isObject(built[key]) && isObject(overrides[key])) merged[key] = { ...built[key], ...overrides[key] };
  }
  return merged;
}

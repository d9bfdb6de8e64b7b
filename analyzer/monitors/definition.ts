/**
 * The monitor contract: what to analyse, how often, and against which reference.
 *
 * `MonitorSchema` (TypeBox) is the snake_case JSON that the API and the config file accept
 * and that the API documents; Ajv checks its shape, then `parseMonitor` checks what a
 * schema cannot say (ranges of durations, from < to, version references), applies the
 * defaults and returns the camelCase `Monitor` the analyzer works with. `monitorToJson`
 * writes a Monitor back as complete JSON that parses to the same Monitor.
 *
 * Every error is a MonitorDefinitionError naming the field path the way the input spells
 * it: `monitors[2].reference.length: must be a duration such as "7d" (got "7 days")`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { compileOnFirstUse } from '../../schemas/compile-on-first-use.js';
import { EARLIEST_ACCEPTED_MS, LATEST_REPRESENTABLE_MS, parseRfc3339 } from '../../ingest/timestamp.js';
import { ModelId } from '../../schemas/events.js';
import { resolveThresholds, type CategoricalEffectFloors, type NumericEffectFloors, type ThresholdOverrides } from '../stats/decision.js';
import { WINDOW_SIZES, windowSizeMs, type WindowSize } from './windows.js';

// ---------------------------------------------------------------------------------------
// The normalized monitor

export type MonitorReference =
  /** [windowStart - offset - length, windowStart - offset) of the monitored traffic. */
  | { type: 'trailing'; lengthMs: number; offsetMs: number }
  /** A fixed span of the monitored traffic; its bin edges are frozen. */
  | { type: 'fixed'; fromMs: number; toMs: number }
  /** An uploaded baseline dataset. */
  | { type: 'dataset'; dataset: string }
  /** Another version's traffic in the same window (champion vs challenger). */
  | { type: 'version'; modelVersion: string };

export type PerformanceTask = 'auto' | 'classification' | 'regression';

export interface Monitor {
  id: string;
  modelId: string;
  /** null: all versions together. */
  modelVersion: string | null;
  window: WindowSize;
  /** How long after a window ends it is analysed, so late events are counted. */
  delayMs: number;
  reference: MonitorReference;
  /** null: every feature seen. */
  features: string[] | null;
  analyzePrediction: boolean;
  analyzeScore: boolean;
  /** Segment names analysed separately (besides the whole traffic). */
  segments: string[];
  maxSegmentValues: number;
  /** Fewer events on either side gives "insufficient_data" instead of statistics. */
  minEvents: number;
  /** Only what the definition sets; pass to decideRun, which fills in the current defaults. */
  thresholds: ThresholdOverrides;
  performance: {
    task: PerformanceTask;
    positiveClass: string | null;
    minLabels: number;
    /** How long labels may take to arrive after a window. */
    gracePeriodMs: number;
  };
  /** How far back the scheduler looks for windows not yet analysed. */
  catchUpMs: number;
  enabled: boolean;
}

export class MonitorDefinitionError extends Error {
  override readonly name = 'MonitorDefinitionError';
  constructor(
    /** Path of the offending field as the input spells it, e.g. `monitors[2].reference.length`. */
    readonly field: string,
    /** What is wrong and what to send instead, without the field. */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------
// Durations and timestamps

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
// Six digits keep every duration a safe integer of milliseconds (999999w < 2^53 ms).
export const DURATION_PATTERN = '^(0|[1-9][0-9]{0,5})[smhdw]$';
const DURATION_REGEX = new RegExp(DURATION_PATTERN);

/** "90s" -> 90000; undefined when the text is not an integer followed by s, m, h, d or w. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_REGEX.test(text)) return undefined;
  return Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS];
}

/** The largest of d, h, m, s that divides exactly: 90000 -> "90s", 604800000 -> "7d". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms / 1000}s`;
}

/** RFC 3339 in UTC, milliseconds only when there are some: 2026-11-01T00:00:00Z. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

const LIMITS = {
  maxDelayMs: UNIT_MS.h,
  maxReferenceMs: 365 * UNIT_MS.d,
  maxGracePeriodMs: 90 * UNIT_MS.d,
  maxCatchUpMs: 31 * UNIT_MS.d,
};

// ---------------------------------------------------------------------------------------
// The JSON contract

export const MONITOR_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

const Duration = (description: string, defaultValue?: string) =>
  Type.String({ pattern: DURATION_PATTERN, description, examples: ['90s', '15m', '7d'], ...(defaultValue === undefined ? {} : { default: defaultValue }) });

function StringEnum<const T extends readonly string[]>(values: T, options: { description: string; default?: T[number] }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

const Floor = (description: string) => Type.Unsafe<number | null>({ type: ['number', 'null'], description: `${description}; null disables this floor` });

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });

const TrailingReference = Type.Object({
  type: Type.Literal('trailing'),
  length: Type.Optional(Duration('Length of the reference span, more than 0s and at most 365d', '7d')),
  offset: Type.Optional(Duration('Gap between the reference end and the window start, at most 365d', '0s')),
}, { additionalProperties: false, description: 'The monitored traffic in [window start - offset - length, window start - offset)' });

const FixedReference = Type.Object({
  type: Type.Literal('fixed'),
  from: Type.String({ format: 'date-time', description: 'RFC 3339 start (inclusive), on or after 2000-01-01' }),
  to: Type.String({ format: 'date-time', description: 'RFC 3339 end (exclusive), after from' }),
}, { additionalProperties: false, description: 'A fixed span of the monitored traffic; its bins are frozen when first used' });

const DatasetReference = Type.Object({
  type: Type.Literal('dataset'),
  dataset: Name('Name of an uploaded reference dataset'),
}, { additionalProperties: false, description: 'An uploaded baseline dataset (e.g. the training set)' });

const VersionReference = Type.Object({
  type: Type.Literal('version'),
  model_version: Type.String({ minLength: 1, maxLength: 128, description: "The other version; must differ from the monitor's model_version" }),
}, { additionalProperties: false, description: "Another version's traffic in the same window (champion vs challenger)" });

const REFERENCE_TYPES = ['trailing', 'fixed', 'dataset', 'version'] as const;

// A discriminated oneOf: Ajv picks the branch by `type`, so an error names the field of
// that branch instead of "must match exactly one schema".
export const MonitorReferenceSchema = Type.Unsafe<
  Static<typeof TrailingReference> | Static<typeof FixedReference> | Static<typeof DatasetReference> | Static<typeof VersionReference>
>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [TrailingReference, FixedReference, DatasetReference, VersionReference],
  default: { type: 'trailing', length: '7d', offset: '0s' },
  description: 'What the current window is compared with',
});

export const MonitorThresholdsSchema = Type.Object({
  alpha: Type.Optional(Type.Number({ description: 'Significance level for the adjusted p-value, in (0, 1)', default: 0.05 })),
  multiple_testing: Type.Optional(StringEnum(['benjamini-hochberg', 'none'] as const, { description: 'p-value adjustment across the columns of a run', default: 'benjamini-hochberg' })),
  dataset_drift_share: Type.Optional(Type.Number({ description: 'The dataset drifts when drifted / tested columns >= this, in (0, 1]', default: 0.5 })),
  numeric_effect: Type.Optional(Type.Object({
    psi: Type.Optional(Floor('PSI floor, >= 0 (default 0.1)')),
    jensen_shannon: Type.Optional(Floor('Jensen-Shannon distance floor, >= 0 (default null)')),
    wasserstein_normed: Type.Optional(Floor('Wasserstein distance in reference standard deviations floor, >= 0 (default 0.1)')),
  }, { additionalProperties: false, description: 'A numeric column drifts only when it passes one of these effect floors' })),
  categorical_effect: Type.Optional(Type.Object({
    psi: Type.Optional(Floor('PSI floor, >= 0 (default 0.1)')),
    jensen_shannon: Type.Optional(Floor('Jensen-Shannon distance floor, >= 0 (default null)')),
    unseen_share: Type.Optional(Floor('Share of values never seen in the reference, floor >= 0 (default null)')),
  }, { additionalProperties: false, description: 'A categorical column drifts only when it passes one of these effect floors' })),
}, { additionalProperties: false, description: 'Drift decision thresholds; an omitted one follows the analyzer default' });

export const MonitorPerformanceSchema = Type.Object({
  task: Type.Optional(StringEnum(['auto', 'classification', 'regression'] as const, { description: 'auto: decided from the predictions and labels', default: 'auto' })),
  positive_class: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The positive class of a binary classifier, as text (e.g. "1", "true", "fraud")' })),
  min_labels: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 100, description: 'Fewer labelled predictions gives "insufficient_labels"' })),
  grace_period: Type.Optional(Duration('How long labels may take to arrive after a window, at most 90d', '7d')),
}, { additionalProperties: false, description: 'Model performance from ground-truth labels' });

// Documentation and config/API contract. Validate with parseMonitor, not as a Fastify route
// schema: Fastify's Ajv drops unknown fields (removeAdditional) where this contract refuses
// them, and does not know the `discriminator` keyword.
export const MonitorSchema = Type.Object({
  id: Type.String({ pattern: MONITOR_ID_PATTERN, description: '1 to 128 characters of A-Z a-z 0-9 . _ : -' }),
  model_id: ModelId,
  model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Omitted: all versions together' })),
  window: Type.Optional(StringEnum(WINDOW_SIZES, { description: 'Window size; UTC-aligned, 1w windows start Monday 00:00 UTC', default: '1h' })),
  delay: Type.Optional(Duration('How long after a window ends it is analysed (late events), at most 1h', '5s')),
  reference: Type.Optional(MonitorReferenceSchema),
  features: Type.Optional(Type.Array(Name('Feature name'), { uniqueItems: true, maxItems: 2000, description: 'Omitted: every feature seen' })),
  analyze_prediction: Type.Optional(Type.Boolean({ default: true })),
  analyze_score: Type.Optional(Type.Boolean({ default: true })),
  segments: Type.Optional(Type.Array(Name('Segment name'), { uniqueItems: true, maxItems: 10, description: 'Segment names whose values are analysed separately' })),
  max_segment_values: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'The most frequent values of each segment analysed' })),
  min_events: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 100, description: 'Fewer events on either side gives "insufficient_data"' })),
  thresholds: Type.Optional(MonitorThresholdsSchema),
  performance: Type.Optional(MonitorPerformanceSchema),
  catch_up: Type.Optional(Duration('How far back the scheduler looks for windows not yet analysed; at least window + delay, at most 31d (default: 1d, or 2 windows for 1d and 1w)')),
  enabled: Type.Optional(Type.Boolean({ default: true })),
}, { additionalProperties: false, $id: 'Monitor', title: 'Monitor definition' });

export type MonitorJson = Static<typeof MonitorSchema>;
type ReferenceJson = Static<typeof MonitorReferenceSchema>;
type ThresholdsJson = Static<typeof MonitorThresholdsSchema>;

// ---------------------------------------------------------------------------------------
// Validation

const ajv = new Ajv({ allErrors: false, strict: false, discriminator: true, verbose: true });
ajv.addFormat('date-time', { type: 'string', validate: (text: string) => parseRfc3339(text) !== undefined });
const validateShape = compileOnFirstUse<MonitorJson>(ajv, MonitorSchema);

const PATTERN_PROBLEMS: Record<string, (value: unknown) => string> = {
  [DURATION_PATTERN]: (value) => `must be a duration such as "7d" ${got(value)}: an integer and one of s, m, h, d, w`,
  [MONITOR_ID_PATTERN]: (value) => `must be 1 to 128 characters of A-Z a-z 0-9 . _ : - ${got(value)}`,
  [String(ModelId.pattern)]: (value) => `must be a model id: letters, digits and . _ : / -, starting with a letter or digit ${got(value)}`,
};

function got(value: unknown): string {
  if (Array.isArray(value)) return '(got an array)';
  if (value !== null && typeof value === 'object') return '(got an object)';
  const text = JSON.stringify(value) ?? String(value);
  return `(got ${text.length > 80 ? `${text.slice(0, 77)}...` : text})`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false',
  array: 'an array', object: 'an object', 'number,null': 'a number or null',
};

/** The field path segments from Ajv's JSON pointer; numeric segments are array indexes. */
function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}

function joinField(base: string, ...segments: Array<string | number>): string {
  let field = base;
  for (const segment of segments) {
    field = typeof segment === 'number' ? `${field}[${segment}]` : field === '' ? segment : `${field}.${segment}`;
  }
  return field === '' ? 'monitor' : field;
}

function schemaError(error: ErrorObject, where: string): MonitorDefinitionError {
  const path = pointerSegments(error.instancePath);
  const at = (...more: Array<string | number>) => joinField(where, ...path, ...more);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return new MonitorDefinitionError(at(String(params.missingProperty)), 'is required');
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return new MonitorDefinitionError(at(String(params.additionalProperty)), `is not a known field (known: ${known.join(', ')})`);
    }
    case 'discriminator': // `required` has already reported a missing type
      return new MonitorDefinitionError(at('type'), `must be one of ${REFERENCE_TYPES.join(', ')} ${got((error.data as { type?: unknown }).type)}`);
    case 'type': {
      const expected = TYPE_NAMES[String(params.type)] ?? String(params.type);
      return new MonitorDefinitionError(at(), `must be ${expected} ${got(error.data)}`);
    }
    case 'enum':
      return new MonitorDefinitionError(at(), `must be one of ${(params.allowedValues as unknown[]).join(', ')} ${got(error.data)}`);
    case 'pattern':
      return new MonitorDefinitionError(at(), PATTERN_PROBLEMS[String(params.pattern)]?.(error.data) ?? `must match ${String(params.pattern)} ${got(error.data)}`);
    case 'format':
      return new MonitorDefinitionError(at(), `must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z ${got(error.data)}`);
    case 'minLength':
      return new MonitorDefinitionError(at(), params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'maxLength':
      return new MonitorDefinitionError(at(), `must be at most ${String(params.limit)} characters long (got ${String((error.data as string).length)})`);
    case 'minimum':
    case 'maximum':
      return new MonitorDefinitionError(at(), `must be ${String(params.comparison)} ${String(params.limit)} ${got(error.data)}`);
    case 'maxItems':
      return new MonitorDefinitionError(at(), `must have at most ${String(params.limit)} items (got ${String((error.data as unknown[]).length)})`);
    case 'uniqueItems': {
      const [first, repeat] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return new MonitorDefinitionError(at(repeat), `repeats ${at(first)} ${got((error.data as unknown[])[repeat])}`);
    }
    default:
      return new MonitorDefinitionError(at(), error.message ?? 'is invalid');
  }
}

/** A duration already shape-checked by the schema, bounded. */
function durationIn(text: string | undefined, fallback: string, field: string, min: number, max: number, minText: string): number {
  const source = text ?? fallback;
  const ms = parseDuration(source)!;
  if (ms < min) throw new MonitorDefinitionError(field, `must be ${minText} (got "${source}")`);
  if (ms > max) throw new MonitorDefinitionError(field, `must be at most ${formatDuration(max)} (got "${source}")`);
  return ms;
}

function referenceFrom(json: ReferenceJson | undefined, modelVersion: string | null, where: string): MonitorReference {
  const at = (key: string) => joinField(where, 'reference', key);
  if (json === undefined) return { type: 'trailing', lengthMs: 7 * UNIT_MS.d, offsetMs: 0 };
  switch (json.type) {
    case 'trailing':
      return {
        type: 'trailing',
        lengthMs: durationIn(json.length, '7d', at('length'), 1, LIMITS.maxReferenceMs, 'more than 0s'),
        offsetMs: durationIn(json.offset, '0s', at('offset'), 0, LIMITS.maxReferenceMs, 'at least 0s'),
      };
    case 'fixed': {
      const fromMs = parseRfc3339(json.from)!;
      const toMs = parseRfc3339(json.to)!;
      if (fromMs < EARLIEST_ACCEPTED_MS) {
        throw new MonitorDefinitionError(at('from'), `must be on or after ${formatTimestamp(EARLIEST_ACCEPTED_MS)} (got "${json.from}")`);
      }
      if (toMs > LATEST_REPRESENTABLE_MS) {
        throw new MonitorDefinitionError(at('to'), `must be on or before ${formatTimestamp(LATEST_REPRESENTABLE_MS)} (got "${json.to}")`);
      }
      if (toMs <= fromMs) throw new MonitorDefinitionError(at('to'), `must be after reference.from "${json.from}" (got "${json.to}")`);
      return { type: 'fixed', fromMs, toMs };
    }
    case 'dataset':
      return { type: 'dataset', dataset: json.dataset };
    case 'version':
      if (modelVersion === null) {
        throw new MonitorDefinitionError(joinField(where, 'model_version'), 'is required when reference.type is "version": the monitor watches one version and compares it with reference.model_version');
      }
      if (json.model_version === modelVersion) {
        throw new MonitorDefinitionError(at('model_version'), `must differ from the monitor's model_version (both "${modelVersion}")`);
      }
      return { type: 'version', modelVersion: json.model_version };
  }
}

const NUMERIC_EFFECT_KEYS = { psi: 'psi', jensen_shannon: 'jensenShannon', wasserstein_normed: 'wassersteinNormed' } as const;
const CATEGORICAL_EFFECT_KEYS = { psi: 'psi', jensen_shannon: 'jensenShannon', unseen_share: 'unseenShare' } as const;

/** resolveThresholds is the one judge of threshold ranges; asked one field at a time, its error names the field. */
function checkedThreshold(field: string, single: ThresholdOverrides, value: unknown): void {
  try {
    resolveThresholds(single);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const at = error.message.indexOf('must ');
    throw new MonitorDefinitionError(field, `${at >= 0 ? error.message.slice(at) : error.message} (got ${String(value)})`);
  }
}

function thresholdsFrom(json: ThresholdsJson | undefined, where: string): ThresholdOverrides {
  const overrides: ThresholdOverrides = {};
  if (json === undefined) return overrides;
  const at = (...keys: string[]) => joinField(where, 'thresholds', ...keys);
  if (json.alpha !== undefined) {
    checkedThreshold(at('alpha'), { alpha: json.alpha }, json.alpha);
    overrides.alpha = json.alpha;
  }
  if (json.multiple_testing !== undefined) overrides.multipleTesting = json.multiple_testing;
  if (json.dataset_drift_share !== undefined) {
    checkedThreshold(at('dataset_drift_share'), { datasetDriftShare: json.dataset_drift_share }, json.dataset_drift_share);
    overrides.datasetDriftShare = json.dataset_drift_share;
  }
  if (json.numeric_effect !== undefined) {
    const floors: Partial<NumericEffectFloors> = {};
    for (const [key, name] of Object.entries(NUMERIC_EFFECT_KEYS)) {
      const value = json.numeric_effect[key as keyof typeof NUMERIC_EFFECT_KEYS];
      if (value === undefined) continue;
      checkedThreshold(at('numeric_effect', key), { numericEffect: { [name]: value } }, value);
      floors[name] = value;
    }
    overrides.numericEffect = floors;
  }
  if (json.categorical_effect !== undefined) {
    const floors: Partial<CategoricalEffectFloors> = {};
    for (const [key, name] of Object.entries(CATEGORICAL_EFFECT_KEYS)) {
      const value = json.categorical_effect[key as keyof typeof CATEGORICAL_EFFECT_KEYS];
      if (value === undefined) continue;
      checkedThreshold(at('categorical_effect', key), { categoricalEffect: { [name]: value } }, value);
      floors[name] = value;
    }
    overrides.categoricalEffect = floors;
  }
  return overrides;
}

/** The default catch_up: 1d, or two windows when a window is 1d or longer (it must cover window + delay). */
export function defaultCatchUpMs(window: WindowSize): number {
  return Math.max(UNIT_MS.d, 2 * windowSizeMs(window));
}

/**
 * Validates one monitor definition (parsed JSON) and returns it normalized, defaults applied.
 * `where` prefixes field paths in errors, e.g. `monitors[2]`.
 */
export function parseMonitor(value: unknown, where = ''): Monitor {
  const validate = validateShape();
  if (!validate(value)) {
    const error = validate.errors?.[0];
    throw error ? schemaError(error, where) : new MonitorDefinitionError(joinField(where), 'is invalid');
  }
  const json = value;
  const at = (key: string) => joinField(where, key);
  const window = json.window ?? '1h';
  const delayMs = durationIn(json.delay, '5s', at('delay'), 0, LIMITS.maxDelayMs, 'at least 0s');
  const modelVersion = json.model_version ?? null;
  const features = json.features === undefined ? null : [...json.features];
  const analyzePrediction = json.analyze_prediction ?? true;
  const analyzeScore = json.analyze_score ?? true;
  if (features !== null && features.length === 0 && !analyzePrediction && !analyzeScore) {
    throw new MonitorDefinitionError(at('features'), 'must name at least one feature when analyze_prediction and analyze_score are false (nothing would be analysed)');
  }
  const reference = referenceFrom(json.reference, modelVersion, where);
  const thresholds = thresholdsFrom(json.thresholds, where);
  const performanceJson = json.performance ?? {};
  const task = performanceJson.task ?? 'auto';
  if (task === 'regression' && performanceJson.positive_class !== undefined) {
    throw new MonitorDefinitionError(joinField(where, 'performance', 'positive_class'), 'applies to classification only (performance.task is "regression")');
  }
  const minCatchUp = windowSizeMs(window) + delayMs;
  const catchUpMs = json.catch_up === undefined
    ? defaultCatchUpMs(window)
    : durationIn(json.catch_up, '', at('catch_up'), minCatchUp, LIMITS.maxCatchUpMs,
      `at least window + delay (${window} + ${formatDuration(delayMs)} = ${formatDuration(minCatchUp)}) so the latest complete window is never missed`);
  return {
    id: json.id,
    modelId: json.model_id,
    modelVersion,
    window,
    delayMs,
    reference,
    features,
    analyzePrediction,
    analyzeScore,
    segments: [...(json.segments ?? [])],
    maxSegmentValues: json.max_segment_values ?? 20,
    minEvents: json.min_events ?? 100,
    thresholds,
    performance: {
      task,
      positiveClass: performanceJson.positive_class ?? null,
      minLabels: performanceJson.min_labels ?? 100,
      gracePeriodMs: durationIn(performanceJson.grace_period, '7d', joinField(where, 'performance', 'grace_period'), 0, LIMITS.maxGracePeriodMs, 'at least 0s'),
    },
    catchUpMs,
    enabled: json.enabled ?? true,
  };
}

/** A list of monitors, e.g. the config file's `monitors`; ids must be unique. */
export function parseMonitorList(value: unknown, where: string): Monitor[] {
  if (!Array.isArray(value)) throw new MonitorDefinitionError(where, `must be an array of monitor definitions ${got(value)}`);
  const firstIndexById = new Map<string, number>();
  return value.map((item, index) => {
    const monitor = parseMonitor(item, `${where}[${index}]`);
    const first = firstIndexById.get(monitor.id);
    if (first !== undefined) {
      throw new MonitorDefinitionError(`${where}[${index}].id`, `repeats the id of ${where}[${first}] ("${monitor.id}"); monitor ids must be unique`);
    }
    firstIndexById.set(monitor.id, index);
    return monitor;
  });
}

// ---------------------------------------------------------------------------------------
// Back to JSON

function referenceToJson(reference: MonitorReference): ReferenceJson {
  switch (reference.type) {
    case 'trailing':
      return { type: 'trailing', length: formatDuration(reference.lengthMs), offset: formatDuration(reference.offsetMs) };
    case 'fixed':
      return { type: 'fixed', from: formatTimestamp(reference.fromMs), to: formatTimestamp(reference.toMs) };
    case 'dataset':
      return { type: 'dataset', dataset: reference.dataset };
    case 'version':
      return { type: 'version', model_version: reference.modelVersion };
  }
}

function floorsToJson<K extends string>(floors: Partial<Record<string, number | null>>, keys: Record<K, string>): Partial<Record<K, number | null>> {
  const json: Partial<Record<K, number | null>> = {};
  for (const [key, name] of Object.entries(keys) as Array<[K, string]>) {
    const value = floors[name];
    if (value !== undefined) json[key] = value;
  }
  return json;
}

function thresholdsToJson(thresholds: ThresholdOverrides): ThresholdsJson {
  const json: ThresholdsJson = {};
  if (thresholds.alpha !== undefined) json.alpha = thresholds.alpha;
  if (thresholds.multipleTesting !== undefined) json.multiple_testing = thresholds.multipleTesting;
  if (thresholds.datasetDriftShare !== undefined) json.dataset_drift_share = thresholds.datasetDriftShare;
  if (thresholds.numericEffect !== undefined) json.numeric_effect = floorsToJson(thresholds.numericEffect, NUMERIC_EFFECT_KEYS);
  if (thresholds.categoricalEffect !== undefined) json.categorical_effect = floorsToJson(thresholds.categoricalEffect, CATEGORICAL_EFFECT_KEYS);
  return json;
}

/**
 * The complete snake_case definition (every default written out; thresholds only as set,
 * so they follow the analyzer's defaults). Durations use the largest of d, h, m, s that
 * divides them: "1w" comes back as "7d", "60s" as "1m".
 */
export function monitorToJson(monitor: Monitor): MonitorJson {
  return {
    id: monitor.id,
    model_id: monitor.modelId,
    ...(monitor.modelVersion === null ? {} : { model_version: monitor.modelVersion }),
    window: monitor.window,
    delay: formatDuration(monitor.delayMs),
    reference: referenceToJson(monitor.reference),
    ...(monitor.features === null ? {} : { features: [...monitor.features] }),
    analyze_prediction: monitor.analyzePrediction,
    analyze_score: monitor.analyzeScore,
    segments: [...monitor.segments],
    max_segment_values: monitor.maxSegmentValues,
    min_events: monitor.minEvents,
    thresholds: thresholdsToJson(monitor.thresholds),
    performance: {
      task: monitor.performance.task,
      ...(monitor.performance.positiveClass === null ? {} : { positive_class: monitor.performance.positiveClass }),
      min_labels: monitor.performance.minLabels,
      grace_period: formatDuration(monitor.performance.gracePeriodMs),
    },
    catch_up: formatDuration(monitor.catchUpMs),
    enabled: monitor.enabled,
  };
}

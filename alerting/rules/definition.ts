/**
 * The alert rule contract: which stored analyzer results a rule watches, the condition
 * that breaches it, and how its alerts behave and read.
 *
 * Same shape as the monitor contract (analyzer/monitors/definition.ts): `RuleSchema`
 * (TypeBox) is the snake_case JSON that the API (/v1/rules) and the config file accept;
 * Ajv checks its shape, then `parseRule` checks what a schema cannot say (which metrics
 * belong to which scope, threshold ranges, template variables), applies the defaults and
 * returns the camelCase `Rule` the evaluator works with. `ruleToJson` writes a Rule back
 * as complete JSON that parses to the same Rule. A preset reference
 * (`{"preset": "any_feature_drifts", "params": {...}, ...overrides}`) is expanded by
 * alerting/rules/presets.ts first and then checked like any rule.
 *
 * Every error is a RuleDefinitionError naming the field path the way the input spells it:
 * `rules[1].condition.threshold: must be between 0 and 1 for ks_p_value (got 5)`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { compileOnFirstUse } from '../../schemas/compile-on-first-use.js';
import { DURATION_PATTERN, formatDuration, MONITOR_ID_PATTERN, parseDuration } from '../../analyzer/monitors/definition.js';
import { ModelId } from '../../schemas/events.js';
import type { ComparisonOperator, Severity } from '../notification.js';
import { expandPreset, isPresetReference } from './presets.js';
import { parseTemplate, TemplateError } from './template.js';

// ---------------------------------------------------------------------------------------
// Vocabulary

export const SEVERITIES = ['info', 'warning', 'critical'] as const satisfies readonly Severity[];
export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const satisfies readonly ComparisonOperator[];
export const RULE_SCOPES = ['column', 'window', 'performance'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/** Per-column drift figures (drift_results), compared column by column. */
export const DRIFT_METRICS = [
  'drifted', 'psi', 'ks_statistic', 'ks_p_value', 'p_value', 'adjusted_p_value', 'jensen_shannon',
  'wasserstein', 'wasserstein_normed', 'chi_square_statistic', 'chi_square_p_value',
] as const;
/** Per-column data-quality figures; a firing one inhibits drift alerts on its column. */
export const DATA_QUALITY_METRICS = ['missing_share', 'out_of_range_share', 'unseen_share'] as const;
export const COLUMN_METRICS = [...DRIFT_METRICS, ...DATA_QUALITY_METRICS] as const;
/** Window-level figures (window_results): one value per analysed window. */
export const WINDOW_METRICS = ['drift_share', 'drifted_columns', 'tested_columns', 'dataset_drifted', 'volume_change', 'current_count'] as const;
/** Model-quality metrics (performance_results); compared on value, decay or relative_decay. */
export const MODEL_QUALITY_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'mae', 'rmse', 'mape'] as const;
/** Label figures, the same for every performance metric of a window. */
export const LABEL_METRICS = ['label_coverage', 'labeled_count'] as const;
export const PERFORMANCE_METRICS = [...MODEL_QUALITY_METRICS, ...LABEL_METRICS] as const;
export const RULE_METRICS = [...COLUMN_METRICS, ...WINDOW_METRICS, ...PERFORMANCE_METRICS] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];

/** Which figure of a model-quality metric is compared; decay is positive when worse (analyzer/performance/decay.ts). */
export const VALUE_FIELDS = ['value', 'decay', 'relative_decay'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];

export const COLUMN_ROLES = ['feature', 'prediction', 'score'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

const has = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value);

export function scopeOfMetric(metric: RuleMetric): RuleScope {
  if (has(COLUMN_METRICS, metric)) return 'column';
  if (has(WINDOW_METRICS, metric)) return 'window';
  return 'performance';
}

/** Label names every alert carries as fields; a rule's own labels may not reuse them (silences match both). */
export const RESERVED_LABELS = ['rule_id', 'rule_name', 'model_id', 'model_version', 'monitor_id', 'severity', 'metric', 'column', 'segment_name', 'segment_value'] as const;

// ---------------------------------------------------------------------------------------
// The normalized rule

export interface RuleCondition {
  operator: ComparisonOperator;
  threshold: number;
}

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  /** null: every model. */
  modelId: string | null;
  /** null: every version, including monitors of all versions together. */
  modelVersion: string | null;
  /** null: every monitor. */
  monitorId: string | null;
  /** null: the whole traffic only; value null: every value of that segment, each its own alert. */
  segment: { name: string; value: string | null } | null;
  scope: RuleScope;
  metric: RuleMetric;
  /** Model-quality metrics only (else null). */
  valueField: ValueField | null;
  /** Column rules only: column names (feature names, "prediction", "score"); null = every column. */
  columns: string[] | null;
  /** Column rules only: null = every role. */
  columnRoles: ColumnRole[] | null;
  condition: RuleCondition;
  /** Model-quality rules only: fewer labelled predictions is no data, not a breach. */
  minLabels: number | null;
  severity: Severity;
  /** Breaching evaluations after the first before the alert fires: it fires on breach number for + 1. */
  for: number;
  /** Non-breaching evaluations a firing alert stays firing; it resolves on the (keepFiringFor + 1)th. */
  keepFiringFor: number;
  /** Consecutive no-data evaluations after which a pending or firing alert gives up; null: never. */
  noDataResolveAfter: number | null;
  repeatIntervalMs: number;
  labels: Record<string, string>;
  /** Templates (alerting/rules/template.ts), checked at parse time. */
  annotations: { summary: string; description: string; runbookUrl: string | null };
  /** A retraining trigger to call when the alert fires. */
  retrain: string | null;
}

export const DEFAULT_SUMMARY = '{{ rule_name }} on model {{ model_id }}';
export const DEFAULT_DESCRIPTION = '{{ items }}';
export const DEFAULT_REPEAT_INTERVAL = '4h';

export class RuleDefinitionError extends Error {
  override readonly name: string = 'RuleDefinitionError';
  constructor(
    /** Path of the offending field as the input spells it, e.g. `rules[2].condition.threshold`. */
    readonly field: string,
    /** What is wrong and what to send instead, without the field. */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------
// The JSON contract

function StringEnum<const T extends readonly string[]>(values: T, options: { description: string; default?: T[number] }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });
const Evaluations = (description: string, minimum: number) => Type.Integer({ minimum, maximum: 10_000, description });

export const RuleConditionSchema = Type.Object({
  operator: StringEnum(OPERATORS, { description: 'How the value is compared with the threshold' }),
  threshold: Type.Number({ description: 'A finite number in the range of the metric (e.g. 0 to 1 for shares and p-values)' }),
}, { additionalProperties: false, description: 'Breached when <value> <operator> <threshold>; a null value never breaches' });

export const RuleSchema = Type.Object({
  id: Type.String({ pattern: MONITOR_ID_PATTERN, description: '1 to 128 characters of A-Z a-z 0-9 . _ : -' }),
  name: Name('Shown in every notification'),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  model_id: Type.Optional(ModelId),
  model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Omitted: every version (and monitors of all versions together)' })),
  monitor_id: Type.Optional(Type.String({ pattern: MONITOR_ID_PATTERN, description: 'Omitted: every monitor of the model' })),
  segment: Type.Optional(Type.Object({
    name: Name('Segment name'),
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Omitted: every analysed value of the segment, each its own alert' })),
  }, { additionalProperties: false, description: 'Omitted: the whole traffic only' })),
  scope: Type.Optional(StringEnum(RULE_SCOPES, { description: 'Follows from metric; when given it must agree' })),
  metric: StringEnum(RULE_METRICS, { description: 'column: drift and data-quality figures per column; window: per analysed window; performance: model quality and labels' }),
  value_field: Type.Optional(StringEnum(VALUE_FIELDS, { description: 'Model-quality metrics: the value, or its decay from the reference (positive = worse)', default: 'value' })),
  columns: Type.Optional(Type.Array(Name('Column name: a feature, "prediction" or "score"'), { uniqueItems: true, minItems: 1, maxItems: 2000, description: 'Column metrics: omitted = every column' })),
  column_roles: Type.Optional(Type.Array(StringEnum(COLUMN_ROLES, { description: 'Column role' }), { uniqueItems: true, minItems: 1, description: 'Column metrics: omitted = every role' })),
  condition: RuleConditionSchema,
  min_labels: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Model-quality metrics: fewer labelled predictions is no data, not a breach' })),
  severity: Type.Optional(StringEnum(SEVERITIES, { description: 'How urgent', default: 'warning' })),
  for: Type.Optional(Evaluations('Consecutive breaching evaluations after the first before firing (0: fire on the first breach)', 0)),
  keep_firing_for: Type.Optional(Evaluations('Non-breaching evaluations a firing alert stays firing before it resolves', 0)),
  no_data_resolve_after: Type.Optional(Evaluations('Consecutive no-data evaluations after which a pending alert is dropped and a firing one resolves; omitted: never', 1)),
  repeat_interval: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: DEFAULT_REPEAT_INTERVAL, description: 'Re-notify a still-firing alert this often, 1m to 90d' })),
  labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 1024 }), { maxProperties: 50, description: 'Label names match [a-zA-Z_][a-zA-Z0-9_]*' })),
  annotations: Type.Optional(Type.Object({
    summary: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, default: DEFAULT_SUMMARY })),
    description: Type.Optional(Type.String({ maxLength: 8192, default: DEFAULT_DESCRIPTION })),
    runbook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL; may use template variables' })),
  }, { additionalProperties: false, description: 'Templates such as "{{ model_id }}"; unknown variables are refused' })),
  retrain: Type.Optional(Type.String({ pattern: MONITOR_ID_PATTERN, description: 'Retraining trigger to call when the alert fires' })),
}, { additionalProperties: false, $id: 'AlertRule', title: 'Alert rule definition' });

export type RuleJson = Static<typeof RuleSchema>;

// ---------------------------------------------------------------------------------------
// Schema errors, named by field

function got(value: unknown): string {
  if (Array.isArray(value)) return '(got an array)';
  if (value !== null && typeof value === 'object') return '(got an object)';
  const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
  return `(got ${text.length > 80 ? `${text.slice(0, 77)}...` : text})`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', array: 'an array', object: 'an object',
};

const PATTERN_PROBLEMS: Record<string, (value: unknown) => string> = {
  [DURATION_PATTERN]: (value) => `must be a duration such as "4h" ${got(value)}: an integer and one of s, m, h, d, w`,
  [MONITOR_ID_PATTERN]: (value) => `must be 1 to 128 characters of A-Z a-z 0-9 . _ : - ${got(value)}`,
};

/** `rules[2]` + ['condition', 'threshold'] -> `rules[2].condition.threshold`; an empty path is `fallback`. */
export function joinField(base: string, segments: ReadonlyArray<string | number>, fallback = 'rule'): string {
  let field = base;
  for (const segment of segments) {
    field = typeof segment === 'number' ? `${field}[${segment}]` : field === '' ? segment : `${field}.${segment}`;
  }
  return field === '' ? fallback : field;
}

function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}

/** The first Ajv error as (field path, problem), in the words of the monitor contract. */
export function describeSchemaError(error: ErrorObject): { path: Array<string | number>; problem: string } {
  const path = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const problem = (text: string, ...more: Array<string | number>) => ({ path: [...path, ...more], problem: text });
  switch (error.keyword) {
    case 'required':
      return problem('is required', String(params.missingProperty));
    case 'additionalProperties': {
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return problem(`is not a known field (known: ${known.join(', ')})`, String(params.additionalProperty));
    }
    case 'type':
      return problem(`must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)} ${got(error.data)}`);
    case 'enum':
      return problem(`must be one of ${(params.allowedValues as unknown[]).join(', ')} ${got(error.data)}`);
    case 'pattern':
      return problem(PATTERN_PROBLEMS[String(params.pattern)]?.(error.data) ?? `must match ${String(params.pattern)} ${got(error.data)}`);
    case 'minLength':
      return problem(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'maxLength':
      return problem(`must be at most ${String(params.limit)} characters long (got ${String((error.data as string).length)})`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem(`must be ${String(params.comparison)} ${String(params.limit)} ${got(error.data)}`);
    case 'minItems':
      return problem(`must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'} (omit the field instead of sending [])`);
    case 'maxItems':
      return problem(`must have at most ${String(params.limit)} items (got ${String((error.data as unknown[]).length)})`);
    case 'maxProperties':
      return problem(`must have at most ${String(params.limit)} entries`);
    case 'uniqueItems': {
      const [first, repeat] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return { path: [...path, repeat], problem: `repeats item [${first}] ${got((error.data as unknown[])[repeat])}` };
    }
    default:
      return problem(error.message ?? 'is invalid');
  }
}

export const alertingAjv = new Ajv({ allErrors: false, strict: false, verbose: true });
const validateShape = compileOnFirstUse<RuleJson>(alertingAjv, RuleSchema);

// ---------------------------------------------------------------------------------------
// What the schema cannot say

type Range = { min: number; max: number; what: string };
const UNIT: Range = { min: 0, max: 1, what: 'between 0 and 1' };
const NON_NEGATIVE: Range = { min: 0, max: Infinity, what: 'at least 0' };
const BINARY: Range = { min: 0, max: 1, what: '0 or 1' };
const ANY: Range = { min: -Infinity, max: Infinity, what: 'finite' };

function thresholdRange(metric: RuleMetric, valueField: ValueField | null): Range {
  switch (metric) {
    case 'drifted':
    case 'dataset_drifted':
      return BINARY;
    case 'ks_statistic': case 'ks_p_value': case 'p_value': case 'adjusted_p_value': case 'chi_square_p_value':
    case 'missing_share': case 'out_of_range_share': case 'unseen_share': case 'drift_share': case 'label_coverage':
      return UNIT;
    case 'volume_change':
      return { min: -1, max: Infinity, what: 'at least -1 (-1 is no traffic at all, 0 the expected volume)' };
    case 'accuracy': case 'precision': case 'recall': case 'f1': case 'roc_auc':
      return valueField === 'value' ? UNIT : ANY;
    case 'log_loss': case 'mae': case 'rmse': case 'mape':
      return valueField === 'value' ? NON_NEGATIVE : ANY;
    default:
      return NON_NEGATIVE;
  }
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LIMITS = { minRepeatMs: 60_000, maxRepeatMs: 90 * 86_400_000 };

function checkTemplate(source: string, labelNames: string[], field: string): void {
  try {
    parseTemplate(source, labelNames);
  } catch (error) {
    if (error instanceof TemplateError) throw new RuleDefinitionError(field, error.problem);
    throw error;
  }
}

function fromJson(json: RuleJson, where: string): Rule {
  const at = (...segments: Array<string | number>) => joinField(where, segments);
  const metric = json.metric;
  const scope = scopeOfMetric(metric);
  if (json.scope !== undefined && json.scope !== scope) {
    throw new RuleDefinitionError(at('scope'), `must be "${scope}" for metric ${metric} (got "${json.scope}"), or be omitted`);
  }
  const qualityMetric = has(MODEL_QUALITY_METRICS, metric);
  if (json.value_field !== undefined && !qualityMetric) {
    throw new RuleDefinitionError(at('value_field'), `applies to the model-quality metrics (${MODEL_QUALITY_METRICS.join(', ')}) only; metric is ${metric}`);
  }
  for (const key of ['columns', 'column_roles'] as const) {
    if (json[key] !== undefined && scope !== 'column') throw new RuleDefinitionError(at(key), `applies to column metrics only; ${metric} is a ${scope} metric`);
  }
  if (json.min_labels !== undefined && !qualityMetric) {
    throw new RuleDefinitionError(at('min_labels'), `applies to the model-quality metrics (${MODEL_QUALITY_METRICS.join(', ')}) only; metric is ${metric}`);
  }
  const valueField = qualityMetric ? json.value_field ?? 'value' : null;
  const { operator, threshold } = json.condition;
  const range = thresholdRange(metric, valueField);
  if (threshold < range.min || threshold > range.max || (range === BINARY && threshold !== 0 && threshold !== 1)) {
    const subject = valueField === null || valueField === 'value' ? metric : `${metric} ${valueField}`;
    throw new RuleDefinitionError(at('condition', 'threshold'), `must be ${range.what} for ${subject} ${got(threshold)}`);
  }
  const labels = { ...(json.labels ?? {}) };
  for (const name of Object.keys(labels)) {
    if (!LABEL_NAME.test(name)) throw new RuleDefinitionError(at('labels', name), 'is not a valid label name: use letters, digits and _, not starting with a digit');
    if (has(RESERVED_LABELS, name)) throw new RuleDefinitionError(at('labels', name), `is reserved: every alert carries ${RESERVED_LABELS.join(', ')} already`);
  }
  const labelNames = Object.keys(labels);
  const annotations = {
    summary: json.annotations?.summary ?? DEFAULT_SUMMARY,
    description: json.annotations?.description ?? DEFAULT_DESCRIPTION,
    runbookUrl: json.annotations?.runbook_url ?? null,
  };
  checkTemplate(annotations.summary, labelNames, at('annotations', 'summary'));
  checkTemplate(annotations.description, labelNames, at('annotations', 'description'));
  if (annotations.runbookUrl !== null) {
    checkTemplate(annotations.runbookUrl, labelNames, at('annotations', 'runbook_url'));
    if (!/^https?:\/\/[^\s{}]/.test(annotations.runbookUrl)) {
      throw new RuleDefinitionError(at('annotations', 'runbook_url'), `must start with http:// or https:// and a host ${got(annotations.runbookUrl)}`);
    }
  }
  const repeatText = json.repeat_interval ?? DEFAULT_REPEAT_INTERVAL;
  const repeatIntervalMs = parseDuration(repeatText)!;
  if (repeatIntervalMs < LIMITS.minRepeatMs || repeatIntervalMs > LIMITS.maxRepeatMs) {
    throw new RuleDefinitionError(at('repeat_interval'), `must be at least 1m and at most 90d (got "${repeatText}")`);
  }
  return {
    id: json.id,
    name: json.name,
    enabled: json.enabled ?? true,
    modelId: json.model_id ?? null,
    modelVersion: json.model_version ?? null,
    monitorId: json.monitor_id ?? null,
    segment: json.segment === undefined ? null : { name: json.segment.name, value: json.segment.value ?? null },
    scope,
    metric,
    valueField,
    columns: json.columns === undefined ? null : [...json.columns],
    columnRoles: json.column_roles === undefined ? null : [...json.column_roles],
    condition: { operator, threshold },
    minLabels: json.min_labels ?? null,
    severity: json.severity ?? 'warning',
    for: json.for ?? 0,
    keepFiringFor: json.keep_firing_for ?? 0,
    noDataResolveAfter: json.no_data_resolve_after ?? null,
    repeatIntervalMs,
    labels,
    annotations,
    retrain: json.retrain ?? null,
  };
}

/**
 * Validates one rule definition (parsed JSON, or a preset reference) and returns it
 * normalized, defaults applied. `where` prefixes field paths in errors, e.g. `rules[2]`.
 */
export function parseRule(value: unknown, where = ''): Rule {
  const json = isPresetReference(value) ? expandPreset(value, where) : value;
  const threshold = (json as { condition?: { threshold?: unknown } } | null)?.condition?.threshold;
  // Ajv would call Infinity "not a number (got null)", which helps nobody.
  if (typeof threshold === 'number' && !Number.isFinite(threshold)) {
    throw new RuleDefinitionError(joinField(where, ['condition', 'threshold']), `must be a finite number ${got(threshold)}`);
  }
  const validate = validateShape();
  if (!validate(json)) {
    const error = validate.errors?.[0];
    if (error === undefined) throw new RuleDefinitionError(joinField(where, []), 'is invalid');
    const { path, problem } = describeSchemaError(error);
    throw new RuleDefinitionError(joinField(where, path), problem);
  }
  return fromJson(json, where);
}

/** A list of rules, e.g. the config file's `rules`; ids must be unique. */
export function parseRuleList(value: unknown, where: string): Rule[] {
  if (!Array.isArray(value)) throw new RuleDefinitionError(where, `must be an array of rule definitions ${got(value)}`);
  const firstIndexById = new Map<string, number>();
  return value.map((item, index) => {
    const rule = parseRule(item, `${where}[${index}]`);
    const first = firstIndexById.get(rule.id);
    if (first !== undefined) {
      throw new RuleDefinitionError(`${where}[${index}].id`, `repeats the id of ${where}[${first}] ("${rule.id}"); rule ids must be unique`);
    }
    firstIndexById.set(rule.id, index);
    return rule;
  });
}

/** The complete snake_case definition, every default written out; it parses to the same Rule. */
export function ruleToJson(rule: Rule): RuleJson {
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    ...(rule.modelId === null ? {} : { model_id: rule.modelId }),
    ...(rule.modelVersion === null ? {} : { model_version: rule.modelVersion }),
    ...(rule.monitorId === null ? {} : { monitor_id: rule.monitorId }),
    ...(rule.segment === null ? {} : { segment: { name: rule.segment.name, ...(rule.segment.value === null ? {} : { value: rule.segment.value }) } }),
    scope: rule.scope,
    metric: rule.metric,
    ...(rule.valueField === null ? {} : { value_field: rule.valueField }),
    ...(rule.columns === null ? {} : { columns: [...rule.columns] }),
    ...(rule.columnRoles === null ? {} : { column_roles: [...rule.columnRoles] }),
    condition: { operator: rule.condition.operator, threshold: rule.condition.threshold },
    ...(rule.minLabels === null ? {} : { min_labels: rule.minLabels }),
    severity: rule.severity,
    for: rule.for,
    keep_firing_for: rule.keepFiringFor,
    ...(rule.noDataResolveAfter === null ? {} : { no_data_resolve_after: rule.noDataResolveAfter }),
    repeat_interval: formatDuration(rule.repeatIntervalMs),
    labels: { ...rule.labels },
    annotations: {
      summary: rule.annotations.summary,
      description: rule.annotations.description,
      ...(rule.annotations.runbookUrl === null ? {} : { runbook_url: rule.annotations.runbookUrl }),
    },
    ...(rule.retrain === null ? {} : { retrain: rule.retrain }),
  };
}

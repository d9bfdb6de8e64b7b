/**
 * Muting, after Alertmanager: silences (matchers + a time span) and inhibition (a firing
 * data-quality alert on a column mutes drift alerts on the same column of the same model).
 * Both act on delivery only: a muted alert still moves through its states, so when the
 * silence ends the alert is where it would have been.
 */
import { Type, type Static } from '@sinclair/typebox';
import { parseRfc3339 } from '../../ingest/timestamp.js';
import type { Severity } from '../notification.js';
import { alertingAjv, DATA_QUALITY_METRICS, describeSchemaError, DRIFT_METRICS, joinField, RESERVED_LABELS, RuleDefinitionError } from '../rules/definition.js';
import type { AlertStatus } from './machine.js';

/** One notification item as silences see it: the alert's fields plus the rule's labels. */
export interface AlertItemContext {
  rule_id: string;
  rule_name: string;
  model_id: string;
  model_version: string | null;
  monitor_id: string;
  severity: Severity;
  /** The rule's metric (`accuracy`, also for a rule on its decay). */
  metric: string;
  column: string | null;
  segment_name: string | null;
  segment_value: string | null;
  labels: Readonly<Record<string, string>>;
}

export const MATCHER_OPERATORS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOperator = (typeof MATCHER_OPERATORS)[number];

export interface SilenceMatcher {
  /** A field (rule_id, model_id, severity, column, ...) or one of the rule's labels. */
  name: string;
  operator: MatcherOperator;
  /** Text for = and !=; a regular expression matching the whole value for =~ and !~. */
  value: string;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** Active in [startsAt, endsAt), epoch ms. */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** A field, else a label; absent or null is '' (as in Alertmanager, `column=""` matches window-level alerts). */
function valueOf(context: AlertItemContext, name: string): string {
  if ((RESERVED_LABELS as readonly string[]).includes(name)) return (context[name as keyof AlertItemContext] as string | null) ?? '';
  return context.labels[name] ?? '';
}

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${pattern})$`);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, regex);
  }
  return regex;
}

function matchesText(matcher: SilenceMatcher, text: string): boolean {
  switch (matcher.operator) {
    case '=': return text === matcher.value;
    case '!=': return text !== matcher.value;
    case '=~': return anchored(matcher.value).test(text);
    case '!~': return !anchored(matcher.value).test(text);
  }
}

export function matcherMatches(matcher: SilenceMatcher, context: AlertItemContext): boolean {
  return matchesText(matcher, valueOf(context, matcher.name));
}

export function isSilenceActive(silence: Silence, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt;
}

/** The first active silence whose matchers all match, or null. */
export function isSilenced(context: AlertItemContext, silences: readonly Silence[], now: number): Silence | null {
  return silences.find((silence) => isSilenceActive(silence, now) && silence.matchers.every((matcher) => matcherMatches(matcher, context))) ?? null;
}

// ---------------------------------------------------------------------------------------
// The silence contract (API and config), snake_case like rules

export const SilenceSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }),
  matchers: Type.Array(Type.Object({
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'rule_id, model_id, model_version, monitor_id, severity, metric, column, segment_name, segment_value, rule_name, or a rule label' }),
    operator: Type.Optional(Type.Unsafe<MatcherOperator>({ type: 'string', enum: [...MATCHER_OPERATORS], default: '=' })),
    value: Type.String({ maxLength: 1024 }),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 50 }),
  starts_at: Type.Optional(Type.String({ description: 'RFC 3339; omitted: now' })),
  ends_at: Type.String({ description: 'RFC 3339, after starts_at' }),
  created_by: Type.String({ minLength: 1, maxLength: 256 }),
  comment: Type.Optional(Type.String({ maxLength: 4096, default: '' })),
}, { additionalProperties: false, $id: 'AlertSilence', title: 'Silence' });

export type SilenceJson = Static<typeof SilenceSchema>;
const validateSilence = alertingAjv.compile<SilenceJson>(SilenceSchema);

/** Validates a silence; errors are RuleDefinitionErrors naming the field (`matchers[0].value`). */
export function parseSilence(value: unknown, now: number, where = ''): Silence {
  const at = (...segments: Array<string | number>) => joinField(where, segments, 'silence');
  if (!validateSilence(value)) {
    const { path, problem } = describeSchemaError(validateSilence.errors![0]!);
    throw new RuleDefinitionError(at(...path), problem);
  }
  const time = (text: string, field: string) => {
    const ms = parseRfc3339(text);
    if (ms === undefined) throw new RuleDefinitionError(at(field), `must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z (got ${JSON.stringify(text)})`);
    return ms;
  };
  const startsAt = value.starts_at === undefined ? now : time(value.starts_at, 'starts_at');
  const endsAt = time(value.ends_at, 'ends_at');
  if (endsAt <= startsAt) throw new RuleDefinitionError(at('ends_at'), `must be after ${value.starts_at === undefined ? 'now' : 'starts_at'} (got ${JSON.stringify(value.ends_at)})`);
  const matchers = value.matchers.map((json, index): SilenceMatcher => {
    const matcher: SilenceMatcher = { name: json.name, operator: json.operator ?? '=', value: json.value };
    if (matcher.operator === '=~' || matcher.operator === '!~') {
      try {
        anchored(matcher.value);
      } catch (error) {
        throw new RuleDefinitionError(at('matchers', index, 'value'), `is not a valid regular expression: ${(error as Error).message}`);
      }
    }
    return matcher;
  });
  // As Alertmanager: a silence whose matchers all match an empty value would mute everything.
  if (matchers.every((matcher) => matchesText(matcher, ''))) {
    throw new RuleDefinitionError(at('matchers'), 'must have at least one matcher that does not match an empty value (e.g. model_id="fraud"); these would mute every alert');
  }
  return { id: value.id, matchers, startsAt, endsAt, createdBy: value.created_by, comment: value.comment ?? '' };
}

// ---------------------------------------------------------------------------------------
// Inhibition

/** An alert instance as inhibition sees it (from the state store and the current evaluation). */
export interface InhibitionSource {
  ruleId: string;
  modelId: string;
  column: string | null;
  metric: string;
  status: AlertStatus;
}

/** Column (model, column) -> why drift alerts on it are muted. */
export type InhibitedColumns = ReadonlyMap<string, string>;

const columnKey = (modelId: string, column: string) => JSON.stringify([modelId, column]);

/** The columns on which a data-quality alert (missing, out-of-range, unseen share) is firing. */
export function inhibitedColumns(instances: Iterable<InhibitionSource>): InhibitedColumns {
  const inhibited = new Map<string, string>();
  for (const instance of instances) {
    if (instance.status !== 'firing' || instance.column === null || !(DATA_QUALITY_METRICS as readonly string[]).includes(instance.metric)) continue;
    const key = columnKey(instance.modelId, instance.column);
    if (!inhibited.has(key)) inhibited.set(key, `inhibited: ${instance.metric} alert (rule ${instance.ruleId}) is firing on column ${instance.column} of model ${instance.modelId}`);
  }
  return inhibited;
}

/** Why a drift alert item is inhibited, or null. Data-quality and window-level alerts are never inhibited. */
export function inhibitionOf(context: AlertItemContext, inhibited: InhibitedColumns): string | null {
  if (context.column === null || !(DRIFT_METRICS as readonly string[]).includes(context.metric)) return null;
  return inhibited.get(columnKey(context.model_id, context.column)) ?? null;
}

/** The `mute` of groupNotifications: silences first, then inhibition. */
export function muteBy(silences: readonly Silence[], inhibited: InhibitedColumns, now: number): (context: AlertItemContext) => string | null {
  return (context) => {
    const silence = isSilenced(context, silences, now);
    if (silence !== null) return `silenced by ${silence.id}`;
    return inhibitionOf(context, inhibited);
  };
}

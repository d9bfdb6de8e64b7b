/**
 * The contracts of what delivers alerts: channels (Slack, email, webhook), subscriptions
 * (who gets what: channel + models + minimum severity) and retraining targets (which
 * pipeline a rule's `retrain` starts, with cooldown and approval).
 *
 * Same style as rules: a TypeBox schema per shape checked by Ajv, then what a schema cannot
 * say, every error naming the field. Secrets (Slack token, SMTP password, webhook secret,
 * pipeline tokens) are write-only: `redact*` removes them from what the API returns and
 * says which are set, and `keepStoredSecrets` lets an update omit a secret to keep it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DURATION_PATTERN, MONITOR_ID_PATTERN, parseDuration } from '../../analyzer/monitors/definition.js';
import { ModelId } from '../../schemas/events.js';
import type { Severity } from '../notification.js';
import { RetrainingConfigError, validateRetrainingTarget, type RetrainingTarget } from '../render/retraining.js';
import { alertingAjv, describeSchemaError, joinField, RuleDefinitionError, SEVERITIES } from '../rules/definition.js';
import { compileOnFirstUse } from '../../schemas/compile-on-first-use.js';
import type { ValidateFunction } from 'ajv';

export class DeliveryDefinitionError extends RuleDefinitionError {
  override readonly name = 'DeliveryDefinitionError';
}

const Id = Type.String({ pattern: MONITOR_ID_PATTERN, description: '1 to 128 characters of A-Z a-z 0-9 . _ : -' });
const Text = (description: string, maxLength = 1024) => Type.String({ minLength: 1, maxLength, description });

// ---------------------------------------------------------------------------------------
// Channels

const ChannelCommon = {
  id: Id,
  name: Type.Optional(Text('Shown in the UI')),
  enabled: Type.Optional(Type.Boolean({ default: true, description: 'false: nothing is sent to it' })),
  send_resolved: Type.Optional(Type.Boolean({ default: true, description: 'Also send resolve notices' })),
};

export const SlackChannelSchema = Type.Object({
  ...ChannelCommon,
  kind: Type.Literal('slack'),
  channel: Text('Slack channel id (C0123...) or name', 256),
  token: Text('Bot token (xoxb-...) with chat:write; write-only', 512),
}, { additionalProperties: false });

export const EmailChannelSchema = Type.Object({
  ...ChannelCommon,
  kind: Type.Literal('email'),
  host: Text('SMTP server host', 255),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  security: Type.Unsafe<'tls' | 'starttls' | 'none'>({ type: 'string', enum: ['tls', 'starttls', 'none'], description: 'tls (465), starttls (587) or none (a local relay)' }),
  username: Type.Optional(Text('SMTP user', 512)),
  password: Type.Optional(Text('SMTP password; write-only', 1024)),
  from: Text('Sender, "Name <address>" or an address', 512),
  to: Type.Array(Text('Recipient address', 512), { minItems: 1, maxItems: 100, uniqueItems: true }),
}, { additionalProperties: false });

export const WebhookChannelSchema = Type.Object({
  ...ChannelCommon,
  kind: Type.Literal('webhook'),
  url: Text('http(s) URL the JSON is POSTed to; checked against the outgoing URL policy', 2048),
  secret: Text('HMAC-SHA256 signing secret; write-only', 1024),
}, { additionalProperties: false });

export type SlackChannelJson = Static<typeof SlackChannelSchema>;
export type EmailChannelJson = Static<typeof EmailChannelSchema>;
export type WebhookChannelJson = Static<typeof WebhookChannelSchema>;
export type ChannelJson = SlackChannelJson | EmailChannelJson | WebhookChannelJson;
export type ChannelDefinition = ChannelJson & { enabled: boolean; send_resolved: boolean };

const CHANNEL_KINDS = ['slack', 'email', 'webhook'] as const;
const CHANNEL_SCHEMAS: Record<(typeof CHANNEL_KINDS)[number], TSchema> = {
  slack: SlackChannelSchema, email: EmailChannelSchema, webhook: WebhookChannelSchema,
};
const validateChannelShape = Object.fromEntries(
  Object.entries(CHANNEL_SCHEMAS).map(([kind, schema]) => [kind, compileOnFirstUse(alertingAjv, schema)]),
) as Record<(typeof CHANNEL_KINDS)[number], () => ValidateFunction>;

/** Where each kind keeps its secrets (dotted paths). */
export const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  slack: ['token'],
  email: ['password'],
  webhook: ['secret'],
  retraining_target: ['target.token', 'target.secret', 'target.auth.password', 'target.auth.token'],
};

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DeliveryDefinitionError(field, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function checkShape(validate: ReturnType<typeof alertingAjv.compile>, value: unknown, where: string): void {
  if (validate(value)) return;
  const error = validate.errors?.[0];
  if (error === undefined) throw new DeliveryDefinitionError(joinField(where, [], 'definition'), 'is invalid');
  const { path, problem } = describeSchemaError(error);
  throw new DeliveryDefinitionError(joinField(where, path, 'definition'), problem);
}

export function parseChannel(value: unknown, where = ''): ChannelDefinition {
  const record = asRecord(value, joinField(where, [], 'channel'));
  const kind = record.kind;
  if (typeof kind !== 'string' || !(CHANNEL_KINDS as readonly string[]).includes(kind)) {
    throw new DeliveryDefinitionError(joinField(where, ['kind']), `must be one of ${CHANNEL_KINDS.join(', ')} (got ${JSON.stringify(kind) ?? 'nothing'})`);
  }
  checkShape(validateChannelShape[kind as (typeof CHANNEL_KINDS)[number]](), record, where);
  const json = record as unknown as ChannelJson;
  if (json.kind === 'webhook' && !/^https?:\/\//i.test(json.url)) {
    throw new DeliveryDefinitionError(joinField(where, ['url']), 'must be an http:// or https:// URL');
  }
  if (json.kind === 'email' && (json.username === undefined) !== (json.password === undefined)) {
    throw new DeliveryDefinitionError(joinField(where, [json.username === undefined ? 'username' : 'password']), 'username and password go together');
  }
  return { ...json, enabled: json.enabled ?? true, send_resolved: json.send_resolved ?? true };
}

// ---------------------------------------------------------------------------------------
// Subscriptions

export const SubscriptionSchema = Type.Object({
  id: Id,
  channel_id: Id,
  models: Type.Optional(Type.Array(ModelId, { uniqueItems: true, maxItems: 1000, description: 'Omitted or empty: every model' })),
  min_severity: Type.Optional(Type.Unsafe<Severity>({ type: 'string', enum: [...SEVERITIES], default: 'info', description: 'Only alerts at least this severe' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
}, { additionalProperties: false });

export type SubscriptionDefinition = Required<Static<typeof SubscriptionSchema>>;
const validateSubscriptionShape = compileOnFirstUse(alertingAjv, SubscriptionSchema);

export function parseSubscription(value: unknown, where = ''): SubscriptionDefinition {
  checkShape(validateSubscriptionShape(), value, where);
  const json = value as Static<typeof SubscriptionSchema>;
  return { id: json.id, channel_id: json.channel_id, models: json.models ?? [], min_severity: json.min_severity ?? 'info', enabled: json.enabled ?? true };
}

// ---------------------------------------------------------------------------------------
// Retraining targets

export const DEFAULT_RETRAINING_COOLDOWN = '24h';

export const RetrainingTargetSchema = Type.Object({
  id: Id,
  name: Type.Optional(Text('Shown in the UI')),
  target: Type.Object({
    kind: Type.Unsafe<RetrainingTarget['kind']>({ type: 'string', enum: ['github', 'airflow', 'kubeflow', 'webhook'], description: 'Pipeline preset' }),
  }, { additionalProperties: true, description: 'The pipeline: github, airflow, kubeflow or webhook with its fields' }),
  cooldown: Type.Optional(Type.String({ pattern: DURATION_PATTERN, default: DEFAULT_RETRAINING_COOLDOWN, description: 'Per model: at most one run started in this time' })),
  require_approval: Type.Optional(Type.Boolean({ default: false, description: 'Wait as pending_approval until approved or rejected through the API' })),
}, { additionalProperties: false });

export interface RetrainingTargetDefinition {
  id: string;
  name?: string;
  target: RetrainingTarget;
  cooldown: string;
  require_approval: boolean;
}
const validateTargetShape = compileOnFirstUse(alertingAjv, RetrainingTargetSchema);

export function cooldownMs(definition: RetrainingTargetDefinition): number {
  return parseDuration(definition.cooldown) ?? 0;
}

/** The fields each pipeline preset takes; anything else (a misspelt secret) is refused rather than stored unredacted. */
const TARGET_FIELDS: Record<RetrainingTarget['kind'], readonly string[]> = {
  github: ['kind', 'repository', 'event_type', 'token', 'api_url'],
  airflow: ['kind', 'base_url', 'dag_id', 'auth'],
  kubeflow: ['kind', 'base_url', 'pipeline_id', 'pipeline_version_id', 'experiment_id', 'token', 'parameters_template'],
  webhook: ['kind', 'url', 'body_template', 'token', 'secret'],
};
const TARGET_STRING_FIELDS = ['repository', 'event_type', 'token', 'api_url', 'base_url', 'dag_id', 'pipeline_id', 'pipeline_version_id', 'experiment_id', 'url', 'secret'];

function checkTargetFields(target: Record<string, unknown>, where: string): void {
  const kind = target.kind as RetrainingTarget['kind'];
  for (const [key, value] of Object.entries(target)) {
    if (!TARGET_FIELDS[kind].includes(key)) {
      throw new DeliveryDefinitionError(joinField(where, ['target', key]), `is not a field of the ${kind} preset (known: ${TARGET_FIELDS[kind].join(', ')})`);
    }
    if (TARGET_STRING_FIELDS.includes(key) && typeof value !== 'string') {
      throw new DeliveryDefinitionError(joinField(where, ['target', key]), 'must be a string');
    }
  }
  const auth = target.auth;
  if (auth !== undefined && auth !== null && typeof auth === 'object' && !Array.isArray(auth)) {
    for (const [key, value] of Object.entries(auth)) {
      if (!['token', 'username', 'password'].includes(key)) throw new DeliveryDefinitionError(joinField(where, ['target', 'auth', key]), 'is not a field of auth (known: token, or username and password)');
      if (typeof value !== 'string') throw new DeliveryDefinitionError(joinField(where, ['target', 'auth', key]), 'must be a string');
    }
  }
}

export function parseRetrainingTarget(value: unknown, where = ''): RetrainingTargetDefinition {
  checkShape(validateTargetShape(), value, where);
  const json = value as Static<typeof RetrainingTargetSchema>;
  checkTargetFields(json.target as Record<string, unknown>, where);
  try {
    validateRetrainingTarget(json.target as RetrainingTarget);
  } catch (error) {
    if (error instanceof RetrainingConfigError) throw new DeliveryDefinitionError(joinField(where, ['target', ...error.field.split('.')]), error.problem);
    throw error;
  }
  return {
    id: json.id,
    ...(json.name === undefined ? {} : { name: json.name }),
    target: json.target as RetrainingTarget,
    cooldown: json.cooldown ?? DEFAULT_RETRAINING_COOLDOWN,
    require_approval: json.require_approval ?? false,
  };
}

// ---------------------------------------------------------------------------------------
// Write-only secrets

function readPath(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function secretPaths(kind: string): string[][] {
  return (SECRET_FIELDS[kind] ?? []).map((field) => field.split('.'));
}

/** A deep copy without its secrets, plus the dotted names of those that are set. */
export function redactSecrets<T>(kind: string, definition: T): { definition: Record<string, unknown>; secrets: string[] } {
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
  const secrets: string[] = [];
  for (const path of secretPaths(kind)) {
    const parent = readPath(copy, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (parent !== null && typeof parent === 'object' && last in parent) {
      delete (parent as Record<string, unknown>)[last];
      secrets.push(path.join('.'));
    }
  }
  return { definition: copy, secrets };
}

/**
 * An update that omits a secret keeps the stored one, so the UI can change a channel
 * without asking for its token again. `null` removes an optional secret explicitly.
 */
export function keepStoredSecrets(kind: string, incoming: unknown, stored: unknown): unknown {
  if (incoming === null || typeof incoming !== 'object' || Array.isArray(incoming)) return incoming;
  const merged = JSON.parse(JSON.stringify(incoming)) as Record<string, unknown>;
  // A secret is kept only for the destination it was given for: pointing a channel or a
  // target elsewhere must not carry the old token to the new address.
  const keep = sameDestination(merged, stored);
  for (const path of secretPaths(kind)) {
    const parent = readPath(merged, path.slice(0, -1));
    const last = path[path.length - 1]!;
    if (parent === null || typeof parent !== 'object') continue;
    const target = parent as Record<string, unknown>;
    if (target[last] === null) {
      delete target[last];
      continue;
    }
    const previous = readPath(stored, path);
    if (!keep || last in target || previous === undefined) continue;
    // Airflow auth is a token or a username and password, never a mix of the two.
    if (path.join('.') === 'target.auth.password' && 'token' in target) continue;
    if (path.join('.') === 'target.auth.token' && 'username' in target) continue;
    target[last] = previous;
  }
  return merged;
}

/** The fields that say where a secret is sent. */
const DESTINATION_FIELDS = ['kind', 'url', 'host', 'target.kind', 'target.url', 'target.base_url', 'target.api_url'].map((field) => field.split('.'));

function sameDestination(incoming: unknown, stored: unknown): boolean {
  return DESTINATION_FIELDS.every((path) => JSON.stringify(readPath(incoming, path)) === JSON.stringify(readPath(stored, path)));
}

// Who gets alerts and what they trigger, over HTTP: channels (Slack, email, webhook) with
// their health, subscriptions, retraining targets, the delivery log, and retraining runs
// (approve, reject, and the pipeline's callback). Secrets are write-only: views list which
// are set, never their values, and an update that omits a secret keeps the stored one.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  DeliveryDefinitionError, keepStoredSecrets, parseChannel, parseRetrainingTarget, parseSubscription, redactSecrets,
  type ChannelDefinition,
} from '../../alerting/delivery/definitions.js';
import { alertingAjv, describeSchemaError } from '../../alerting/rules/definition.js';
import { CALLBACK_STATUSES, RETRAINING_STATUSES, type CallbackStatus } from '../../alerting/delivery/retraining-policy.js';
import { RetrainingError, type RetrainingService } from '../../alerting/delivery/retraining-service.js';
import { getChannelHealth, listChannelHealth, writeChannelHealth, type ChannelHealth } from '../../alerting/store/channel-health.js';
import { deleteDefinition, getDefinition, listDefinitions, saveDefinition, type DefinitionKind, type StoredDefinition } from '../../alerting/store/definition-store.js';
import { listDeliveries, type DeliveryLogEntry, type DeliveryStatus } from '../../alerting/store/delivery-log.js';
import { getRetrainingRun, listRetrainingRuns, type RetrainingRun } from '../../alerting/store/retraining-run-store.js';
import type { RetrainingTarget } from '../../alerting/render/retraining.js';
import { checkOutgoingUrlStatically, type OutgoingUrlPolicy } from '../../alerting/render/url-policy.js';
import { alertColumns } from '../../alerting/notification.js';
import { formatTimestamp } from '../../analyzer/monitors/definition.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError } from '../errors.js';
import { limitParameter, oneOf, parseTimeParameter } from './query-parameters.js';

export interface DeliveryRouteDeps {
  clickhouse: ClickHouseClient;
  retraining: RetrainingService;
  /** Webhook and pipeline URLs are checked against it when saved (and again before every request). */
  urlPolicy: OutgoingUrlPolicy;
}

/** The outgoing URLs of a definition, by the field that holds them. */
function outgoingUrls(definition: Record<string, unknown>): Array<[field: string, url: string]> {
  if (definition.kind === 'webhook' && typeof definition.url === 'string') return [['url', definition.url]];
  const target = definition.target as RetrainingTarget | undefined;
  if (target === undefined) return [];
  switch (target.kind) {
    case 'github': return [['target.api_url', target.api_url ?? 'https://api.github.com']];
    case 'airflow': case 'kubeflow': return [['target.base_url', target.base_url]];
    case 'webhook': return [['target.url', target.url]];
  }
}

async function checkUrls(definition: Record<string, unknown>, policy: OutgoingUrlPolicy, what: string): Promise<void> {
  for (const [field, url] of outgoingUrls(definition)) {
    const check = await checkOutgoingUrlStatically(url, policy);
    if (!check.ok) {
      throw new ApiError('DW_INVALID_DEFINITION', `${what}: ${field}: refused by the outgoing URL policy (${check.code}): ${check.reason}`, { field });
    }
  }
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** The body with the URL's id filled in (or checked against it). */
function withUrlId(body: unknown, id: string | undefined): unknown {
  if (id === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const record = { ...(body as Record<string, unknown>) };
  if (record.id === undefined) record.id = id;
  else if (record.id !== id) throw new ApiError('DW_INVALID_DEFINITION', `id: must equal the id in the URL ("${id}") or be omitted`, { field: 'id' });
  return record;
}

interface DefinitionKindSpec<T extends { id: string }> {
  kind: DefinitionKind;
  path: string;
  what: string;
  parse(value: unknown): T;
  /** Which SECRET_FIELDS entry applies to a definition. */
  secretKind(definition: { kind?: unknown }): string;
  /** Extra checks against other stored definitions (a subscription's channel exists). */
  check?(definition: T): Promise<void>;
  view?(definition: T): Promise<Record<string, unknown>>;
}

function registerDefinitionRoutes<T extends { id: string }>(app: FastifyInstance, client: ClickHouseClient, spec: DefinitionKindSpec<T>): void {
  const tag = ['alerting'];
  const parse = (value: unknown): T => {
    try {
      return spec.parse(value);
    } catch (error) {
      if (error instanceof DeliveryDefinitionError) throw new ApiError('DW_INVALID_DEFINITION', `${spec.what}: ${error.message}`, { field: error.field });
      throw error;
    }
  };
  const view = async (stored: StoredDefinition): Promise<Record<string, unknown>> => {
    const definition = parse(stored.definition);
    const redacted = redactSecrets(spec.secretKind(definition as { kind?: unknown }), definition);
    return {
      ...redacted.definition, secrets_set: redacted.secrets, source: stored.source, updated_at: new Date(stored.updatedMs).toISOString(),
      ...(spec.view === undefined ? {} : await spec.view(definition)),
    };
  };
  const existing = async (id: string): Promise<StoredDefinition> => {
    const stored = await getDefinition(client, spec.kind, id);
    if (stored === null) throw new ApiError('DW_DEFINITION_NOT_FOUND', `no ${spec.what} "${id}"`);
    return stored;
  };
  const save = async (value: unknown, stored: StoredDefinition | null): Promise<StoredDefinition> => {
    const merged = stored === null ? value : keepStoredSecrets(spec.secretKind(value as { kind?: unknown }), value, stored.definition);
    const definition = parse(merged);
    await spec.check?.(definition);
    return saveDefinition(client, spec.kind, definition.id, definition);
  };

  app.get(spec.path, { config: { scope: 'read' }, schema: { tags: tag, summary: `Every ${spec.what}` } }, async () => {
    const stored = await listDefinitions(client, spec.kind);
    return { items: await Promise.all(stored.map(view)) };
  });
  app.get(`${spec.path}/:id`, { config: { scope: 'read' }, schema: { tags: tag, summary: `One ${spec.what}`, params: IdParams } },
    async (request) => view(await existing((request.params as { id: string }).id)));
  app.post(spec.path, { config: { scope: 'admin' }, schema: { tags: tag, summary: `Create a ${spec.what} (409 when the id exists)` } }, async (request, reply) => {
    const id = (request.body as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await getDefinition(client, spec.kind, id)) !== null) {
      throw new ApiError('DW_DEFINITION_EXISTS', `${spec.what} "${id}" exists; PUT ${spec.path}/${id} replaces it`);
    }
    return reply.code(201).send(await view(await save(request.body, null)));
  });
  app.put(`${spec.path}/:id`, {
    config: { scope: 'admin' },
    schema: { tags: tag, summary: `Create or replace a ${spec.what}; an omitted secret keeps the stored one, null removes an optional one`, params: IdParams },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const stored = await getDefinition(client, spec.kind, id);
    const saved = await save(withUrlId(request.body, id), stored);
    return reply.code(stored === null ? 201 : 200).send(await view(saved));
  });
  app.delete(`${spec.path}/:id`, { config: { scope: 'admin' }, schema: { tags: tag, summary: `Delete a ${spec.what}`, params: IdParams } }, async (request, reply) => {
    const stored = await existing((request.params as { id: string }).id);
    await deleteDefinition(client, spec.kind, stored.id);
    return reply.code(204).send();
  });
}

function healthView(health: ChannelHealth): Record<string, unknown> {
  return {
    disabled: health.disabled,
    consecutive_failures: health.consecutiveFailures,
    reason: health.reason === '' ? null : health.reason,
    since: health.updatedMs === 0 ? null : new Date(health.updatedMs).toISOString(),
  };
}

function deliveryView(entry: DeliveryLogEntry): Record<string, unknown> {
  return {
    idempotency_key: entry.idempotencyKey,
    channel_id: entry.channelId,
    channel_kind: entry.channelKind,
    subscription_ids: entry.subscriptionIds,
    model_id: entry.modelId,
    notification_kind: entry.notificationKind,
    attempt: entry.attempt,
    status: entry.status,
    response_code: entry.responseCode,
    detail: entry.detail === '' ? null : entry.detail,
    error_code: entry.errorCode === '' ? null : entry.errorCode,
    error: entry.error === '' ? null : entry.error,
    started_at: new Date(entry.startedMs).toISOString(),
    duration_ms: entry.durationMs,
    instance: entry.instance,
  };
}

export function runView(run: RetrainingRun): Record<string, unknown> {
  const n = run.record.notification;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: run.runId,
    target_id: run.targetId,
    model_id: run.modelId,
    model_version: n.modelVersion,
    rule_id: run.ruleId,
    alert_key: run.alertKey,
    status: run.status,
    reason: run.record.reason === '' ? null : run.record.reason,
    severity: n.severity,
    summary: n.annotations.summary,
    window_start: formatTimestamp(n.window.start),
    window_end: formatTimestamp(n.window.end),
    drifted_features: alertColumns(n),
    link: n.link,
    decision: run.record.decision === null ? null : { ...run.record.decision, at: iso(run.record.decision.at) },
    request: run.record.request === null ? null : { ...run.record.request, at: iso(run.record.request.at) },
    callbacks: run.record.callbacks.map((callback) => ({ ...callback, at: iso(callback.at) })),
    pipeline_url: run.record.pipelineUrl,
    created_at: iso(run.createdMs),
    updated_at: iso(run.updatedMs),
  };
}

function retrainingError(error: unknown): never {
  if (error instanceof RetrainingError) {
    const code = error.code === 'not_found' ? 'DW_TRIGGER_NOT_FOUND' : error.code === 'unauthorized' ? 'DW_TRIGGER_UNAUTHORIZED' : error.code === 'conflict' ? 'DW_TRIGGER_CONFLICT' : 'DW_BAD_REQUEST';
    throw new ApiError(code, error.message);
  }
  throw error;
}

const DecisionBody = Type.Object({
  by: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Who decided (shown in history); default "api"' })),
  comment: Type.Optional(Type.String({ maxLength: 4096 })),
}, { additionalProperties: false });

const checkDecision = alertingAjv.compile(DecisionBody);

function describeFirstError(errors: typeof checkDecision.errors): string {
  const error = errors?.[0];
  if (error === undefined) return 'invalid';
  const { path, problem } = describeSchemaError(error);
  return `${path.join('.') || 'body'}: ${problem}`;
}

const CallbackBody = Type.Object({
  status: Type.Unsafe<CallbackStatus>({ type: 'string', enum: [...CALLBACK_STATUSES] }),
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The pipeline run page' })),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  model_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The version the run produced' })),
}, { additionalProperties: false });

export function registerDeliveryRoutes(app: FastifyInstance, deps: DeliveryRouteDeps): void {
  const { clickhouse: client, retraining, urlPolicy } = deps;

  registerDefinitionRoutes<ChannelDefinition>(app, client, {
    kind: 'channel', path: '/v1/channels', what: 'channel', parse: (value) => parseChannel(value),
    secretKind: (definition) => String(definition.kind),
    check: (definition) => checkUrls(definition as unknown as Record<string, unknown>, urlPolicy, 'channel'),
    view: async (definition) => ({ health: healthView(await getChannelHealth(client, definition.id)) }),
  });
  registerDefinitionRoutes(app, client, {
    kind: 'subscription', path: '/v1/subscriptions', what: 'subscription', parse: (value) => parseSubscription(value),
    secretKind: () => 'subscription',
    check: async (definition) => {
      if ((await getDefinition(client, 'channel', definition.channel_id)) === null) {
        throw new ApiError('DW_INVALID_DEFINITION', `subscription: channel_id: no channel "${definition.channel_id}"; create it with POST /v1/channels first`, { field: 'channel_id' });
      }
    },
  });
  registerDefinitionRoutes(app, client, {
    kind: 'retraining_target', path: '/v1/retraining-targets', what: 'retraining target', parse: (value) => parseRetrainingTarget(value),
    secretKind: () => 'retraining_target',
    check: (definition) => checkUrls(definition as unknown as Record<string, unknown>, urlPolicy, 'retraining target'),
  });

  app.post('/v1/channels/:id/enable', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Re-enable a channel disabled after consecutive failed deliveries', params: IdParams },
  }, async (request) => {
    const { id } = request.params as { id: string };
    if ((await getDefinition(client, 'channel', id)) === null) throw new ApiError('DW_DEFINITION_NOT_FOUND', `no channel "${id}"`);
    return { id, health: healthView(await writeChannelHealth(client, { channelId: id, consecutiveFailures: 0, disabled: false, reason: '' }, Date.now())) };
  });

  app.get('/v1/channels/health', {
    config: { scope: 'read' },
    schema: { tags: ['alerting'], summary: 'Health of every channel that ever failed: consecutive failures and whether that disabled it' },
  }, async () => ({ channels: [...(await listChannelHealth(client)).values()].map((health) => ({ id: health.channelId, ...healthView(health) })) }));

  app.get('/v1/deliveries', {
    config: { scope: 'read' },
    schema: {
      tags: ['alerting'], summary: 'The delivery log: every attempt, newest first',
      querystring: Type.Object({
        channel_id: Type.Optional(Type.String()), idempotency_key: Type.Optional(Type.String()), model_id: Type.Optional(Type.String()),
        status: Type.Optional(Type.String()), from: Type.Optional(Type.String()), to: Type.Optional(Type.String()), limit: Type.Optional(Type.String()),
      }),
    },
  }, async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const status = oneOf<DeliveryStatus>(q.status, ['delivered', 'retrying', 'failed', 'skipped'], 'status');
    const entries = await listDeliveries(client, {
      limit: limitParameter(q.limit, 200),
      ...(q.channel_id === undefined ? {} : { channelId: q.channel_id }),
      ...(q.idempotency_key === undefined ? {} : { idempotencyKey: q.idempotency_key }),
      ...(q.model_id === undefined ? {} : { modelId: q.model_id }),
      ...(status === undefined ? {} : { status }),
      ...(q.from === undefined ? {} : { from: parseTimeParameter(q.from, 'from') }),
      ...(q.to === undefined ? {} : { to: parseTimeParameter(q.to, 'to') }),
    });
    return { deliveries: entries.map(deliveryView) };
  });

  app.get('/v1/triggers', {
    config: { scope: 'read' },
    schema: {
      tags: ['alerting'], summary: 'Retraining runs and their status, newest first',
      querystring: Type.Object({ model_id: Type.Optional(Type.String()), target_id: Type.Optional(Type.String()), status: Type.Optional(Type.String()), limit: Type.Optional(Type.String()) }),
    },
  }, async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const status = oneOf(q.status, RETRAINING_STATUSES, 'status');
    const runs = await listRetrainingRuns(client, {
      limit: limitParameter(q.limit, 100),
      ...(q.model_id === undefined ? {} : { modelId: q.model_id }),
      ...(q.target_id === undefined ? {} : { targetId: q.target_id }),
      ...(status === undefined ? {} : { status }),
    });
    return { triggers: runs.map(runView) };
  });

  app.get('/v1/triggers/:id', { config: { scope: 'read' }, schema: { tags: ['alerting'], summary: 'One retraining run', params: IdParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const run = await getRetrainingRun(client, id);
    if (run === null) throw new ApiError('DW_TRIGGER_NOT_FOUND', `no retraining run "${id}"`);
    return runView(run);
  });

  for (const decision of ['approve', 'reject'] as const) {
    app.post(`/v1/triggers/:id/${decision}`, {
      config: { scope: 'admin' },
      // The body is optional, which a Fastify body schema cannot say: checked here.
      schema: { tags: ['alerting'], summary: decision === 'approve' ? 'Approve a run pending approval: the pipeline is called now' : 'Reject a run pending approval', params: IdParams },
    }, async (request) => {
      const { id } = request.params as { id: string };
      const body = (request.body ?? {}) as { by?: string; comment?: string };
      if (!checkDecision(body)) {
        throw new ApiError('DW_BAD_REQUEST', `body: must be {"by"?: string of 1 to 256 characters, "comment"?: string of at most 4096}: ${describeFirstError(checkDecision.errors)}`);
      }
      const run = await (decision === 'approve' ? retraining.approve(id, body.by ?? 'api', body.comment ?? '') : retraining.reject(id, body.by ?? 'api', body.comment ?? '')).catch(retrainingError);
      return runView(run);
    });
  }

  // No API scope: the pipeline authenticates with the run's own token ("Authorization: Bearer <token>").
  app.post('/v1/triggers/:id/callback', {
    schema: { tags: ['alerting'], summary: "The pipeline reports the run's status with the run's callback token", params: IdParams, body: CallbackBody },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match === null) throw new ApiError('DW_TRIGGER_UNAUTHORIZED', 'send "Authorization: Bearer <callback token>" with the token the run was started with');
    const body = request.body as { status: CallbackStatus; url?: string; message?: string; model_version?: string };
    if (body.url !== undefined && !/^https?:\/\//i.test(body.url)) throw new ApiError('DW_BAD_REQUEST', 'url: must be an http:// or https:// URL', { field: 'url' });
    const run = await retraining.callback(id, match[1]!, body).catch(retrainingError);
    return { id: run.runId, status: run.status };
  });
}

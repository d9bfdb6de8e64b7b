// Alert history, the alerts pending or firing now, and silences over HTTP. History holds
// one entry per notification (muted ones flagged); query values are checked here so that
// errors name the parameter.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { formatTimestamp } from '../../analyzer/monitors/definition.js';
import type { NotificationKind, Severity } from '../../alerting/notification.js';
import { SEVERITIES } from '../../alerting/rules/index.js';
import { RuleDefinitionError } from '../../alerting/rules/index.js';
import { parseSilence, type Silence } from '../../alerting/state/index.js';
import { listEvents, type AlertEvent } from '../../alerting/store/event-store.js';
import { getSilence, expireSilence, listSilences, saveSilence } from '../../alerting/store/silence-store.js';
import { listActiveStates } from '../../alerting/store/state-store.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError } from '../errors.js';
import { limitParameter, oneOf, parseTimeParameter } from './query-parameters.js';

export interface AlertRouteDeps {
  clickhouse: ClickHouseClient;
}

const KINDS = ['firing', 'repeat', 'resolved'] as const;
/** state=firing: the messages that announced or repeated a firing alert; state=resolved: the resolutions. */
const STATES: Record<string, NotificationKind[]> = { firing: ['firing', 'repeat'], resolved: ['resolved'] };

function eventView(event: AlertEvent): Record<string, unknown> {
  const n = event.notification;
  return {
    idempotency_key: event.idempotencyKey,
    kind: n.kind,
    rule_id: n.ruleId,
    rule_name: n.ruleName,
    severity: n.severity,
    model_id: n.modelId,
    model_version: n.modelVersion,
    monitor_id: n.monitorId,
    segment: n.segment,
    window_start: formatTimestamp(n.window.start),
    window_end: formatTimestamp(n.window.end),
    firing_since: n.firingSince === null ? null : formatTimestamp(n.firingSince),
    created_at: new Date(n.createdAt).toISOString(),
    muted: event.muted,
    mute_reason: event.muteReason === '' ? null : event.muteReason,
    summary: n.annotations.summary,
    description: n.annotations.description,
    runbook_url: n.annotations.runbookUrl,
    link: n.link,
    labels: n.labels,
    reference: n.reference,
    items: n.items,
  };
}

function silenceStatus(silence: Silence, now: number): 'pending' | 'active' | 'expired' {
  return now < silence.startsAt ? 'pending' : now < silence.endsAt ? 'active' : 'expired';
}

function silenceView(silence: Silence, now: number): Record<string, unknown> {
  return {
    id: silence.id,
    matchers: silence.matchers,
    starts_at: new Date(silence.startsAt).toISOString(),
    ends_at: new Date(silence.endsAt).toISOString(),
    created_by: silence.createdBy,
    comment: silence.comment,
    status: silenceStatus(silence, now),
  };
}

export function registerAlertRoutes(app: FastifyInstance, deps: AlertRouteDeps): void {
  const { clickhouse } = deps;

  app.get('/v1/alerts', {
    config: { scope: 'read' },
    schema: {
      tags: ['alerting'],
      summary: 'Alert history, newest window first: one entry per notification (muted ones flagged)',
      description: 'Filters: state (firing = firing and repeat messages, resolved), kind (firing, repeat, resolved), model, severity, rule, muted (true/false), from/to (window start, RFC 3339 or epoch ms), limit (1..10000, default 100).',
      querystring: Type.Object({
        state: Type.Optional(Type.String()), kind: Type.Optional(Type.String()), model: Type.Optional(Type.String()), severity: Type.Optional(Type.String()),
        rule: Type.Optional(Type.String()), muted: Type.Optional(Type.String()), from: Type.Optional(Type.String()), to: Type.Optional(Type.String()), limit: Type.Optional(Type.String()),
      }, { additionalProperties: false }),
    },
  }, async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const state = oneOf(query.state, Object.keys(STATES), 'state');
    const kind = oneOf(query.kind, KINDS, 'kind');
    const severity = oneOf<Severity>(query.severity, SEVERITIES, 'severity');
    const muted = oneOf(query.muted, ['true', 'false'] as const, 'muted');
    let kinds: NotificationKind[] | undefined = state === undefined ? undefined : STATES[state];
    if (kind !== undefined) kinds = kinds === undefined ? [kind] : kinds.filter((candidate) => candidate === kind);
    const limit = limitParameter(query.limit, 100);
    const events = await listEvents(clickhouse, {
      ...(kinds === undefined ? {} : { kinds }),
      ...(query.model === undefined ? {} : { modelId: query.model }),
      ...(query.rule === undefined ? {} : { ruleId: query.rule }),
      ...(severity === undefined ? {} : { severity }),
      ...(muted === undefined ? {} : { muted: muted === 'true' }),
      ...(query.from === undefined ? {} : { from: parseTimeParameter(query.from, 'from') }),
      ...(query.to === undefined ? {} : { to: parseTimeParameter(query.to, 'to') }),
      limit,
    });
    return { alerts: events.map(eventView) };
  });

  app.get('/v1/alerts/active', {
    config: { scope: 'read' },
    schema: {
      tags: ['alerting'],
      summary: 'Alert instances pending or firing now',
      querystring: Type.Object({ model: Type.Optional(Type.String()), rule: Type.Optional(Type.String()) }, { additionalProperties: false }),
    },
  }, async (request) => {
    const query = request.query as { model?: string; rule?: string };
    const states = await listActiveStates(clickhouse, { ...(query.model === undefined ? {} : { modelId: query.model }), ...(query.rule === undefined ? {} : { ruleId: query.rule }) });
    return {
      alerts: states.map((stored) => {
        const [, , modelVersion, monitorId, segmentName, segmentValue] = JSON.parse(stored.instanceKey) as Array<string | null>;
        const time = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));
        return {
          rule_id: stored.ruleId,
          model_id: stored.modelId,
          model_version: modelVersion ?? null,
          monitor_id: monitorId ?? null,
          segment: segmentName === null || segmentName === undefined ? null : { name: segmentName, value: segmentValue ?? null },
          column: stored.column,
          metric: stored.metric,
          status: stored.state.status,
          since: time(stored.state.since),
          firing_since: time(stored.state.firingSince),
          pending_count: stored.state.pendingCount,
          last_value: stored.state.lastValue,
          last_evaluated_window: time(stored.state.lastEvaluatedAt),
          updated_at: new Date(stored.updatedMs).toISOString(),
        };
      }),
    };
  });

  app.get('/v1/silences', {
    config: { scope: 'read' },
    schema: { tags: ['alerting'], summary: 'Every silence, with its status (pending, active, expired)' },
  }, async () => {
    const now = Date.now();
    return { silences: (await listSilences(clickhouse)).map((stored) => silenceView(stored.silence, now)) };
  });

  app.post('/v1/silences', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Create a silence', description: 'Body: {id, matchers: [{name, operator (= != =~ !~), value}], starts_at?, ends_at, created_by, comment?}. Muted alerts still change state; their notifications are kept in history, flagged muted.' },
  }, async (request, reply) => {
    const now = Date.now();
    let silence: Silence;
    try {
      silence = parseSilence(request.body, now);
    } catch (error) {
      if (error instanceof RuleDefinitionError) throw new ApiError('DW_INVALID_SILENCE', error.message, { field: error.field });
      throw error;
    }
    if ((await getSilence(clickhouse, silence.id)) !== null) throw new ApiError('DW_SILENCE_EXISTS', `silence "${silence.id}" exists; expire it with DELETE /v1/silences/${silence.id} and create another id`);
    await saveSilence(clickhouse, silence, now);
    return reply.code(201).send(silenceView(silence, now));
  });

  app.delete('/v1/silences/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Expire a silence now (it stays listed as expired)', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const stored = await getSilence(clickhouse, id);
    if (stored === null) throw new ApiError('DW_SILENCE_NOT_FOUND', `no silence "${id}"`);
    const now = Date.now();
    const expired = await expireSilence(clickhouse, stored.silence, now);
    return silenceView(expired.silence, now);
  });
}

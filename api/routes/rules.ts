// Alert rules over HTTP: list, read, create, replace, delete (admin), and the presets a
// rule can start from. A body may be a preset reference ({"preset": ..., "params": ...}).
// Validation errors name the field, as the config file's do.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseRule, PRESET_NAMES, PRESETS, ruleToJson, RuleDefinitionError, type Rule } from '../../alerting/rules/index.js';
import { deleteRule, getRule, listRules, saveRule, type StoredRule } from '../../alerting/store/rule-store.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError } from '../errors.js';

export interface RuleRouteDeps {
  clickhouse: ClickHouseClient;
}

const RuleIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

function view(stored: StoredRule): Record<string, unknown> {
  return { ...ruleToJson(stored.rule), source: stored.source, updated_at: new Date(stored.updatedMs).toISOString() };
}

function parseBody(body: unknown, id?: string): Rule {
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : body;
  if (id !== undefined && value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.id === undefined) record.id = id;
    else if (record.id !== id) throw new ApiError('DW_INVALID_RULE', `id: must equal the id in the URL ("${id}") or be omitted`, { field: 'id' });
  }
  try {
    return parseRule(value);
  } catch (error) {
    if (error instanceof RuleDefinitionError) throw new ApiError('DW_INVALID_RULE', error.message, { field: error.field });
    throw error;
  }
}

async function existing(client: ClickHouseClient, id: string): Promise<StoredRule> {
  const stored = await getRule(client, id);
  if (stored === null) throw new ApiError('DW_RULE_NOT_FOUND', `no alert rule "${id}"`);
  return stored;
}

export function registerRuleRoutes(app: FastifyInstance, deps: RuleRouteDeps): void {
  const { clickhouse } = deps;

  app.get('/v1/rules', {
    config: { scope: 'read' },
    schema: { tags: ['alerting'], summary: 'Every alert rule (API and config file)', querystring: Type.Object({ model_id: Type.Optional(Type.String()) }) },
  }, async (request) => {
    const { model_id: modelId } = request.query as { model_id?: string };
    const rules = (await listRules(clickhouse)).filter((stored) => modelId === undefined || stored.rule.modelId === null || stored.rule.modelId === modelId);
    return { rules: rules.map(view) };
  });

  app.get('/v1/rules/presets', {
    config: { scope: 'read' },
    schema: { tags: ['alerting'], summary: 'The presets a rule can be created from, with the JSON schema of their params' },
  }, async () => ({
    presets: PRESET_NAMES.map((name) => ({ name, title: PRESETS[name].title, params: PRESETS[name].params })),
  }));

  app.get('/v1/rules/:id', {
    config: { scope: 'read' },
    schema: { tags: ['alerting'], summary: 'One alert rule', params: RuleIdParams },
  }, async (request) => view(await existing(clickhouse, (request.params as { id: string }).id)));

  app.post('/v1/rules', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Create an alert rule', description: 'The body is a rule definition or a preset reference {"preset", "params", ...overrides}; 409 when the id exists.' },
  }, async (request, reply) => {
    const rule = parseBody(request.body);
    if ((await getRule(clickhouse, rule.id)) !== null) throw new ApiError('DW_RULE_EXISTS', `alert rule "${rule.id}" exists; PUT /v1/rules/${rule.id} replaces it`);
    return reply.code(201).send(view(await saveRule(clickhouse, rule, 'api')));
  });

  app.put('/v1/rules/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Create or replace an alert rule', params: RuleIdParams },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const rule = parseBody(request.body, id);
    const created = (await getRule(clickhouse, id)) === null;
    return reply.code(created ? 201 : 200).send(view(await saveRule(clickhouse, rule, 'api')));
  });

  app.delete('/v1/rules/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['alerting'], summary: 'Delete an alert rule (its alert history stays)', params: RuleIdParams },
  }, async (request, reply) => {
    const stored = await existing(clickhouse, (request.params as { id: string }).id);
    await deleteRule(clickhouse, stored.rule.id);
    return reply.code(204).send();
  });
}

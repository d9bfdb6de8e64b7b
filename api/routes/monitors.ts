// Monitors over HTTP: list, read, create, replace, delete (admin), run a window now, and
// the run history. Validation errors name the field, as the config file's do.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  MonitorDefinitionError,
  monitorToJson,
  parseMonitor,
  windowContaining,
  windowSizeMs,
  type Monitor,
} from '../../analyzer/monitors/index.js';
import { jobId, type AnalysisJob } from '../../analyzer/service/jobs.js';
import { deleteMonitor, getMonitor, listMonitors, saveMonitor, type StoredMonitor } from '../../analyzer/service/monitor-store.js';
import { listRuns, type RunStatus } from '../../analyzer/service/run-store.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError } from '../errors.js';
import { parseTimeParameter } from './query-parameters.js';

export interface MonitorRouteDeps {
  clickhouse: ClickHouseClient;
  enqueueJobs(jobs: AnalysisJob[]): Promise<void>;
  /** Called after a monitor is saved (not awaited): a fixed reference's bins are frozen here. */
  onSaved?(monitor: Monitor): void;
}

const MonitorIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

function view(stored: StoredMonitor): Record<string, unknown> {
  return { ...monitorToJson(stored.monitor), source: stored.source, updated_at: new Date(stored.updatedMs).toISOString() };
}

function parseBody(body: unknown, id?: string): Monitor {
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : body;
  if (id !== undefined && value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.id === undefined) record.id = id;
    else if (record.id !== id) throw new ApiError('DW_INVALID_MONITOR', `id: must equal the id in the URL ("${id}") or be omitted`);
  }
  try {
    return parseMonitor(value);
  } catch (error) {
    if (error instanceof MonitorDefinitionError) throw new ApiError('DW_INVALID_MONITOR', error.message, { field: error.field });
    throw error;
  }
}

async function existing(client: ClickHouseClient, id: string): Promise<StoredMonitor> {
  const stored = await getMonitor(client, id);
  if (stored === null) throw new ApiError('DW_MONITOR_NOT_FOUND', `no monitor "${id}"`);
  return stored;
}

export function registerMonitorRoutes(app: FastifyInstance, deps: MonitorRouteDeps): void {
  const { clickhouse } = deps;

  app.get('/v1/monitors', {
    config: { scope: 'read' },
    schema: { tags: ['monitors'], summary: 'Every monitor (API, config file and default ones)', querystring: Type.Object({ model_id: Type.Optional(Type.String()) }) },
  }, async (request) => {
    const { model_id: modelId } = request.query as { model_id?: string };
    return { monitors: (await listMonitors(clickhouse, modelId)).map(view) };
  });

  app.get('/v1/monitors/:id', {
    config: { scope: 'read' },
    schema: { tags: ['monitors'], summary: 'One monitor', params: MonitorIdParams },
  }, async (request) => view(await existing(clickhouse, (request.params as { id: string }).id)));

  app.post('/v1/monitors', {
    config: { scope: 'admin' },
    schema: { tags: ['monitors'], summary: 'Create a monitor', description: 'The body is a monitor definition (see the Monitor schema); 409 when the id exists.' },
  }, async (request, reply) => {
    const monitor = parseBody(request.body);
    if ((await getMonitor(clickhouse, monitor.id)) !== null) throw new ApiError('DW_MONITOR_EXISTS', `monitor "${monitor.id}" exists; PUT /v1/monitors/${monitor.id} replaces it`);
    const saved = await saveMonitor(clickhouse, monitor, 'api');
    deps.onSaved?.(monitor);
    return reply.code(201).send(view(saved));
  });

  app.put('/v1/monitors/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['monitors'], summary: 'Create or replace a monitor', params: MonitorIdParams },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const monitor = parseBody(request.body, id);
    const created = (await getMonitor(clickhouse, id)) === null;
    const saved = await saveMonitor(clickhouse, monitor, 'api');
    deps.onSaved?.(monitor);
    return reply.code(created ? 201 : 200).send(view(saved));
  });

  app.delete('/v1/monitors/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['monitors'], summary: 'Delete a monitor (its stored results stay)', params: MonitorIdParams },
  }, async (request, reply) => {
    const stored = await existing(clickhouse, (request.params as { id: string }).id);
    await deleteMonitor(clickhouse, stored.monitor);
    return reply.code(204).send();
  });

  app.post('/v1/monitors/:id/run', {
    config: { scope: 'admin' },
    schema: {
      tags: ['monitors'],
      summary: 'Analyse a window now (default: the newest complete window); re-running replaces its results',
      params: MonitorIdParams,
      body: Type.Optional(Type.Object({ window_start: Type.Optional(Type.Union([Type.String(), Type.Integer()])) }, { additionalProperties: false })),
    },
  }, async (request, reply) => {
    const { monitor } = await existing(clickhouse, (request.params as { id: string }).id);
    const now = Date.now();
    const body = (request.body ?? {}) as { window_start?: string | number };
    const at = body.window_start === undefined ? now - windowSizeMs(monitor.window) : parseTimeParameter(body.window_start, 'window_start');
    const window = windowContaining(monitor.window, at);
    if (window.end > now) throw new ApiError('DW_BAD_REQUEST', `window_start: the window ${new Date(window.start).toISOString()} .. ${new Date(window.end).toISOString()} is not complete yet`);
    const job: AnalysisJob = { jobId: jobId(monitor.id, window.start, 'manual', now), monitorId: monitor.id, windowStart: window.start, windowEnd: window.end, reason: 'manual', requestedMs: now };
    await deps.enqueueJobs([job]);
    return reply.code(202).send({ job_id: job.jobId, monitor_id: monitor.id, window_start: new Date(window.start).toISOString(), window_end: new Date(window.end).toISOString() });
  });

  app.get('/v1/monitors/:id/runs', {
    config: { scope: 'read' },
    schema: {
      tags: ['monitors'],
      summary: 'Analysis runs of a monitor, newest first (running, succeeded, failed with its error)',
      params: MonitorIdParams,
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
      }),
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const query = request.query as { status?: RunStatus; limit?: number };
    const runs = await listRuns(clickhouse, { monitorId: id, ...(query.status ? { status: query.status } : {}), limit: query.limit ?? 100 });
    return {
      runs: runs.map((run) => ({
        run_id: run.runId,
        job_id: run.jobId,
        window_start: new Date(run.windowStart).toISOString(),
        window_end: new Date(run.windowEnd).toISOString(),
        reason: run.reason,
        status: run.status,
        error: run.error || null,
        instance: run.instance,
        started_at: new Date(run.startedMs).toISOString(),
        finished_at: run.finishedMs === 0 ? null : new Date(run.finishedMs).toISOString(),
        duration_ms: run.finishedMs === 0 ? null : run.finishedMs - run.startedMs,
      })),
    };
  });
}

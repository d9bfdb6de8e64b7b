import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { retrainingServiceFrom } from '../alerting/delivery/from-config.js';
import type { RetrainingService } from '../alerting/delivery/retraining-service.js';
import type { DriftwatchConfig, Scope } from '../config/config.js';
import type { KafkaAdapter } from '../messaging/kafka.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { FeatureLogEvent, LabelEvent, PredictionEvent } from '../schemas/events.js';
import type { ClickHouseClient } from '../storage/clickhouse.js';
import { listModels } from '../storage/model-catalog.js';
import { authorize } from './auth.js';
import { ApiError, errorBody } from './errors.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerDeliveryRoutes } from './routes/delivery.js';
import { registerIngestRoutes } from './routes/ingest.js';
import { registerMonitorRoutes } from './routes/monitors.js';
import { registerReferenceRoutes } from './routes/references.js';
import { registerResultRoutes } from './routes/results.js';
import { registerRuleRoutes } from './routes/rules.js';
import { enqueueJobs } from '../analyzer/service/job-runner.js';
import { MonitorSchema, type Monitor } from '../analyzer/monitors/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a bearer token needs; routes without one are public (health, metrics, docs). */
    scope?: Scope;
  }
}

export interface ApiDeps {
  config: DriftwatchConfig;
  clickhouse: ClickHouseClient;
  kafka: KafkaAdapter;
  metrics: Metrics;
  log: Logger;
  /** Default: one built from the configuration. */
  retraining?: RetrainingService;
  /** Called (not awaited) after a monitor is saved through the API. */
  onMonitorSaved?(monitor: Monitor): void;
}

async function isClickHouseReachable(client: ClickHouseClient): Promise<boolean> {
  try {
    const result = await client.ping();
    return result.success;
  } catch {
    return false;
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Monitor ids and dataset names may be 128 characters, model ids 256.
  const app = Fastify({ logger: false, bodyLimit: config.http.bodyLimitBytes, maxParamLength: 512 });

  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope) authorize(config.auth.tokens, request.headers.authorization, scope);
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(errorBody(error.code, error.message, error.details));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return reply.code(413).send(errorBody('DW_PAYLOAD_TOO_LARGE', `the body exceeds ${config.http.bodyLimitBytes} bytes; send smaller batches`));
    if (status === 415) return reply.code(415).send(errorBody('DW_UNSUPPORTED_MEDIA_TYPE', 'send application/json or application/x-ndjson'));
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody('DW_BAD_REQUEST', (error as Error).message));
    deps.log.error('unhandled API error', { error: (error as Error).message, stack: (error as Error).stack });
    return reply.code(500).send(errorBody('DW_INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('DW_NOT_FOUND', `no route ${request.method} ${request.url}`)));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Driftwatch API', version: '1', description: 'Drift and performance observability for ML models in production' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: { PredictionEvent, FeatureLogEvent, LabelEvent, Monitor: MonitorSchema } as never,
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/healthz', { schema: { tags: ['ops'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['ops'], summary: 'ClickHouse and Kafka are reachable' } }, async (_request, reply) => {
    const [clickhouse, kafka] = await Promise.all([isClickHouseReachable(deps.clickhouse), deps.kafka.isReachable(2000)]);
    const ready = clickhouse && kafka;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', clickhouse, kafka });
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  app.get('/v1/models', {
    config: { scope: 'read' },
    schema: { tags: ['models'], summary: 'Every model seen, with per-version event counts (deduplicated by event_id)' },
  }, async () => ({ models: await listModels(deps.clickhouse) }));

  registerIngestRoutes(app, deps);
  registerMonitorRoutes(app, {
    clickhouse: deps.clickhouse,
    enqueueJobs: (jobs) => enqueueJobs(deps.kafka, config.kafka.topics.jobs, jobs),
    ...(deps.onMonitorSaved === undefined ? {} : { onSaved: deps.onMonitorSaved }),
  });
  registerResultRoutes(app, { clickhouse: deps.clickhouse });
  registerReferenceRoutes(app, { client: deps.clickhouse, log: deps.log });
  registerRuleRoutes(app, { clickhouse: deps.clickhouse });
  registerAlertRoutes(app, { clickhouse: deps.clickhouse });
  registerDeliveryRoutes(app, {
    clickhouse: deps.clickhouse,
    retraining: deps.retraining ?? retrainingServiceFrom(config, deps.clickhouse, deps.log),
    urlPolicy: config.alerting.urlPolicy,
  });
  return app;
}

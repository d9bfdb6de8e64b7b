import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DriftwatchConfig } from '../../config/config.js';
import { decodeHttpBatch } from '../../ingest/http-batch.js';
import type { KafkaAdapter } from '../../messaging/kafka.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { EVENT_SCHEMAS, type EventKind } from '../../schemas/events.js';
import { ApiError } from '../errors.js';

const ROUTE_KINDS: Record<string, { kind: EventKind; topic: (config: DriftwatchConfig) => string }> = {
  predictions: { kind: 'prediction', topic: (config) => config.kafka.topics.predictions },
  features: { kind: 'feature_log', topic: (config) => config.kafka.topics.features },
  labels: { kind: 'label', topic: (config) => config.kafka.topics.labels },
};

const IngestResponse = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  errors: Type.Array(Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String() })),
});

export function registerIngestRoutes(app: FastifyInstance, deps: { config: DriftwatchConfig; kafka: KafkaAdapter; metrics: Metrics; log: Logger }): void {
  for (const [path, { kind, topic }] of Object.entries(ROUTE_KINDS)) {
    app.post(`/v1/ingest/${path}`, {
      config: { scope: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: `Ingest ${path} (JSON array, one JSON object, or NDJSON)`,
        description: `Each record must match ${EVENT_SCHEMAS[kind].$id}. Accepted records are durably queued on Kafka before the answer; rejected ones are listed with their index.`,
        response: { 202: IngestResponse, 400: Type.Any() },
      },
    }, async (request, reply) => {
      const isNdjson = (request.headers['content-type'] ?? '').startsWith('application/x-ndjson');
      const outcomes = decodeHttpBatch(kind, request.body, isNdjson, Date.now(), deps.config.ingest);
      if (outcomes.length === 0) throw new ApiError('DW_EMPTY_BATCH');
      const accepted = outcomes.flatMap((outcome) => (outcome.ok ? [outcome] : []));
      const errors = outcomes.flatMap((outcome) => (outcome.ok ? [] : [{ index: outcome.index, code: outcome.rejection.code, message: outcome.rejection.message }]));
      for (const error of errors) deps.metrics.eventsRejected.inc({ kind, source: 'http', reason: error.code });
      if (accepted.length === 0) throw new ApiError('DW_ALL_REJECTED', undefined, errors);
      try {
        await deps.kafka.send(topic(deps.config), accepted.map((record) => ({ key: record.eventId, value: record.json })));
      } catch (error) {
        deps.log.error('could not queue HTTP events on Kafka', { kind, error: (error as Error).message });
        throw new ApiError('DW_UNAVAILABLE', 'Kafka is unavailable; nothing from this request was accepted, retry later');
      }
      return reply.code(202).send({ accepted: accepted.length, rejected: errors.length, errors });
    });
  }
}

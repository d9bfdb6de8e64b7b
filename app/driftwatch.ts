// One binary, several roles: the same start-up code runs the API, the ingest consumers,
// or both, so ingest scales out as more consumers in the group.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.js';
import type { DriftwatchConfig } from '../config/config.js';
import { isLoopbackHost } from '../config/config.js';
import { DecodePool } from '../ingest/decode-pool.js';
import { EventWriter } from '../ingest/event-writer.js';
import { KafkaIngest } from '../ingest/kafka-ingest.js';
import { KafkaAdapter } from '../messaging/kafka.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { createClickHouse } from '../storage/clickhouse.js';
import { migrate } from '../storage/migrate.js';

export interface RunningDriftwatch {
  /** Where the API listens, when the api role runs. */
  url: string | undefined;
  stop(): Promise<void>;
}

export async function startDriftwatch(config: DriftwatchConfig, log: Logger): Promise<RunningDriftwatch> {
  const applied = await migrate(config.clickhouse);
  if (applied.length > 0) log.info('migrations applied', { versions: applied });

  const metrics = new Metrics();
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: config.kafka.clientId }, log);
  const { topics } = config.kafka;
  await kafka.ensureTopics([topics.predictions, topics.features, topics.labels, topics.dlq], config.kafka.topicPartitions);

  let ingest: KafkaIngest | undefined;
  let decodePool: DecodePool | undefined;
  if (config.roles.has('ingest')) {
    const writer = new EventWriter(clickhouse, { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs });
    decodePool = new DecodePool(config.ingest.decodeWorkers);
    ingest = new KafkaIngest({ config, kafka, writer, decodePool, metrics, log });
    await ingest.start();
    log.info('ingest consumers started', { group: config.kafka.groupId, topics: [topics.predictions, topics.features, topics.labels] });
  }

  let api: FastifyInstance | undefined;
  let url: string | undefined;
  if (config.roles.has('api')) {
    api = await buildApi({ config, clickhouse, kafka, metrics, log });
    url = await api.listen({ host: config.http.host, port: config.http.port });
    if (config.auth.tokens.length === 0) {
      log.warn('no API tokens configured: the API is unauthenticated and bound to loopback only', { host: config.http.host, loopback: isLoopbackHost(config.http.host) });
    }
    log.info('API listening', { url, docs: `${url}/docs` });
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Shutdown checklist: stop intake, drain the batch in flight (written + committed), close clients.
    stopping ??= (async () => {
      await api?.close();
      await ingest?.stop();
      await decodePool?.close();
      await kafka.close();
      await clickhouse.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { url, stop };
}

// Per-test-file isolation on the shared services: a database and topics of its own, and a
// guard that refuses to drop any database whose name does not say it is a test database.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type DriftwatchConfig } from '../../config/config.js';
import { createClickHouse, queryRows } from '../../storage/clickhouse.js';
import { identifier } from '../../storage/sql.js';

export const TEST_DATABASE_PREFIX = 'driftwatch_test_';

export function testEnv(name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const suffix = `${name}_${randomBytes(3).toString('hex')}`;
  return {
    DRIFTWATCH_CLICKHOUSE_URL: process.env.DRIFTWATCH_CLICKHOUSE_URL ?? 'http://127.0.0.1:18123',
    DRIFTWATCH_KAFKA_BROKERS: process.env.DRIFTWATCH_KAFKA_BROKERS ?? '127.0.0.1:19092',
    DRIFTWATCH_CLICKHOUSE_DATABASE: `${TEST_DATABASE_PREFIX}${suffix}`,
    DRIFTWATCH_TOPIC_PREDICTIONS: `test.${suffix}.predictions`,
    DRIFTWATCH_TOPIC_FEATURES: `test.${suffix}.features`,
    DRIFTWATCH_TOPIC_LABELS: `test.${suffix}.labels`,
    DRIFTWATCH_TOPIC_DLQ: `test.${suffix}.dlq`,
    DRIFTWATCH_TOPIC_JOBS: `test.${suffix}.jobs`,
    DRIFTWATCH_KAFKA_GROUP_ID: `test-${suffix}`,
    DRIFTWATCH_ANALYZER_GROUP_ID: `test-${suffix}-analyzer`,
    DRIFTWATCH_TOPIC_NOTIFICATIONS: `test.${suffix}.notifications`,
    DRIFTWATCH_ALERTING_GROUP_ID: `test-${suffix}-alerting`,
    DRIFTWATCH_RETRY_INITIAL_MS: '100',
    DRIFTWATCH_RETRY_MAX_MS: '1000',
    DRIFTWATCH_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  };
}

export function testConfig(name: string, extra: NodeJS.ProcessEnv = {}): DriftwatchConfig {
  return loadConfig(testEnv(name, extra), undefined);
}

export function assertTestDatabase(database: string): void {
  if (!database.startsWith(TEST_DATABASE_PREFIX)) {
    throw new Error(`refusing to drop database "${database}": test databases must start with ${TEST_DATABASE_PREFIX}`);
  }
}

export async function dropTestDatabase(config: DriftwatchConfig): Promise<void> {
  assertTestDatabase(config.clickhouse.database);
  const admin = createClickHouse(config.clickhouse, { withDatabase: false });
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${identifier(config.clickhouse.database)}` });
  } finally {
    await admin.close();
  }
}

export async function scalar(config: DriftwatchConfig, query: string): Promise<number> {
  const client = createClickHouse(config.clickhouse);
  try {
    const rows = await queryRows<{ value: string | number }>(client, query);
    return Number(rows[0]?.value ?? NaN);
  } finally {
    await client.close();
  }
}

/** Runs a statement that answers no rows (CREATE, INSERT ... VALUES, ALTER). */
export async function command(config: DriftwatchConfig, query: string): Promise<void> {
  const client = createClickHouse(config.clickhouse);
  try {
    await client.command({ query });
  } finally {
    await client.close();
  }
}

export async function rows<T>(config: DriftwatchConfig, query: string): Promise<T[]> {
  const client = createClickHouse(config.clickhouse);
  try {
    return await queryRows<T>(client, query);
  } finally {
    await client.close();
  }
}

/** A plain kafkajs client, independent of Driftwatch's adapter, playing the serving stack. */
export function rawKafka(config: DriftwatchConfig): Kafka {
  return new Kafka({ clientId: 'test-serving-stack', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
}

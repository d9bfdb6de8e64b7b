// Kafka -> ClickHouse round trip against the real broker and server: field values,
// deduplication of redelivered events, and the dead-letter topic for bad input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Consumer, Producer } from 'kafkajs';
import { startDriftwatch, type RunningDriftwatch } from '../../app/driftwatch.js';
import type { DriftwatchConfig } from '../../config/config.js';
import { DLQ_HEADERS } from '../../ingest/dead-letter.js';
import { silentLogger } from '../../observability/logger.js';
import { dropTestDatabase, rawKafka, rows, scalar, testConfig } from '../helpers/environment.js';
import { waitFor } from '../helpers/wait.js';

const MAX_MESSAGE_BYTES = 4096;
let config: DriftwatchConfig;
let driftwatch: RunningDriftwatch;
let producer: Producer;

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

function prediction(i: number) {
  return {
    event_id: `p-${i}`,
    model_id: 'fraud',
    model_version: i % 2 === 0 ? 'v1' : 'v2',
    timestamp: i % 3 === 0 ? new Date(T0 + i * 1000 + 250).toISOString() : T0 + i * 1000 + 250,
    features: { amount: i * 1.5, country: i % 2 === 0 ? 'DE' : 'FR', is_new: i % 5 === 0, age: i % 7 === 0 ? null : 30 + (i % 40) },
    prediction: i % 4 === 0 ? 'fraud' : 'ok',
    score: (i % 100) / 100,
    scores: { fraud: (i % 100) / 100, ok: 1 - (i % 100) / 100 },
    segments: { channel: i % 2 === 0 ? 'web' : 'app' },
  };
}

async function produce(topic: string, values: Array<string | Buffer>): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
}

before(async () => {
  config = testConfig('kafka', { DRIFTWATCH_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  driftwatch = await startDriftwatch(config, silentLogger);
  producer = rawKafka(config).producer();
  await producer.connect();
});

after(async () => {
  await producer?.disconnect();
  await driftwatch?.stop();
  if (config) await dropTestDatabase(config);
});

test('predictions, feature logs and labels land in ClickHouse with their field values', async () => {
  const { topics } = config.kafka;
  await produce(topics.predictions, Array.from({ length: 500 }, (_, i) => JSON.stringify(prediction(i))));
  await produce(topics.features, Array.from({ length: 200 }, (_, i) => JSON.stringify({ event_id: `p-${i}`, model_id: 'fraud', timestamp: T0 + i * 1000, features: { extra: i, flag: 'y' } })));
  await produce(topics.labels, Array.from({ length: 100 }, (_, i) => JSON.stringify({ event_id: `p-${i}`, model_id: 'fraud', timestamp: '2026-11-22T00:00:00Z', label: i % 4 === 0 ? 'fraud' : 'ok' })));

  await waitFor(async () => (await scalar(config, 'SELECT count() AS value FROM predictions FINAL')) === 500, { what: '500 predictions' });
  await waitFor(async () => (await scalar(config, 'SELECT count() AS value FROM feature_logs FINAL')) === 200, { what: '200 feature logs' });
  await waitFor(async () => (await scalar(config, 'SELECT count() AS value FROM labels FINAL')) === 100, { what: '100 labels' });

  const [row] = await rows<Record<string, unknown>>(config, `SELECT *, toUInt32(ts) AS ts_seconds FROM predictions FINAL WHERE event_id = 'p-35'`);
  assert.ok(row);
  assert.equal(row.model_version, 'v2');
  assert.equal(Number(row.ts_seconds), Math.floor((T0 + 35_250) / 1000));
  assert.equal(Number(row.ts_ms), 250);
  assert.deepEqual(row.num_feature_names, ['amount']);
  assert.deepEqual(row.num_feature_values, [52.5]);
  assert.deepEqual(row.cat_feature_names, ['country', 'is_new']);
  assert.deepEqual(row.cat_feature_values, ['FR', 'true']);
  assert.deepEqual(row.null_feature_names, ['age']);
  assert.equal(row.prediction_kind, 'string');
  assert.equal(row.prediction_str, 'ok');
  assert.equal(row.score, 0.35);
  assert.deepEqual(row.score_classes, ['fraud', 'ok']);
  assert.deepEqual(row.segment_names, ['channel']);
  assert.deepEqual(row.segment_values, ['app']);

  const [label] = await rows<Record<string, unknown>>(config, `SELECT label_kind, label_str FROM labels FINAL WHERE event_id = 'p-8'`);
  assert.deepEqual(label, { label_kind: 'string', label_str: 'fraud' });
});

test('a redelivered event is not counted twice', async () => {
  const { topics } = config.kafka;
  // The serving stack retries: the first 100 predictions arrive a second time.
  await produce(topics.predictions, Array.from({ length: 100 }, (_, i) => JSON.stringify(prediction(i))));
  await produce(topics.predictions, [JSON.stringify(prediction(10_000))]);
  await waitFor(async () => (await scalar(config, `SELECT count() AS value FROM predictions WHERE event_id = 'p-10000'`)) === 1, { what: 'the marker event after the duplicates' });

  assert.equal(await scalar(config, 'SELECT count() AS value FROM predictions FINAL'), 501);
  assert.equal(await scalar(config, 'SELECT uniqExact(event_id) AS value FROM predictions'), 501);
  const response = await fetch(`${driftwatch.url}/v1/models`);
  const body = await response.json() as { models: Array<{ model_id: string; predictions: number; feature_logs: number; labels: number; versions: Array<{ model_version: string; predictions: number; labels: number }> }> };
  const fraud = body.models.find((model) => model.model_id === 'fraud');
  assert.ok(fraud);
  assert.equal(fraud.predictions, 501);
  assert.equal(fraud.feature_logs, 200);
  assert.equal(fraud.labels, 100);
  assert.deepEqual(fraud.versions.map((v) => [v.model_version, v.predictions, v.labels]), [['v1', 251, 50], ['v2', 250, 50]]);
  // And the table key itself collapses the copies once merged.
  await rows(config, 'OPTIMIZE TABLE predictions FINAL');
  assert.equal(await scalar(config, 'SELECT count() AS value FROM predictions'), 501);
});

test('malformed messages go to the dead-letter topic with reason and original bytes; the consumer keeps going', async () => {
  const { topics } = config.kafka;
  const bad: Array<{ bytes: Buffer; reason: string }> = [
    { bytes: Buffer.from('{"event_id": "x", '), reason: 'invalid_json' },
    { bytes: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: 'invalid_utf8' },
    { bytes: Buffer.from(JSON.stringify({ ...prediction(1), event_id: undefined })), reason: 'schema_violation' },
    { bytes: Buffer.from(JSON.stringify({ ...prediction(2), features: { nested: { a: 1 } } })), reason: 'schema_violation' },
    { bytes: Buffer.from(JSON.stringify({ ...prediction(3), timestamp: 1_700_000_000 })), reason: 'invalid_timestamp' },
    { bytes: Buffer.from(JSON.stringify({ ...prediction(4), timestamp: '2026-02-30T00:00:00Z' })), reason: 'invalid_timestamp' },
    { bytes: Buffer.from(JSON.stringify({ ...prediction(5), features: { blob: 'x'.repeat(MAX_MESSAGE_BYTES) } })), reason: 'oversize' },
  ];
  await produce(topics.predictions, bad.map((entry) => entry.bytes));
  await produce(topics.predictions, [JSON.stringify(prediction(20_000))]);
  await waitFor(async () => (await scalar(config, `SELECT count() AS value FROM predictions WHERE event_id = 'p-20000'`)) === 1, { what: 'the valid event sent after the bad ones' });

  const consumer: Consumer = rawKafka(config).consumer({ groupId: `${config.kafka.groupId}-dlq-reader` });
  const received: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]));
      received.push({ value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  try {
    await waitFor(() => received.length >= bad.length, { what: `${bad.length} dead letters`, timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  assert.equal(received.length, bad.length);
  for (const entry of bad) {
    const letter = received.find((candidate) => candidate.value.equals(entry.bytes));
    assert.ok(letter, `dead letter with the original bytes of a ${entry.reason} message`);
    assert.equal(letter.headers[DLQ_HEADERS.reason], entry.reason);
    assert.equal(letter.headers[DLQ_HEADERS.topic], topics.predictions);
    assert.equal(letter.headers[DLQ_HEADERS.step], 'decode');
    assert.match(letter.headers[DLQ_HEADERS.partition] ?? '', /^\d+$/);
    assert.match(letter.headers[DLQ_HEADERS.offset] ?? '', /^\d+$/);
    assert.ok((letter.headers[DLQ_HEADERS.message] ?? '').length > 0);
  }
  const metrics = await (await fetch(`${driftwatch.url}/metrics`)).text();
  assert.match(metrics, /driftwatch_events_rejected_total\{kind="prediction",source="kafka",reason="invalid_timestamp"\} 2/);
  assert.match(metrics, /driftwatch_consumer_lag\{topic="[^"]+",partition="\d"\} \d+/);
});

// Writes events straight into ClickHouse (bypassing Kafka) for analyzer tests that need
// known rows in known windows; the rows are built exactly as ingest builds them.
import { ENCODERS } from '../../ingest/batch-decoder.js';
import { insertRowBinary, TABLES } from '../../ingest/event-writer.js';
import { featureLogRow, labelRow, predictionRow } from '../../ingest/rows.js';
import type { FeatureLogEvent, LabelEvent, PredictionEvent } from '../../schemas/events.js';
import { encodeRows } from '../../storage/row-binary.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';

function eventMs(timestamp: string | number): number {
  return typeof timestamp === 'number' ? timestamp : Date.parse(timestamp);
}

export async function insertPredictions(client: ClickHouseClient, events: PredictionEvent[], ingestedAtMs = Date.now()): Promise<void> {
  const rows = events.map((event) => predictionRow(event, { epochMs: eventMs(event.timestamp), ingestedAtSeconds: Math.floor(ingestedAtMs / 1000) }));
  const { bytes, invalid } = encodeRows(ENCODERS.prediction, rows);
  if (invalid.length > 0) throw new Error(`seed rows invalid: ${invalid[0]!.message}`);
  await insertRowBinary(client, TABLES.prediction.table, TABLES.prediction.columns, bytes);
}

export async function insertLabels(client: ClickHouseClient, events: LabelEvent[], ingestedAtMs = Date.now()): Promise<void> {
  const rows = events.map((event) => labelRow(event, { epochMs: eventMs(event.timestamp), ingestedAtSeconds: Math.floor(ingestedAtMs / 1000) }));
  const { bytes, invalid } = encodeRows(ENCODERS.label, rows);
  if (invalid.length > 0) throw new Error(`seed rows invalid: ${invalid[0]!.message}`);
  await insertRowBinary(client, TABLES.label.table, TABLES.label.columns, bytes);
}

export async function insertFeatureLogs(client: ClickHouseClient, events: FeatureLogEvent[], ingestedAtMs = Date.now()): Promise<void> {
  const rows = events.map((event) => featureLogRow(event, { epochMs: eventMs(event.timestamp), ingestedAtSeconds: Math.floor(ingestedAtMs / 1000) }));
  const { bytes, invalid } = encodeRows(ENCODERS.feature_log, rows);
  if (invalid.length > 0) throw new Error(`seed rows invalid: ${invalid[0]!.message}`);
  await insertRowBinary(client, TABLES.feature_log.table, TABLES.feature_log.columns, bytes);
}

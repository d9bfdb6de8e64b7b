// Writes decoded rows into ClickHouse. A transient failure (server down, timeout) is
// retried with doubling delays for as long as the caller wants to continue, so a
// ClickHouse outage pauses ingest instead of losing rows. A permanent failure is
// narrowed down by halving the batch until the rows ClickHouse refuses on their own are
// known; only those are returned as rejected.
import { Readable } from 'node:stream';
import { identifier } from '../storage/sql.js';
import type { EventKind } from '../schemas/events.js';
import type { Rejection } from '../schemas/rejections.js';
import { isTransientStorageError, type ClickHouseClient } from '../storage/clickhouse.js';
import type { RowByKind } from './decode.js';
import { encodeRows, rowEncoder, type RowEncoder } from '../storage/row-binary.js';
import { FEATURE_LOG_SPEC, LABEL_SPEC, PREDICTION_SPEC } from './rows.js';

export const TABLES: { [K in EventKind]: { table: string; encoder: RowEncoder<RowByKind[K]> } } = {
  prediction: { table: 'predictions', encoder: rowEncoder(PREDICTION_SPEC) },
  feature_log: { table: 'feature_logs', encoder: rowEncoder(FEATURE_LOG_SPEC) },
  label: { table: 'labels', encoder: rowEncoder(LABEL_SPEC) },
};

/** INSERT ... FORMAT RowBinary through exec: the client's insert() supports only text formats. */
export async function insertRowBinary(client: ClickHouseClient, table: string, columns: string[], bytes: Buffer): Promise<void> {
  const query = `INSERT INTO ${identifier(table)} (${columns.map((column) => identifier(column).text).join(', ')}) FORMAT RowBinary`;
  const result = await client.exec({ query, values: Readable.from([bytes], { objectMode: false }) });
  // The response body must be consumed, or the keep-alive socket stays busy.
  for await (const _chunk of result.stream) {
    // nothing to read: an INSERT answers with an empty body
  }
}

export class WriteAbandonedError extends Error {
  override readonly name = 'WriteAbandonedError';
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

export interface WriteHooks {
  /** Asked before every retry; false abandons the write (the caller must not commit). */
  shouldContinue(): boolean;
  /** Called while waiting, e.g. to keep a Kafka group session alive. */
  whileWaiting?(): Promise<void>;
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

export interface WriteResult {
  written: number;
  /** Index into the input rows of each row ClickHouse refused. */
  refused: Array<{ index: number; rejection: Rejection }>;
}

export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
}

async function waitFor(delayMs: number, hooks: WriteHooks): Promise<void> {
  const deadline = Date.now() + delayMs;
  while (Date.now() < deadline) {
    if (!hooks.shouldContinue()) throw new WriteAbandonedError('write abandoned while waiting to retry');
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, deadline - Date.now())));
    await hooks.whileWaiting?.().catch(() => undefined);
  }
}

export class EventWriter {
  constructor(private readonly client: ClickHouseClient, private readonly retry: RetryPolicy) {}

  private async insertUntilDone(table: string, columns: string[], bytes: Buffer, hooks: WriteHooks): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await insertRowBinary(this.client, table, columns, bytes);
        return;
      } catch (error) {
        if (!isTransientStorageError(error)) throw error;
        if (!hooks.shouldContinue()) throw new WriteAbandonedError(`write abandoned: ${(error as Error).message}`);
        const delayMs = backoffDelay(attempt, this.retry);
        hooks.onRetry?.(error, attempt, delayMs);
        await waitFor(delayMs, hooks);
      }
    }
  }

  private async writeRange<K extends EventKind>(kind: K, entries: Array<{ index: number; row: RowByKind[K] }>, hooks: WriteHooks, result: WriteResult, encodedAlready?: Buffer): Promise<void> {
    if (entries.length === 0) return;
    const { table, encoder } = TABLES[kind];
    const bytes = encodedAlready ?? encodeRows(encoder, entries.map((entry) => entry.row)).bytes;
    try {
      await this.insertUntilDone(table, encoder.columns, bytes, hooks);
      result.written += entries.length;
    } catch (error) {
      if (error instanceof WriteAbandonedError || isTransientStorageError(error)) throw error;
      if (entries.length === 1) {
        result.refused.push({ index: entries[0]!.index, rejection: { code: 'storage_rejected', message: (error as Error).message.slice(0, 500) } });
        return;
      }
      const middle = Math.ceil(entries.length / 2);
      await this.writeRange(kind, entries.slice(0, middle), hooks, result);
      await this.writeRange(kind, entries.slice(middle), hooks, result);
    }
  }

  /** Resolves once every row is either stored or refused; throws WriteAbandonedError when told to stop. */
  async write<K extends EventKind>(kind: K, rows: RowByKind[K][], hooks: WriteHooks): Promise<WriteResult> {
    const result: WriteResult = { written: 0, refused: [] };
    // A row whose value does not fit its column type is refused before anything is sent.
    const { bytes, invalid } = encodeRows(TABLES[kind].encoder, rows);
    const invalidIndexes = new Set(invalid.map((entry) => entry.index));
    for (const { index, message } of invalid) result.refused.push({ index, rejection: { code: 'storage_rejected', message } });
    const entries = invalidIndexes.size === 0
      ? rows.map((row, index) => ({ index, row }))
      : rows.flatMap((row, index) => (invalidIndexes.has(index) ? [] : [{ index, row }]));
    // encodeRows left the invalid rows out of `bytes`, so they match `entries` as they are.
    await this.writeRange(kind, entries, hooks, result, bytes);
    return result;
  }
}

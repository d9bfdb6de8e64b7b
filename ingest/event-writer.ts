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
import { ENCODERS, sliceRows, type EncodedBatch } from './batch-decoder.js';

export const TABLES: { [K in EventKind]: { table: string; columns: string[] } } = {
  prediction: { table: 'predictions', columns: ENCODERS.prediction.columns },
  feature_log: { table: 'feature_logs', columns: ENCODERS.feature_log.columns },
  label: { table: 'labels', columns: ENCODERS.label.columns },
};

/** INSERT ... FORMAT RowBinary through exec: the client's insert() supports only text formats. */
export async function insertRowBinary(client: ClickHouseClient, table: string, columns: string[], bytes: Uint8Array): Promise<void> {
  const query = `INSERT INTO ${identifier(table)} (${columns.map((column) => identifier(column).text).join(', ')}) FORMAT RowBinary`;
  const result = await client.exec({ query, values: Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { objectMode: false }) });
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
  /** Index into the batch's messages of each row ClickHouse refused. */
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

  private async insertUntilDone(table: string, columns: string[], bytes: Uint8Array, hooks: WriteHooks): Promise<void> {
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

  private async writeRange(kind: EventKind, batch: EncodedBatch, hooks: WriteHooks, result: WriteResult): Promise<void> {
    const rows = batch.indexes.length;
    if (rows === 0) return;
    const { table, columns } = TABLES[kind];
    try {
      await this.insertUntilDone(table, columns, batch.bytes, hooks);
      result.written += rows;
    } catch (error) {
      if (error instanceof WriteAbandonedError || isTransientStorageError(error)) throw error;
      if (rows === 1) {
        result.refused.push({ index: batch.indexes[0]!, rejection: { code: 'storage_rejected', message: (error as Error).message.slice(0, 500) } });
        return;
      }
      const middle = Math.ceil(rows / 2);
      await this.writeRange(kind, sliceRows(batch, 0, middle), hooks, result);
      await this.writeRange(kind, sliceRows(batch, middle, rows), hooks, result);
    }
  }

  /** Resolves once every row is either stored or refused; throws WriteAbandonedError when told to stop. */
  async write(kind: EventKind, batch: EncodedBatch, hooks: WriteHooks): Promise<WriteResult> {
    const result: WriteResult = { written: 0, refused: [] };
    await this.writeRange(kind, batch, hooks, result);
    return result;
  }
}

// Writes decoded rows into ClickHouse. A transient failure (server down, timeout) is
// retried with doubling delays for as long as the caller wants to continue, so a
// ClickHouse outage pauses ingest instead of losing rows. A permanent failure is
// narrowed down by halving the batch until the rows ClickHouse refuses on their own are
// known; only those are returned as rejected.
import type { EventKind } from '../schemas/events.js';
import type { Rejection } from '../schemas/rejections.js';
import { isTransientStorageError, type ClickHouseClient } from '../storage/clickhouse.js';
import type { RowByKind } from './decode.js';
import { FEATURE_LOG_COLUMNS, LABEL_COLUMNS, PREDICTION_COLUMNS } from './rows.js';

export const TABLES: Record<EventKind, { table: string; columns: readonly string[] }> = {
  prediction: { table: 'predictions', columns: PREDICTION_COLUMNS },
  feature_log: { table: 'feature_logs', columns: FEATURE_LOG_COLUMNS },
  label: { table: 'labels', columns: LABEL_COLUMNS },
};

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

  private async insertUntilDone(kind: EventKind, rows: unknown[], hooks: WriteHooks): Promise<void> {
    const { table, columns } = TABLES[kind];
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.insert({ table, values: rows, format: 'JSONEachRow', columns: columns as [string, ...string[]] });
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

  private async writeRange<K extends EventKind>(kind: K, rows: RowByKind[K][], offset: number, hooks: WriteHooks, result: WriteResult): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.insertUntilDone(kind, rows, hooks);
      result.written += rows.length;
    } catch (error) {
      if (error instanceof WriteAbandonedError || isTransientStorageError(error)) throw error;
      if (rows.length === 1) {
        result.refused.push({ index: offset, rejection: { code: 'storage_rejected', message: (error as Error).message.slice(0, 500) } });
        return;
      }
      const middle = Math.ceil(rows.length / 2);
      await this.writeRange(kind, rows.slice(0, middle), offset, hooks, result);
      await this.writeRange(kind, rows.slice(middle), offset + middle, hooks, result);
    }
  }

  /** Resolves once every row is either stored or refused; throws WriteAbandonedError when told to stop. */
  async write<K extends EventKind>(kind: K, rows: RowByKind[K][], hooks: WriteHooks): Promise<WriteResult> {
    const result: WriteResult = { written: 0, refused: [] };
    await this.writeRange(kind, rows, 0, hooks, result);
    return result;
  }
}

import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { DriftwatchConfig } from '../config/config.js';

export type { ClickHouseClient } from '@clickhouse/client';

export function createClickHouse(config: DriftwatchConfig['clickhouse'], options: { withDatabase?: boolean } = {}): ClickHouseClient {
  return createClient({
    url: config.url,
    // The database must exist before a client may name it, so migrations first use a client without it.
    ...(options.withDatabase === false ? {} : { database: config.database }),
    username: config.username,
    password: config.password,
    request_timeout: config.requestTimeoutMs,
    application: 'driftwatch',
    // Failures reach our own code, which retries or reports them; the client's own error
    // log would print every retried request a second time.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

// ClickHouse error codes that say "try again later", not "this data is wrong".
const TRANSIENT_SERVER_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (a replica catching up)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
]);

export function clickHouseErrorCode(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const fromField = (error as { code?: unknown }).code;
  if (typeof fromField === 'string' && /^\d+$/.test(fromField)) return Number(fromField);
  // 18.16 answers with a plain Error whose message starts "Code: N".
  const match = /Code: (\d+)/.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

/** True when retrying the same request later may succeed (server down, overloaded, timed out). */
export function isTransientStorageError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const networkCode = (error as { code?: unknown }).code;
  if (typeof networkCode === 'string' && NETWORK_ERROR_CODES.has(networkCode)) return true;
  const code = clickHouseErrorCode(error);
  // A server error is judged by its code only: its text may quote anything (a table named "timeouts").
  if (code !== undefined) return TRANSIENT_SERVER_CODES.has(code);
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET|other side closed/i.test(error.message);
}

export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

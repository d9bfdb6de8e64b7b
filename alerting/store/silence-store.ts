/**
 * Silences (alerting/state/silences.ts) in ClickHouse: one row per version, the newest
 * wins. Expiring a silence writes a version that ends now, so history keeps it.
 */
import { isSilenceActive, type Silence } from '../state/index.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { sql } from '../../storage/sql.js';

export interface StoredSilence {
  silence: Silence;
  updatedMs: number;
}

interface SilenceRow {
  silence_id: string;
  latest_definition: string;
  is_deleted: number | string;
  latest_ms: string;
}

const LATEST = `SELECT silence_id, argMax(definition, updated_ms) AS latest_definition, argMax(deleted, updated_ms) AS is_deleted,
  max(updated_ms) AS latest_ms FROM silences`;

function fromRow(row: SilenceRow): StoredSilence | null {
  if (Number(row.is_deleted) === 1) return null;
  try {
    const silence = JSON.parse(row.latest_definition) as Silence;
    if (typeof silence.id !== 'string' || !Array.isArray(silence.matchers) || typeof silence.endsAt !== 'number') return null;
    return { silence, updatedMs: Number(row.latest_ms) };
  } catch {
    return null;
  }
}

/** Every silence; with `activeAt`, only those active then. */
export async function listSilences(client: ClickHouseClient, activeAt?: number): Promise<StoredSilence[]> {
  // ends_ms of the newest version decides; filtering before grouping would resurrect an expired silence's older version.
  const rows = await queryRows<SilenceRow>(client, `${LATEST} GROUP BY silence_id ORDER BY silence_id`);
  const silences = rows.map(fromRow).filter((stored): stored is StoredSilence => stored !== null);
  return activeAt === undefined ? silences : silences.filter((stored) => isSilenceActive(stored.silence, activeAt));
}

export async function getSilence(client: ClickHouseClient, silenceId: string): Promise<StoredSilence | null> {
  const rows = await queryRows<SilenceRow>(client, `${LATEST}${sql` WHERE silence_id = ${silenceId}`} GROUP BY silence_id`);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function saveSilence(client: ClickHouseClient, silence: Silence, nowMs = Date.now()): Promise<StoredSilence> {
  const [latest] = await queryRows<{ v: string }>(client, sql`SELECT max(updated_ms) AS v FROM silences WHERE silence_id = ${silence.id}`);
  const updatedMs = Math.max(nowMs, Number(latest?.v ?? 0) + 1);
  await client.insert({
    table: 'silences',
    format: 'JSONEachRow',
    columns: ['silence_id', 'definition', 'ends_ms', 'deleted', 'updated_ms'],
    values: [{ silence_id: silence.id, definition: JSON.stringify(silence), ends_ms: silence.endsAt, deleted: 0, updated_ms: updatedMs }],
  });
  return { silence, updatedMs };
}

/** Ends a silence now (if it has not ended yet); returns the expired version. */
export async function expireSilence(client: ClickHouseClient, silence: Silence, nowMs = Date.now()): Promise<StoredSilence> {
  if (silence.endsAt <= nowMs) return { silence, updatedMs: nowMs };
  // A silence that has not started yet ends before it starts: never active.
  return saveSilence(client, { ...silence, startsAt: Math.min(silence.startsAt, nowMs), endsAt: nowMs }, nowMs);
}

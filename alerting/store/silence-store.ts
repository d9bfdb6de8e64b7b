/**
 * Silences (alerting/state/silences.ts) in ClickHouse: one row per version, the newest
 * wins. Expiring a silence writes a version that ends now, so history keeps it.
 */
import { isSilenceActive, type Silence } from '../state/index.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { latestVersion, latestVersions, writeVersion, type LatestVersion, type VersionedTable } from '../../storage/versioned-table.js';

export interface StoredSilence {
  silence: Silence;
  updatedMs: number;
}

const SILENCES: VersionedTable = { table: 'silences', id: 'silence_id', hasSource: false };

function fromVersion(version: LatestVersion): StoredSilence | null {
  try {
    const silence = JSON.parse(version.definition) as Silence;
    if (typeof silence.id !== 'string' || !Array.isArray(silence.matchers) || typeof silence.endsAt !== 'number') return null;
    return { silence, updatedMs: version.updatedMs };
  } catch {
    return null;
  }
}

/** Every silence; with `activeAt`, only those active then. */
export async function listSilences(client: ClickHouseClient, activeAt?: number): Promise<StoredSilence[]> {
  // ends_ms of the newest version decides; filtering before grouping would resurrect an expired silence's older version.
  const silences = (await latestVersions(client, SILENCES)).map(fromVersion).filter((stored): stored is StoredSilence => stored !== null);
  return activeAt === undefined ? silences : silences.filter((stored) => isSilenceActive(stored.silence, activeAt));
}

export async function getSilence(client: ClickHouseClient, silenceId: string): Promise<StoredSilence | null> {
  const version = await latestVersion(client, SILENCES, silenceId);
  return version === null ? null : fromVersion(version);
}

export async function saveSilence(client: ClickHouseClient, silence: Silence, nowMs = Date.now()): Promise<StoredSilence> {
  const updatedMs = await writeVersion(client, SILENCES, silence.id, { definition: JSON.stringify(silence), deleted: false, columns: { ends_ms: silence.endsAt } }, nowMs);
  return { silence, updatedMs };
}

/** Ends a silence now (if it has not ended yet); returns the expired version. */
export async function expireSilence(client: ClickHouseClient, silence: Silence, nowMs = Date.now()): Promise<StoredSilence> {
  if (silence.endsAt <= nowMs) return { silence, updatedMs: nowMs };
  // A silence that has not started yet ends before it starts: never active.
  return saveSilence(client, { ...silence, startsAt: Math.min(silence.startsAt, nowMs), endsAt: nowMs }, nowMs);
}

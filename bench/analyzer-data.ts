// Data of `npm run bench:analyzer`: 1,000,000 reference and 1,000,000 current prediction
// events with 50 numeric and 10 categorical features, written into the predictions table
// as ingest stores them (RowBinary from predictionRow, no Kafka), and the same values as
// flat binary files for the scipy baseline. Deterministic: the same parameters give the
// same rows, so a database and files that already hold them are reused.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ENCODERS } from '../ingest/batch-decoder.js';
import { insertRowBinary, TABLES } from '../ingest/event-writer.js';
import { predictionRow } from '../ingest/rows.js';
import type { PredictionEvent } from '../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../storage/clickhouse.js';
import { migrate } from '../storage/migrate.js';
import { encodeRows } from '../storage/row-binary.js';
import { identifier, sql } from '../storage/sql.js';
import type { DriftwatchConfig } from '../config/config.js';

export const NUMERIC_FEATURES = 50;
export const CATEGORICAL_FEATURES = 10;
export const MODEL_ID = 'bench';
export const HOUR = 3_600_000;
/** Reference window [REFERENCE_START, +1 h), current window the hour after (a trailing pair). */
export const REFERENCE_START = Date.UTC(2026, 0, 5, 10);
export const CURRENT_START = REFERENCE_START + HOUR;
const CATEGORY_COUNTS = [3, 5, 8, 12, 20, 30, 50, 2, 4, 6];
// Bump when the generator changes: the fingerprint decides whether stored data is reused.
const GENERATOR_VERSION = 5; // 4: the feature-pattern column (migration 0006); 5: pattern names kept as stored (0007)

export const numericName = (index: number): string => `num_${index}`;
export const categoricalName = (index: number): string => `cat_${index}`;

/** What each numeric column holds (see numericValue). */
export function numericKind(index: number): string {
  const kinds: Record<number, string> = {
    0: 'normal, current +0.05 sd', 1: 'normal, current +0.10 sd', 2: 'normal, current +0.15 sd', 3: 'normal, current +0.20 sd',
    4: 'normal, current +0.25 sd', 5: 'normal, current sd x1.2', 6: 'lognormal, current +0.1 in log', 7: 'exponential, mean 100',
    8: 'uniform [-1, 1]', 9: 'Cauchy (outliers up to ~1e9)', 10: 'normal rounded to 2 decimals (ties)', 11: 'integers 18..90',
    12: 'epoch seconds ~1.7e9 + 1 day', 13: 'normal, sd 1e-6 (tiny values around 0)',
  };
  return kinds[index] ?? 'normal';
}

/** sfc32 with Box-Muller: fast and reproducible; the data need not match anything else. */
class Random {
  private spare: number | null = null;
  private a = 0x9e3779b9;
  private b = 0x243f6a88;
  private c = 0xb7e15162;
  private d: number;

  constructor(seed: number) {
    this.d = seed >>> 0;
    for (let i = 0; i < 20; i++) this.uniform();
  }

  /** sfc32, in (0, 1). */
  uniform(): number {
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return ((t >>> 0) + 0.5) / 4294967296;
  }

  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

function numericValue(index: number, random: Random, current: boolean): number {
  const z = random.normal();
  switch (index) {
    case 0: case 1: case 2: case 3: case 4:
      return 100 * index + 10 * (z + (current ? 0.05 * (index + 1) : 0));
    case 5: return 20 + 3 * z * (current ? 1.2 : 1);
    case 6: return Math.exp(1 + 0.8 * z + (current ? 0.1 : 0));
    case 7: return -100 * Math.log(random.uniform());
    case 8: return 2 * random.uniform() - 1;
    case 9: return Math.tan(Math.PI * (random.uniform() - 0.5));
    case 10: return Math.round((50 + 10 * z) * 100) / 100;
    case 11: return 18 + Math.floor(73 * random.uniform());
    case 12: return 1.7e9 + 86_400 * random.uniform();
    case 13: return 1e-6 * z;
    default: return (index - 20) * 3 + (1 + (index % 5)) * z;
  }
}

function categoricalValue(index: number, random: Random, current: boolean): string {
  const count = CATEGORY_COUNTS[index]!;
  const skew = current && index === 0 ? 2.2 : 1.6;
  return `${categoricalName(index)}_v${Math.min(count - 1, Math.floor(count * random.uniform() ** skew))}`;
}

/** 1% of the values of every seventh column (3, 10, 17, ...) are missing. */
const hasMissing = (index: number): boolean => index % 7 === 3;

export interface BenchData {
  rowsPerSide: number;
  fingerprint: string;
  /** Row-major float64 (NaN = missing) and uint8 codes (255 = missing) per side, for the baseline. */
  files: { referenceNumeric: string; currentNumeric: string; referenceCategorical: string; currentCategorical: string };
}

export function benchFingerprint(rowsPerSide: number): string {
  return createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, rowsPerSide, NUMERIC_FEATURES, CATEGORICAL_FEATURES, REFERENCE_START })).digest('hex').slice(0, 16);
}

function filesFor(directory: string): BenchData['files'] {
  return {
    referenceNumeric: `${directory}/reference-numeric.f64`,
    currentNumeric: `${directory}/current-numeric.f64`,
    referenceCategorical: `${directory}/reference-categorical.u8`,
    currentCategorical: `${directory}/current-categorical.u8`,
  };
}

async function storedFingerprint(client: ClickHouseClient): Promise<string | null> {
  try {
    const rows = await queryRows<{ fingerprint: string }>(client, 'SELECT fingerprint FROM bench_dataset');
    return rows[0]?.fingerprint ?? null;
  } catch {
    return null;
  }
}

/** Makes sure the database and the baseline files hold the bench data; generates them if not. */
export async function prepareBenchData(config: DriftwatchConfig, rowsPerSide: number, dataDirectory: string, log: (line: string) => void): Promise<BenchData> {
  const fingerprint = benchFingerprint(rowsPerSide);
  const directory = `${dataDirectory}/${fingerprint}`;
  const files = filesFor(directory);
  const admin = createClickHouse(config.clickhouse, { withDatabase: false });
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(config.clickhouse.database)}` });
  await admin.close();
  const client = createClickHouse(config.clickhouse);
  try {
    if ((await storedFingerprint(client)) === fingerprint && Object.values(files).every((file) => existsSync(file))) {
      log(`bench data ${fingerprint} already in ${config.clickhouse.database} and ${directory}: reused`);
      return { rowsPerSide, fingerprint, files };
    }
    const started = performance.now();
    const admin2 = createClickHouse(config.clickhouse, { withDatabase: false });
    await admin2.command({ query: `DROP DATABASE IF EXISTS ${identifier(config.clickhouse.database)}` });
    await admin2.close();
    await migrate(config.clickhouse);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    await writeSide(client, rowsPerSide, false, files.referenceNumeric, files.referenceCategorical);
    await writeSide(client, rowsPerSide, true, files.currentNumeric, files.currentCategorical);
    // One part per partition, as the background merges leave older data; the bench then
    // measures the analysis, not how many unmerged inserts FINAL has to combine.
    await client.command({ query: 'OPTIMIZE TABLE predictions FINAL', clickhouse_settings: { max_execution_time: 3600 } });
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS bench_dataset (fingerprint String) ENGINE = TinyLog' });
    await client.command({ query: sql`INSERT INTO bench_dataset (fingerprint) VALUES (${fingerprint})` });
    log(`generated ${2 * rowsPerSide} events into ${config.clickhouse.database} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { rowsPerSide, fingerprint, files };
  } finally {
    await client.close();
  }
}

async function writeSide(client: ClickHouseClient, rows: number, current: boolean, numericFile: string, categoricalFile: string): Promise<void> {
  const random = new Random(current ? 20260105 : 19700101);
  const start = current ? CURRENT_START : REFERENCE_START;
  const numericOut = openSync(`${numericFile}.tmp`, 'w');
  const categoricalOut = openSync(`${categoricalFile}.tmp`, 'w');
  const chunk = 10_000;
  const inFlight: Array<Promise<void>> = [];
  for (let first = 0; first < rows; first += chunk) {
    const count = Math.min(chunk, rows - first);
    const numeric = new Float64Array(count * NUMERIC_FEATURES);
    const codes = new Uint8Array(count * CATEGORICAL_FEATURES);
    const events: PredictionEvent[] = [];
    for (let r = 0; r < count; r++) {
      const index = first + r;
      const features: Record<string, number | string | null> = {};
      for (let c = 0; c < NUMERIC_FEATURES; c++) {
        const value = numericValue(c, random, current);
        const missing = hasMissing(c) && random.uniform() < 0.01;
        features[numericName(c)] = missing ? null : value;
        numeric[r * NUMERIC_FEATURES + c] = missing ? NaN : value;
      }
      for (let c = 0; c < CATEGORICAL_FEATURES; c++) {
        const value = categoricalValue(c, random, current);
        features[categoricalName(c)] = value;
        codes[r * CATEGORICAL_FEATURES + c] = Number(value.slice(value.lastIndexOf('_v') + 2));
      }
      events.push({
        event_id: `${current ? 'c' : 'r'}-${index}`,
        model_id: MODEL_ID,
        model_version: 'v1',
        timestamp: start + Math.floor((index * HOUR) / rows),
        features,
        prediction: random.uniform() < 0.3,
      });
    }
    writeSync(numericOut, new Uint8Array(numeric.buffer));
    writeSync(categoricalOut, codes);
    const encoded = encodeRows(
      ENCODERS.prediction,
      events.map((event) => predictionRow(event, { epochMs: event.timestamp as number, ingestedAtSeconds: Math.floor(REFERENCE_START / 1000) + 7200 })),
    );
    if (encoded.invalid.length > 0) throw new Error(`bench row invalid: ${encoded.invalid[0]!.message}`);
    inFlight.push(insertRowBinary(client, TABLES.prediction.table, TABLES.prediction.columns, encoded.bytes));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  closeSync(numericOut);
  closeSync(categoricalOut);
  renameSync(`${numericFile}.tmp`, numericFile);
  renameSync(`${categoricalFile}.tmp`, categoricalFile);
}

// Records the SQL the analyzer really sends, for scripts/check-sql-current.py to run on a
// current ClickHouse. Against the local 18.16 server (the one the tests use), in a database
// of its own (dropped and recreated), it migrates, seeds a small dataset and drives the
// analyzer through a recording client: every monitor reference kind, segments, feature
// logs, late labels, the scheduler, the result queries, the run, monitor and reference
// stores. Prints JSON on stdout:
//   { timezone, statements: [{ kind: 'query' | 'command' | 'insert', sql, format?, result? }] }
// in the order they ran. Inserts (RowBinary or JSONEachRow) are written out as
// INSERT ... VALUES built with storage/sql.ts's literal(), so the log replays as a whole on
// another server; `result` is what 18.16 answered (JSONEachRow text, or RowBinary as base64),
// so the replay can compare answers as well as run them.
//
// Usage: node dist/scripts/record-analyzer-sql.js > analyzer-sql.json
// The server is DRIFTWATCH_SQLCHECK_URL (default http://127.0.0.1:18123, scripts/clickhouse.sh),
// not DRIFTWATCH_CLICKHOUSE_URL, so a shell set up for another server is never used; the
// database is driftwatch_sqlcheck (left in place for a look afterwards, dropped by the next run).
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseMonitor, type Monitor } from '../analyzer/monitors/index.js';
import { readReferenceText } from '../analyzer/references/dataset-rows.js';
import {
  deleteReferenceDataset,
  getReferenceDataset,
  listReferenceDatasets,
  uploadReferenceDataset,
} from '../analyzer/references/reference-store.js';
import { JobRunner } from '../analyzer/service/job-runner.js';
import { jobId, type AnalysisJob } from '../analyzer/service/jobs.js';
import {
  deleteMonitor,
  getMonitor,
  listMonitors,
  modelsWithoutMonitor,
  saveMonitor,
  syncConfigMonitors,
} from '../analyzer/service/monitor-store.js';
import { driftSeries, performanceSeries, windowSummaries, type ResultFilter } from '../analyzer/service/result-queries.js';
import { storeWindowResults } from '../analyzer/service/result-store.js';
import { hasSucceededRun, listRuns, succeededWindows } from '../analyzer/service/run-store.js';
import { AnalysisScheduler } from '../analyzer/service/scheduler.js';
import { analyzeWindow, type DatasetLookup } from '../analyzer/service/window-analysis.js';
import { loadConfig } from '../config/config.js';
import { createRandom, normal } from '../demo/traffic.js';
import type { KafkaAdapter } from '../messaging/kafka.js';
import { createLogger } from '../observability/logger.js';
import type { FeatureLogEvent, LabelEvent, PredictionEvent } from '../schemas/events.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../storage/clickhouse.js';
import { migrate } from '../storage/migrate.js';
import { identifier, literal, SqlFragment, sql, type SqlValue } from '../storage/sql.js';
import { insertFeatureLogs, insertLabels, insertPredictions } from '../test/helpers/seed.js';

export const RECORD_DATABASE = 'driftwatch_sqlcheck';

export interface RecordedStatement {
  kind: 'query' | 'command' | 'insert';
  sql: string;
  /** Queries: the format the analyzer asked for. */
  format?: string;
  /** Queries: 18.16's answer (JSONEachRow text; RowBinary as base64). */
  result?: string;
  /** Queries, the first time a text is seen: the answer's column names and types on 18.16. */
  columns?: Array<{ name: string; type: string }>;
}

// ---------------------------------------------------------------------------------------
// VALUES literals for the column types of our tables

type ColumnTypes = Map<string, string>;

function enumNames(type: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const match of type.matchAll(/'((?:[^'\\]|\\.)*)' = (-?\d+)/g)) names.set(Number(match[2]), match[1]!.replace(/\\(.)/g, '$1'));
  return names;
}

function floatLiteral(value: number): SqlValue {
  if (Number.isNaN(value)) return new SqlFragment('nan');
  if (value === Infinity) return new SqlFragment('inf');
  if (value === -Infinity) return new SqlFragment('-inf');
  if (Object.is(value, -0)) return new SqlFragment('-0.');
  return value;
}

/** A JS value (from a JSONEachRow insert) as a literal of the column's type. */
function valueLiteral(type: string, value: unknown): SqlValue {
  if (value === null || value === undefined) return type.startsWith('Nullable(') ? null : literalDefault(type);
  const inner = /^Nullable\((.*)\)$/.exec(type)?.[1];
  if (inner !== undefined) return valueLiteral(inner, value);
  const element = /^Array\((.*)\)$/.exec(type)?.[1];
  if (element !== undefined) return (value as unknown[]).map((item) => valueLiteral(element, item));
  if (type === 'DateTime') return typeof value === 'number' ? new Date(value * 1000) : String(value);
  if (/^U?Int\d+$/.test(type)) return BigInt(typeof value === 'boolean' ? Number(value) : (value as number | string));
  if (type === 'Float64' || type === 'Float32') return floatLiteral(Number(value));
  return String(value);
}

function literalDefault(type: string): SqlValue {
  if (type.startsWith('Array(')) return [];
  if (type === 'String' || type.startsWith('Enum')) return '';
  if (type === 'DateTime') return new Date(0);
  return 0;
}

/** Reads RowBinary rows of the given column types (the types our tables use). */
class RowBinaryReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  private varUInt(): number {
    let value = 0;
    let shift = 1;
    for (;;) {
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      shift *= 128;
    }
  }

  read(type: string): SqlValue {
    const inner = /^Nullable\((.*)\)$/.exec(type)?.[1];
    if (inner !== undefined) return this.bytes[this.offset++] === 1 ? null : this.read(inner);
    const element = /^Array\((.*)\)$/.exec(type)?.[1];
    if (element !== undefined) return Array.from({ length: this.varUInt() }, () => this.read(element));
    if (type.startsWith('Enum8(')) {
      const code = this.bytes.readInt8(this.offset++);
      const name = enumNames(type).get(code);
      if (name === undefined) throw new Error(`enum code ${code} not in ${type}`);
      return name;
    }
    const at = this.offset;
    switch (type) {
      case 'String': {
        const length = this.varUInt();
        this.offset += length;
        return this.bytes.toString('utf8', this.offset - length, this.offset);
      }
      case 'UInt8': this.offset += 1; return BigInt(this.bytes.readUInt8(at));
      case 'UInt16': this.offset += 2; return BigInt(this.bytes.readUInt16LE(at));
      case 'UInt32': this.offset += 4; return BigInt(this.bytes.readUInt32LE(at));
      case 'UInt64': this.offset += 8; return this.bytes.readBigUInt64LE(at);
      case 'DateTime': this.offset += 4; return new Date(this.bytes.readUInt32LE(at) * 1000);
      case 'Float64': this.offset += 8; return floatLiteral(this.bytes.readDoubleLE(at));
      default: throw new Error(`RowBinary type ${type} not supported by the recorder`);
    }
  }
}

function valuesInsert(table: string, columns: string[], rows: SqlValue[][]): string {
  const tuples = rows.map((row) => `(${row.map((value) => literal(value)).join(', ')})`);
  return `INSERT INTO ${identifier(table)} (${columns.map((column) => identifier(column).text).join(', ')}) VALUES ${tuples.join(', ')}`;
}

// ---------------------------------------------------------------------------------------
// The recording client

async function collect(stream: AsyncIterable<Buffer | Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const ROW_BINARY_INSERT = /^INSERT INTO (\w+) \(([\w, ]+)\) FORMAT RowBinary$/;

/**
 * Wraps a real client: query / exec / command / insert go to 18.16 as usual and are logged
 * (statement and answer). Queries are read whole before the caller sees them, which is fine
 * for a dataset this small.
 */
export function recordingClient(real: ClickHouseClient, log: RecordedStatement[]): ClickHouseClient {
  const typesCache = new Map<string, ColumnTypes>();
  const columnTypes = async (table: string): Promise<ColumnTypes> => {
    let types = typesCache.get(table);
    if (!types) {
      const rows = await queryRows<{ name: string; type: string }>(real, sql`SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ${table}`);
      types = new Map(rows.map((row) => [row.name, row.type]));
      typesCache.set(table, types);
    }
    return types;
  };
  const typeOf = (types: ColumnTypes, table: string, column: string): string => {
    const type = types.get(column);
    if (type === undefined) throw new Error(`recorder: no column ${table}.${column}`);
    return type;
  };

  const typed = new Set<string>();
  /** The answer's column types, once per statement text (not recorded as a statement of its own). */
  const answerColumns = async (query: string): Promise<{ columns?: Array<{ name: string; type: string }> }> => {
    if (typed.has(query)) return {};
    typed.add(query);
    const result = await real.query({ query: `SELECT * FROM (${query}) LIMIT 0`, format: 'JSON' });
    return { columns: ((await result.json()) as { meta: Array<{ name: string; type: string }> }).meta };
  };

  const recorder = {
    async query(params: { query: string; format?: string } & Record<string, unknown>) {
      const result = await real.query(params as Parameters<ClickHouseClient['query']>[0]);
      const text = await result.text();
      const format = params.format ?? 'JSON';
      log.push({ kind: 'query', sql: params.query, format, result: text, ...(await answerColumns(params.query)) });
      return {
        text: async () => text,
        json: async () => (format === 'JSONEachRow' ? text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line)) : JSON.parse(text)),
        close: () => undefined,
        query_id: result.query_id,
        response_headers: result.response_headers,
      };
    },
    async exec(params: { query: string; values?: Readable } & Record<string, unknown>) {
      const insert = ROW_BINARY_INSERT.exec(params.query);
      if (params.values !== undefined) {
        if (!insert) throw new Error(`recorder: exec with data that is not a RowBinary insert: ${params.query}`);
        const bytes = await collect(params.values);
        const table = insert[1]!;
        const columns = insert[2]!.split(', ');
        const types = await columnTypes(table);
        const reader = new RowBinaryReader(bytes);
        const rows: SqlValue[][] = [];
        while (!reader.done) rows.push(columns.map((column) => reader.read(typeOf(types, table, column))));
        log.push({ kind: 'insert', sql: valuesInsert(table, columns, rows) });
        return real.exec({ ...params, values: Readable.from([bytes], { objectMode: false }) } as Parameters<ClickHouseClient['exec']>[0]);
      }
      const result = await real.exec(params as Parameters<ClickHouseClient['exec']>[0]);
      const bytes = await collect(result.stream as AsyncIterable<Buffer>);
      const format = /FORMAT (\w+)\s*$/.exec(params.query)?.[1] ?? 'TabSeparated';
      const columns = await answerColumns(params.query.replace(/\s+FORMAT \w+\s*$/, ''));
      log.push({ kind: 'query', sql: params.query, format, result: format === 'RowBinary' ? bytes.toString('base64') : bytes.toString('utf8'), ...columns });
      return { ...result, stream: Readable.from([bytes], { objectMode: false }) };
    },
    async command(params: { query: string } & Record<string, unknown>) {
      log.push({ kind: 'command', sql: params.query });
      return real.command(params as Parameters<ClickHouseClient['command']>[0]);
    },
    async insert(params: { table: string; values: Array<Record<string, unknown>>; columns?: string[]; format?: string } & Record<string, unknown>) {
      if (!Array.isArray(params.values) || params.columns === undefined) throw new Error(`recorder: insert into ${params.table} without columns or an array of rows`);
      const types = await columnTypes(params.table);
      const rows = params.values.map((row) => params.columns!.map((column) => valueLiteral(typeOf(types, params.table, column), row[column])));
      log.push({ kind: 'insert', sql: valuesInsert(params.table, params.columns, rows) });
      return real.insert(params as Parameters<ClickHouseClient['insert']>[0]);
    },
  };
  return new Proxy(real, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in recorder) return recorder[property as keyof typeof recorder];
      return Reflect.get(target, property, receiver);
    },
  });
}

// ---------------------------------------------------------------------------------------
// The dataset

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CURRENT = Date.UTC(2026, 10, 20, 12);
const CURRENT_WINDOW = { start: CURRENT, end: CURRENT + HOUR };
const FIXED_FROM = CURRENT - 3 * DAY;

interface Traffic {
  predictions: PredictionEvent[];
  labels: LabelEvent[];
}

/** A binary fraud classifier: numeric, categorical and boolean features, nulls, type errors, a segment. */
function fraudTraffic(version: string, start: number, span: number, count: number, shift: number, seed: number): Traffic {
  const random = createRandom(seed);
  const predictions: PredictionEvent[] = [];
  const labels: LabelEvent[] = [];
  for (let index = 0; index < count; index++) {
    const amount = Math.round((100 + 20 * normal(random) + 20 * shift) * 100) / 100;
    const features: Record<string, number | string | boolean | null> = {
      amount: random() < 0.03 ? null : random() < 0.02 ? 'n/a' : amount,
      country: random() < 0.5 + 0.3 * shift ? 'FR' : random() < 0.5 ? 'DE' : "Côte d'Ivoire",
      items: Math.floor(random() * 5),
      returning: random() < 0.6,
      zero: random() < 0.5 ? 0 : -0,
    };
    const score = Math.round(Math.min(1, Math.max(0, (amount - 60) / 100 + 0.2 * normal(random))) * 1000) / 1000;
    const event: PredictionEvent = {
      event_id: `fraud-${version}-${start}-${index}`,
      model_id: 'fraud',
      model_version: version,
      timestamp: start + Math.floor((index / count) * span),
      features,
      prediction: score >= 0.5 ? 1 : 0,
      score,
      segments: { channel: index % 3 === 0 ? 'web' : 'app' },
    };
    predictions.push(event);
    const truth = random() < (shift > 0 ? 0.5 : 0.85) ? event.prediction : 1 - (event.prediction as number);
    labels.push({ event_id: event.event_id, model_id: 'fraud', timestamp: (event.timestamp as number) + DAY, label: truth });
  }
  return { predictions, labels };
}

/** A regression model (numeric predictions, numeric labels, no score). */
function priceTraffic(start: number, span: number, count: number, shift: number, seed: number): Traffic {
  const random = createRandom(seed);
  const predictions: PredictionEvent[] = [];
  const labels: LabelEvent[] = [];
  for (let index = 0; index < count; index++) {
    const rooms = 1 + Math.floor(random() * 5);
    const area = Math.round((40 + 25 * rooms + 10 * normal(random) + 15 * shift) * 10) / 10;
    const prediction = Math.round(area * 3100 + 5000 * normal(random));
    const event: PredictionEvent = {
      event_id: `price-${start}-${index}`,
      model_id: 'price',
      model_version: 'v3',
      timestamp: start + Math.floor((index / count) * span),
      features: { area, rooms, city: random() < 0.7 ? 'Lyon' : 'Paris' },
      prediction,
      segments: { city: random() < 0.7 ? 'Lyon' : 'Paris' },
    };
    predictions.push(event);
    labels.push({ event_id: event.event_id, model_id: 'price', timestamp: (event.timestamp as number) + HOUR, label: index % 17 === 0 ? 0 : prediction + Math.round(8000 * normal(random)) });
  }
  return { predictions, labels };
}

/** A multi-class classifier with string predictions and labels (and one boolean-label model). */
function intentTraffic(start: number, span: number, count: number, shift: number, seed: number): Traffic {
  const random = createRandom(seed);
  const classes = ['buy', 'browse', 'leave'];
  const predictions: PredictionEvent[] = [];
  const labels: LabelEvent[] = [];
  for (let index = 0; index < count; index++) {
    const predicted = classes[Math.min(2, Math.floor(random() ** (1 + shift) * 3))]!;
    const event: PredictionEvent = {
      event_id: `intent-${start}-${index}`,
      model_id: 'intent',
      model_version: 'v1',
      timestamp: start + Math.floor((index / count) * span),
      features: { pages: Math.floor(random() * 20), device: random() < 0.5 ? 'mobile' : 'desktop' },
      prediction: predicted,
    };
    predictions.push(event);
    labels.push({ event_id: event.event_id, model_id: 'intent', timestamp: (event.timestamp as number) + HOUR, label: random() < 0.7 ? predicted : classes[Math.floor(random() * 3)]! });
  }
  return { predictions, labels };
}

/** Predictions whose features are logged apart (feature_logs), some never logged. */
function splitTraffic(traffic: Traffic): { predictions: PredictionEvent[]; logs: FeatureLogEvent[] } {
  return {
    predictions: traffic.predictions.map((event) => ({ ...event, model_id: 'split', event_id: `split-${event.event_id}`, features: { in_prediction: 1 } })),
    logs: traffic.predictions.map((event) => ({ event_id: `split-${event.event_id}`, model_id: 'split', timestamp: event.timestamp, features: event.features! })),
  };
}

function monitor(definition: Record<string, unknown>): Monitor {
  return parseMonitor({ model_id: 'fraud', model_version: 'v1', window: '1h', min_events: 50, ...definition });
}

function job(monitorId: string, window = CURRENT_WINDOW, reason: AnalysisJob['reason'] = 'manual'): AnalysisJob {
  const requestedMs = Date.now();
  return { jobId: jobId(monitorId, window.start, reason, requestedMs), monitorId, windowStart: window.start, windowEnd: window.end, reason, requestedMs };
}

// ---------------------------------------------------------------------------------------

export interface Recording {
  /** The server the statements ran on: its version and time zone (DateTime columns print in it). */
  version: string;
  timezone: string;
  statements: RecordedStatement[];
}

export async function recordAnalyzerSql(): Promise<Recording> {
  const config = loadConfig(
    { ...process.env, DRIFTWATCH_CLICKHOUSE_URL: process.env.DRIFTWATCH_SQLCHECK_URL ?? 'http://127.0.0.1:18123', DRIFTWATCH_CLICKHOUSE_DATABASE: RECORD_DATABASE, DRIFTWATCH_CONFIG: '' },
    undefined,
  );
  const admin = createClickHouse(config.clickhouse, { withDatabase: false });
  let timezone: string;
  let version: string;
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${identifier(RECORD_DATABASE)}` });
    const [server] = await queryRows<{ tz: string; version: string }>(admin, 'SELECT timezone() AS tz, version() AS version');
    timezone = String(server?.tz ?? 'UTC');
    version = String(server?.version ?? '');
  } finally {
    await admin.close();
  }
  await migrate(config.clickhouse);
  const real = createClickHouse(config.clickhouse);
  const statements: RecordedStatement[] = [];
  const client = recordingClient(real, statements);
  const log = createLogger('error');
  try {
    // Seed. Redelivered events (same rows twice) must count once through FINAL.
    const reference = fraudTraffic('v1', CURRENT - DAY, DAY, 700, 0, 1);
    const current = fraudTraffic('v1', CURRENT, HOUR, 300, 1, 2);
    const challenger = fraudTraffic('v2', CURRENT, HOUR, 200, 0, 3);
    const fixed = fraudTraffic('v1', FIXED_FROM, DAY, 400, 0, 4);
    const priceReference = priceTraffic(CURRENT - DAY, DAY, 400, 0, 5);
    const priceCurrent = priceTraffic(CURRENT, HOUR, 150, 1, 6);
    const intentReference = intentTraffic(CURRENT - DAY, DAY, 400, 0, 7);
    const intentCurrent = intentTraffic(CURRENT, HOUR, 150, 1, 8);
    const splitReference = splitTraffic(reference);
    const splitCurrent = splitTraffic(current);
    await insertPredictions(client, [...fixed.predictions, ...reference.predictions, ...current.predictions, ...challenger.predictions]);
    await insertPredictions(client, current.predictions.slice(0, 50));
    // Shadow scoring: v2 scored some of v1's requests, under the same event_id (one label for both).
    await insertPredictions(client, reference.predictions.slice(500, 600).map((event) => ({ ...event, model_version: 'v2', score: Math.round((event.score ?? 0) * 900) / 1000 })));
    await insertPredictions(client, [...priceReference.predictions, ...priceCurrent.predictions, ...intentReference.predictions, ...intentCurrent.predictions]);
    await insertPredictions(client, [...splitReference.predictions, ...splitCurrent.predictions]);
    await insertFeatureLogs(client, [...splitReference.logs, ...splitCurrent.logs.slice(0, 280)]);
    await insertLabels(client, [...reference.labels, ...fixed.labels, ...challenger.labels.slice(0, 150)]);
    // A corrected label: the newest one wins.
    await insertLabels(client, reference.labels.slice(0, 20).map((label) => ({ ...label, label: 1 - (label.label as number) })), Date.now() + 1000);
    await insertLabels(client, [...priceReference.labels, ...priceCurrent.labels, ...intentReference.labels, ...intentCurrent.labels]);

    const ndjson = reference.predictions
      .slice(0, 500)
      .map((event, index) => JSON.stringify({ ...event.features, prediction: event.prediction, score: event.score, label: reference.labels[index]!.label }))
      .join('\n');
    const uploadTraining = async () =>
      uploadReferenceDataset(client, { datasetName: 'fraud-train', modelId: 'fraud', columns: ['amount', 'country', 'items', 'returning', 'zero'], rows: readReferenceText(ndjson, 'ndjson').rows });

    const findDataset: DatasetLookup = async (name) => {
      const dataset = await getReferenceDataset(client, name);
      return dataset === null ? null : { uploadId: dataset.upload_id };
    };
    const runner = new JobRunner({
      client,
      kafka: undefined as unknown as KafkaAdapter, // runJob does not use Kafka
      settings: { jobsTopic: 'unused', groupId: 'unused', maxAttempts: 1, retryInitialMs: 10, instance: 'sql-recorder' },
      findDataset,
      log,
    });
    const run = async (monitorId: string, window = CURRENT_WINDOW, reason: AnalysisJob['reason'] = 'manual'): Promise<void> => {
      const outcome = await runner.runJob(job(monitorId, window, reason));
      if (outcome === 'failed') throw new Error(`analysis of ${monitorId} failed on 18.16 (see the log above)`);
    };

    const monitors = {
      trailing: monitor({ id: 'trailing', reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      fixed: monitor({ id: 'fixed', reference: { type: 'fixed', from: new Date(FIXED_FROM).toISOString(), to: new Date(FIXED_FROM + DAY).toISOString() } }),
      challenger: monitor({ id: 'challenger', model_version: 'v2', reference: { type: 'version', model_version: 'v1' } }),
      dataset: monitor({ id: 'vs-training', reference: { type: 'dataset', dataset: 'fraud-train' } }),
      segmented: monitor({ id: 'segmented', segments: ['channel'], features: ['amount', 'country', 'returning'], reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      allVersions: parseMonitor({ id: 'all-versions', model_id: 'fraud', window: '1h', min_events: 50, analyze_score: false, reference: { type: 'trailing', length: '12h', offset: '1h' } }),
      strict: monitor({ id: 'strict', min_events: 100_000, reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      split: parseMonitor({ id: 'split', model_id: 'split', window: '1h', min_events: 50, reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      price: parseMonitor({ id: 'price', model_id: 'price', window: '1h', min_events: 50, segments: ['city'], reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      intent: parseMonitor({ id: 'intent', model_id: 'intent', window: '1h', min_events: 50, reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      intentPositive: parseMonitor({ id: 'intent-buy', model_id: 'intent', window: '1h', min_events: 50, performance: { task: 'classification', positive_class: 'buy', min_labels: 10 }, reference: { type: 'trailing', length: '1d', offset: '0s' } }),
      weekly: monitor({ id: 'weekly', window: '1w', reference: { type: 'trailing', length: '28d', offset: '0s' } }),
    };
    for (const definition of Object.values(monitors)) await saveMonitor(client, definition, 'api');

    // Every reference kind through the job runner (analyzeWindow + storeWindowResults).
    await run('trailing');
    await run('trailing'); // a re-run replaces
    await run('trailing', CURRENT_WINDOW, 'schedule'); // skipped: done
    await run('fixed');
    await run('fixed'); // frozen edges now exist
    await run('challenger');
    await run('vs-training'); // not uploaded yet: no_reference
    await uploadTraining();
    await run('vs-training');
    await run('vs-training'); // frozen dataset edges
    await run('segmented');
    await run('all-versions');
    await run('strict');
    await run('split');
    await run('price');
    await run('intent');
    await run('intent-buy');
    // analyzeWindow + storeWindowResults directly, and an empty window (no traffic at all).
    const direct = await analyzeWindow({ client, findDataset, runId: 'direct-run', nowMs: Date.now() }, monitors.trailing, { start: CURRENT - 5 * DAY, end: CURRENT - 5 * DAY + HOUR });
    await storeWindowResults(client, direct);

    // Late labels for the current window, then the scheduler: due windows, late labels, a sweep.
    await insertLabels(client, current.labels.slice(0, 200), Date.now() + 5000);
    const now = CURRENT_WINDOW.end + 2 * HOUR;
    const enqueued: AnalysisJob[] = [];
    const scheduler = new AnalysisScheduler({ client, enqueue: async (jobs) => void enqueued.push(...jobs), log, defaultMonitors: true, sweepIntervalMs: 3_600_000, now: () => now });
    await scheduler.enqueueDue(monitors.trailing);
    await scheduler.enqueueLateLabels(monitors.trailing);
    await scheduler.enqueueLateLabels(monitors.allVersions);
    await scheduler.enqueueDue(monitors.weekly);
    await scheduler.enqueueLateLabels(monitors.weekly);
    const late = enqueued.find((queued) => queued.reason === 'late_labels' && queued.monitorId === 'trailing');
    if (late === undefined) throw new Error('the scheduler enqueued no late-label job for the trailing monitor');
    if ((await runner.runJob(late)) !== 'succeeded') throw new Error('late-label run failed');
    await scheduler.sweep(); // creates the default monitors of models without one
    await scheduler.stop();

    // Result queries, with and without filters.
    const filters: ResultFilter[] = [
      { modelId: 'fraud', limit: 10 },
      { modelId: 'fraud', monitorId: 'trailing', limit: 10 },
      { modelId: 'fraud', monitorId: 'challenger', modelVersion: 'v2', limit: 1 },
      { modelId: 'fraud', monitorId: 'segmented', segment: { name: 'channel' }, limit: 5 },
      { modelId: 'fraud', monitorId: 'segmented', segment: { name: 'channel', value: 'web' }, column: 'amount', limit: 5 },
      { modelId: 'fraud', monitorId: 'fixed', column: 'amount', from: CURRENT - DAY, to: CURRENT + DAY, limit: 3 },
      { modelId: 'price', segment: { name: 'city', value: "Paris" }, limit: 2 },
      { modelId: 'intent', monitorId: 'intent', column: 'accuracy', limit: 10 },
    ];
    for (const filter of filters) {
      await windowSummaries(client, filter);
      await driftSeries(client, filter, true);
      await driftSeries(client, filter, false);
      await performanceSeries(client, filter);
    }

    // Run store, monitor store.
    await listRuns(client, { limit: 100 });
    await listRuns(client, { monitorId: 'trailing', modelId: 'fraud', status: 'succeeded', limit: 5 });
    await hasSucceededRun(client, 'trailing', CURRENT, 0);
    await succeededWindows(client, 'trailing', CURRENT - DAY, CURRENT + DAY);
    await listMonitors(client);
    await listMonitors(client, 'fraud');
    await getMonitor(client, 'trailing');
    await getMonitor(client, 'missing');
    await syncConfigMonitors(client, [monitors.trailing, monitor({ id: 'from-config', reference: { type: 'trailing', length: '2d', offset: '0s' } })]);
    await deleteMonitor(client, monitors.strict);
    await run('strict'); // skipped: deleted
    await modelsWithoutMonitor(client);

    // Reference store: re-upload (removes the older upload's rows), list, get, delete.
    await uploadTraining();
    await uploadReferenceDataset(client, { datasetName: 'price-validation', modelId: 'price', columns: ['area'], rows: readReferenceText('{"area": 88.5, "prediction": 270000, "label": 265000}\n{"area": 61, "prediction": 190000, "label": 201000}', 'ndjson').rows });
    await listReferenceDatasets(client);
    await listReferenceDatasets(client, 'fraud');
    await getReferenceDataset(client, 'fraud-train');
    await getReferenceDataset(client, 'missing');
    await deleteReferenceDataset(client, 'price-validation');
    await deleteReferenceDataset(client, 'price-validation'); // nothing left to delete
    await listReferenceDatasets(client);
  } finally {
    await real.close();
  }
  return { version, timezone, statements };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  recordAnalyzerSql()
    .then((recorded) => {
      process.stdout.write(JSON.stringify(recorded));
      const distinct = new Set(recorded.statements.filter((statement) => statement.kind !== 'insert').map((statement) => statement.sql));
      process.stderr.write(`recorded ${recorded.statements.length} statements on ClickHouse ${recorded.version} (${distinct.size} distinct queries and commands) in database ${RECORD_DATABASE}\n`);
      if (!recorded.version.startsWith('18.')) process.stderr.write(`warning: the recording server is not 18.16 (the version the tests use) but ${recorded.version}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`record-analyzer-sql: ${(error as Error).stack ?? error}\n`);
      process.exit(1);
    });
}

// Reference datasets in ClickHouse (schemas/migrations/0003_monitors.sql). An upload writes
// its rows under a fresh upload_id first and its reference_datasets row last: readers go
// through the catalog row, so an upload that fails half-way is never visible. The newest
// catalog row of a name wins (FINAL); deleted = 1 hides the name. Rows of replaced or
// deleted uploads are removed afterwards with ALTER TABLE ... DELETE (asynchronous).
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { insertRowBinary } from '../../ingest/event-writer.js';
import { ModelId } from '../../schemas/events.js';
import { queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { ByteWriter, rowEncoder, type ColumnSpec, type ColumnType, type RowEncoder } from '../../storage/row-binary.js';
import { sql } from '../../storage/sql.js';
import { referenceRowsFromText, surveyReferenceText, type ColumnRoles, type InputFormat, type ReferenceRow } from './dataset-rows.js';
import type { DatasetLookup } from '../service/window-analysis.js';

export const DATASET_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const MODEL_ID_PATTERN = new RegExp(ModelId.pattern!);
const MODEL_ID_MAX_LENGTH = ModelId.maxLength!;

/** Rows per INSERT, and bytes: wide rows (2000 features) reach the byte bound first. */
export const INSERT_CHUNK_ROWS = 50_000;
const INSERT_CHUNK_BYTES = 32 * 1024 * 1024;
const READ_CHUNK_BYTES = 1 << 20;

export class ReferenceRequestError extends Error {
  override readonly name = 'ReferenceRequestError';
}

export function assertDatasetName(name: string): void {
  if (!DATASET_NAME_PATTERN.test(name)) throw new ReferenceRequestError(`dataset names are 1 to 128 characters of A-Z a-z 0-9 . _ : -, got "${name.slice(0, 140)}"`);
}

export function assertModelId(modelId: string): void {
  if (modelId.length > MODEL_ID_MAX_LENGTH || !MODEL_ID_PATTERN.test(modelId)) {
    throw new ReferenceRequestError(`model ids are 1 to ${MODEL_ID_MAX_LENGTH} characters of letters, digits and . _ : / - starting with a letter or digit, got "${modelId.slice(0, 140)}"`);
  }
}

export interface ReferenceDataset {
  name: string;
  model_id: string;
  upload_id: string;
  row_count: number;
  /** Feature columns (the file's columns but prediction, score and label). */
  columns: string[];
  uploaded_at: string;
}

const VALUE_KIND: ColumnType = { enum8: { none: 0, number: 1, string: 2, boolean: 3 } };

/**
 * The columns of a ReferenceRow in reference_rows' types. dataset_name and upload_id, the
 * same for a whole upload, are written ahead of them by referenceRowEncoder instead of
 * being copied into every row.
 */
export const REFERENCE_ROW_SPEC: ReadonlyArray<ColumnSpec<ReferenceRow>> = [
  ['row_number', 'UInt64'],
  ['prediction_kind', VALUE_KIND], ['prediction_num', 'Float64'], ['prediction_str', 'String'], ['score', 'Nullable(Float64)'],
  ['num_feature_names', 'Array(String)'], ['num_feature_values', 'Array(Float64)'], ['cat_feature_names', 'Array(String)'],
  ['cat_feature_values', 'Array(String)'], ['null_feature_names', 'Array(String)'],
  ['label_kind', VALUE_KIND], ['label_num', 'Float64'], ['label_str', 'String'],
];

const rowColumns = rowEncoder(REFERENCE_ROW_SPEC);

export function referenceRowEncoder(datasetName: string, uploadId: string): RowEncoder<ReferenceRow> {
  return {
    columns: ['dataset_name', 'upload_id', ...rowColumns.columns],
    encode(writer, row) {
      writer.string(datasetName);
      writer.string(uploadId);
      rowColumns.encode(writer, row);
    },
  };
}

interface CatalogRow {
  dataset_name: string;
  model_id: string;
  upload_id: string;
  row_count: string | number;
  column_names: string[];
  uploaded_ms: string | number;
  deleted: number;
}

const CATALOG_COLUMNS: [string, ...string[]] = ['dataset_name', 'model_id', 'upload_id', 'row_count', 'column_names', 'uploaded_ms', 'deleted'];

function toDataset(row: CatalogRow): ReferenceDataset {
  return {
    name: row.dataset_name,
    model_id: row.model_id,
    upload_id: row.upload_id,
    row_count: Number(row.row_count),
    columns: row.column_names,
    uploaded_at: new Date(Number(row.uploaded_ms)).toISOString(),
  };
}

/**
 * Every query of this module, as text (scripts/sql-statements.ts can print them for the
 * check against a current ClickHouse). FINAL sits inside a subquery and filters on other
 * columns than the key outside it: next to FINAL a WHERE may be moved to PREWHERE and
 * applied before the newest row of a name is chosen.
 */
export const REFERENCE_QUERIES = {
  newest: (name: string) => sql`
    SELECT dataset_name, model_id, upload_id, row_count, column_names, uploaded_ms, deleted
    FROM (SELECT * FROM reference_datasets FINAL WHERE dataset_name = ${name}) AS newest`,
  list: (modelId?: string) => `
    SELECT dataset_name, model_id, upload_id, row_count, column_names, uploaded_ms, deleted
    FROM (SELECT * FROM reference_datasets FINAL) AS newest
    WHERE deleted = 0${modelId === undefined ? '' : sql` AND model_id = ${modelId}`}
    ORDER BY dataset_name`,
  newestVersion: (name: string) => sql`SELECT max(uploaded_ms) AS newest FROM reference_datasets WHERE dataset_name = ${name}`,
  uploadsOlderThan: (name: string, version: number) =>
    sql`SELECT DISTINCT upload_id FROM reference_datasets WHERE dataset_name = ${name} AND uploaded_ms < ${version}`,
  deleteUploadRows: (name: string, uploadIds: string[]) =>
    sql`ALTER TABLE reference_rows DELETE WHERE dataset_name = ${name} AND has(${uploadIds}, upload_id)`,
} as const;

async function writeCatalogRow(client: ClickHouseClient, row: Omit<CatalogRow, 'row_count' | 'uploaded_ms'> & { row_count: number; uploaded_ms: number }): Promise<void> {
  // Columns always listed: 18.16 fills omitted JSON fields with zeros, not DEFAULTs.
  await client.insert({ table: 'reference_datasets', values: [row], format: 'JSONEachRow', columns: CATALOG_COLUMNS });
}

/**
 * A version strictly newer than every catalog row of the name, so that the row written
 * now wins even when the clocks of two instances disagree by a few milliseconds.
 */
async function nextVersion(client: ClickHouseClient, name: string, now: number): Promise<number> {
  const rows = await queryRows<{ newest: string | number }>(client, REFERENCE_QUERIES.newestVersion(name));
  return Math.max(now, Number(rows[0]?.newest ?? 0) + 1);
}

/**
 * Removes the rows of every upload of `name` whose catalog row is older than `version`.
 * Only uploads with a catalog row: one still writing its rows has none yet and is left alone.
 */
async function deleteOlderUploads(client: ClickHouseClient, name: string, version: number, keep: string | null): Promise<void> {
  const uploads = await queryRows<{ upload_id: string }>(client, REFERENCE_QUERIES.uploadsOlderThan(name, version));
  const ids = uploads.map((row) => row.upload_id).filter((id) => id !== keep && id.length > 0);
  if (ids.length > 0) await client.command({ query: REFERENCE_QUERIES.deleteUploadRows(name, ids) });
}

export interface UploadReferenceInput {
  datasetName: string;
  modelId: string;
  /** Feature column names, kept in the catalog. */
  columns: string[];
  rows: Iterable<ReferenceRow> | AsyncIterable<ReferenceRow>;
  now?: () => number;
  /** Removing the rows of the replaced upload failed (the new upload is stored and visible). */
  onCleanupError?: (error: unknown) => void;
}

export async function uploadReferenceDataset(client: ClickHouseClient, input: UploadReferenceInput): Promise<ReferenceDataset> {
  assertDatasetName(input.datasetName);
  assertModelId(input.modelId);
  const now = input.now ?? Date.now;
  const uploadId = randomUUID();
  const encoder = referenceRowEncoder(input.datasetName, uploadId);
  const writer = new ByteWriter(4 * 1024 * 1024);
  let chunkRows = 0;
  let rowCount = 0;
  const flush = async (): Promise<void> => {
    if (chunkRows === 0) return;
    await insertRowBinary(client, 'reference_rows', encoder.columns, writer.bytes());
    writer.truncate(0);
    chunkRows = 0;
  };
  try {
    for await (const row of input.rows) {
      // Rows were validated before; a RowBinaryError here is a bug, not bad input.
      encoder.encode(writer, row);
      chunkRows++;
      rowCount++;
      if (chunkRows >= INSERT_CHUNK_ROWS || writer.length >= INSERT_CHUNK_BYTES) await flush();
    }
    await flush();
    if (rowCount === 0) throw new ReferenceRequestError('a reference dataset needs at least one row');
  } catch (error) {
    // Invisible without a catalog row; removed so they do not take space.
    await client.command({ query: REFERENCE_QUERIES.deleteUploadRows(input.datasetName, [uploadId]) }).catch(() => undefined);
    throw error;
  }
  const uploadedMs = await nextVersion(client, input.datasetName, now());
  await writeCatalogRow(client, {
    dataset_name: input.datasetName, model_id: input.modelId, upload_id: uploadId,
    row_count: rowCount, column_names: input.columns, uploaded_ms: uploadedMs, deleted: 0,
  });
  try {
    await deleteOlderUploads(client, input.datasetName, uploadedMs, uploadId);
  } catch (error) {
    input.onCleanupError?.(error);
  }
  return {
    name: input.datasetName, model_id: input.modelId, upload_id: uploadId, row_count: rowCount,
    columns: input.columns, uploaded_at: new Date(uploadedMs).toISOString(),
  };
}

/** An upload's catalog entry, plus which role columns the file had (a misspelt role column would otherwise pass as a feature). */
export interface UploadedReference extends ReferenceDataset {
  roles: { prediction: string | null; score: string | null; label: string | null };
}

export interface UploadReferenceFileInput {
  file: string;
  format: InputFormat;
  datasetName: string;
  modelId: string;
  roles: ColumnRoles;
  now?: () => number;
  onCleanupError?: (error: unknown) => void;
}

function textChunks(file: string): AsyncIterable<string> {
  return createReadStream(file, { encoding: 'utf8', highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<string>;
}

/**
 * Reads the file twice: once to check all of it (ReferenceFileError, nothing written, when
 * any row is bad), once to write it. Memory stays flat whatever the file's size.
 */
export async function uploadReferenceFile(client: ClickHouseClient, input: UploadReferenceFileInput): Promise<UploadedReference> {
  assertDatasetName(input.datasetName);
  assertModelId(input.modelId);
  const plan = await surveyReferenceText(textChunks(input.file), input.format, input.roles);
  const found = (role: 'prediction' | 'score' | 'label'): string | null => (plan.present[role] ? input.roles[role] : null);
  const dataset = await uploadReferenceDataset(client, {
    datasetName: input.datasetName,
    modelId: input.modelId,
    columns: plan.features,
    rows: referenceRowsFromText(textChunks(input.file), plan),
    ...(input.now ? { now: input.now } : {}),
    ...(input.onCleanupError ? { onCleanupError: input.onCleanupError } : {}),
  });
  return { ...dataset, roles: { prediction: found('prediction'), score: found('score'), label: found('label') } };
}

export async function listReferenceDatasets(client: ClickHouseClient, modelId?: string): Promise<ReferenceDataset[]> {
  const rows = await queryRows<CatalogRow>(client, REFERENCE_QUERIES.list(modelId));
  return rows.map(toDataset);
}

/** The newest upload of a name, or null when there is none or the name was deleted. */
export async function getReferenceDataset(client: ClickHouseClient, name: string): Promise<ReferenceDataset | null> {
  if (!DATASET_NAME_PATTERN.test(name)) return null;
  const [row] = await queryRows<CatalogRow>(client, REFERENCE_QUERIES.newest(name));
  return row === undefined || Number(row.deleted) !== 0 ? null : toDataset(row);
}

/** Hides the name at once and removes its rows asynchronously; false when there was nothing to delete. */
export async function deleteReferenceDataset(client: ClickHouseClient, name: string, now: () => number = Date.now): Promise<boolean> {
  const current = await getReferenceDataset(client, name);
  if (current === null) return false;
  const version = await nextVersion(client, name, now());
  await writeCatalogRow(client, {
    dataset_name: name, model_id: current.model_id, upload_id: current.upload_id,
    row_count: 0, column_names: [], uploaded_ms: version, deleted: 1,
  });
  // The marker carries the deleted upload's id, so version + 1 covers it as well.
  await deleteOlderUploads(client, name, version + 1, null);
  return true;
}

/** The analyzer's view of the catalog: the newest upload of a named dataset. */
export function datasetLookup(client: ClickHouseClient): DatasetLookup {
  return async (name) => {
    const dataset = await getReferenceDataset(client, name);
    return dataset === null ? null : { uploadId: dataset.upload_id };
  };
}

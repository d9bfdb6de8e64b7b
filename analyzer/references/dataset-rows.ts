/**
 * Reference (baseline) datasets: the records of an uploaded file -> rows in the layout of
 * reference_rows (schemas/migrations/0003_monitors.sql), typed the way live events are
 * stored (ingest/rows.ts splitFeatures), so one query shape reads both.
 *
 * A file is read twice, so that nothing is written unless all of it is valid and memory
 * stays flat whatever its size:
 *  1. ReferenceSurvey sees every record, keeps the first 20 errors (and counts the rest)
 *     and, for CSV, learns each column's type;
 *  2. referenceRow converts each record with those types.
 *
 * Cell typing.
 *  - NDJSON keeps JSON's types, as a live event does: number -> num feature, string -> cat
 *    feature, boolean -> cat feature 'true'/'false', null -> null_feature_names; a key a
 *    line lacks is not stored for that row (a live event that omits a feature stores nothing).
 *  - CSV follows the offline reader (analyzer/offline/column-store.ts): each cell is read by
 *    parseCell; a column is numeric unless one of its cells is text, and then categorical,
 *    with numbers in canonical form (String(1.50) = "1.5"); a `categorical` column keeps the
 *    raw text ("007"). NaN/Infinity tokens in a numeric column are kept as the text a live
 *    event would have to carry them in, which the analyzer counts as type errors, as the
 *    offline reader does. One rule the offline reader does not need: a column whose every
 *    value is true/false in any case is boolean, as a JSON client sends it (pandas writes
 *    True/False, live events carry 'true'/'false'). Empty cells are null features and a
 *    'none' prediction or label.
 *  - `categorical` also applies to NDJSON: numbers in such a column become their text.
 * Values obey the limits of the live event contract (schemas/events.ts): names of 1-256
 * characters, strings of at most 4096, at most 2000 features, finite numbers, a score in [0, 1].
 */
import { parseCell, parsePlainDecimal, type ParsedCell } from '../offline/cell-value.js';
import { CsvParser } from '../offline/csv-parser.js';
import { InputError } from '../offline/input-error.js';
import { checkHeader, fieldCountProblem, parseNdjsonLine, type InputFormat } from '../offline/read-dataset.js';
import { splitFeatures, type FeatureColumns } from '../../ingest/rows.js';
import type { FeatureValue } from '../../schemas/events.js';

export type { InputFormat } from '../offline/read-dataset.js';

export const MAX_REPORTED_ERRORS = 20;
export const MAX_COLUMN_NAME_LENGTH = 256;
export const MAX_VALUE_LENGTH = 4096;
export const MAX_FEATURES = 2000;
/** Longer than the largest valid row (2000 features of 4096 characters), so only a runaway line trips it. */
const MAX_LINE_CHARACTERS = 16 * 1024 * 1024;
const BOOLEAN_WORDS = new Set(['true', 'false', 'True', 'False', 'TRUE', 'FALSE']);

export type ReferenceValueKind = 'none' | 'number' | 'string' | 'boolean';

/** One row of reference_rows, without dataset_name and upload_id (the same for a whole upload). */
export interface ReferenceRow extends FeatureColumns {
  /** 1-based data row of the file (header and blank lines not counted). */
  row_number: number;
  prediction_kind: ReferenceValueKind;
  prediction_num: number;
  prediction_str: string;
  score: number | null;
  label_kind: ReferenceValueKind;
  label_num: number;
  label_str: string;
}

export interface ColumnRoles {
  prediction: string;
  score: string;
  label: string;
  /** Columns read as categories whatever their cells look like. */
  categorical: ReadonlySet<string>;
}

export const DEFAULT_COLUMN_ROLES: ColumnRoles = { prediction: 'prediction', score: 'score', label: 'label', categorical: new Set() };

export class ColumnRolesError extends Error {
  override readonly name = 'ColumnRolesError';
}

/** Roles from user options (defaults for what is not given); throws ColumnRolesError when they contradict each other. */
export function columnRoles(options: { prediction?: string | undefined; score?: string | undefined; label?: string | undefined; categorical?: Iterable<string> | undefined }): ColumnRoles {
  const roles: ColumnRoles = {
    prediction: options.prediction ?? DEFAULT_COLUMN_ROLES.prediction,
    score: options.score ?? DEFAULT_COLUMN_ROLES.score,
    label: options.label ?? DEFAULT_COLUMN_ROLES.label,
    categorical: new Set(options.categorical ?? []),
  };
  for (const role of ['prediction', 'score', 'label'] as const) {
    const name = roles[role];
    if (name.length === 0 || name.length > MAX_COLUMN_NAME_LENGTH) throw new ColumnRolesError(`the ${role} column name must be 1 to ${MAX_COLUMN_NAME_LENGTH} characters long`);
  }
  if (new Set([roles.prediction, roles.score, roles.label]).size !== 3) {
    throw new ColumnRolesError(`the prediction, score and label columns must be three different columns, got "${roles.prediction}", "${roles.score}", "${roles.label}"`);
  }
  if (roles.categorical.has(roles.score)) throw new ColumnRolesError(`the score column "${roles.score}" is a probability and cannot be categorical`);
  return roles;
}

/** "a,b,,c" -> ["a", "b", "c"] (the form of --categorical and ?categorical=). */
export function parseColumnList(text: string | undefined): string[] {
  return (text ?? '').split(',').filter((name) => name.length > 0);
}

export interface ReferenceRowError {
  /** Data row (1-based), or null for a problem with the file as a whole. */
  row: number | null;
  line: number | null;
  column: string | null;
  message: string;
}

export function describeRowError(error: ReferenceRowError): string {
  const where = [
    error.row === null ? (error.line === null ? '' : `line ${error.line}`) : `row ${error.row}${error.line === null ? '' : ` (line ${error.line})`}`,
    error.column === null ? '' : `column "${error.column}"`,
  ].filter((part) => part.length > 0).join(', ');
  return where.length > 0 ? `${where}: ${error.message}` : error.message;
}

/** The file has errors; nothing was stored. `errors` holds the first MAX_REPORTED_ERRORS of `errorCount`. */
export class ReferenceFileError extends Error {
  override readonly name = 'ReferenceFileError';
  constructor(readonly errors: ReferenceRowError[], readonly errorCount: number) {
    super(`the file has ${errorCount} error${errorCount === 1 ? '' : 's'}, nothing was stored: ${errors.slice(0, 3).map(describeRowError).join('; ')}${errorCount > 3 ? '; ...' : ''}`);
  }
}

/** One record of the file, numbered as a data row; a problem record stands for a row (or file) that cannot be read. */
export type SourceRecord =
  | { row: number; line: number; names: readonly string[]; cells: readonly string[] }
  | { row: number; line: number; object: Readonly<Record<string, unknown>> }
  | { row: number | null; line: number | null; problem: { column: string | null; message: string } };

/**
 * Text chunks -> records. CSV through the offline reader's RFC 4180 parser and header
 * rules; NDJSON line by line. After a problem that leaves the rest unreadable (CSV
 * quoting, the header) it reports that problem once and ignores further input.
 */
export class RecordReader {
  private readonly parser: CsvParser | null;
  private readonly out: SourceRecord[] = [];
  private names: string[] | null = null;
  private cells: string[] = [];
  private rows = 0;
  private line = 0;
  private pending = '';
  private started = false;
  private stopped = false;

  constructor(readonly format: InputFormat, private readonly source = 'upload') {
    this.parser = format === 'csv'
      ? new CsvParser(source, {
        cell: (text, start, end) => this.cells.push(text.slice(start, end)),
        quotedCell: (value) => this.cells.push(value),
        endRecord: (line) => this.endCsvRecord(line),
      })
      : null;
  }

  /** The records this chunk completed. */
  push(chunk: string): SourceRecord[] {
    if (!this.stopped) this.guard(() => (this.parser ? this.parser.push(chunk) : this.pushNdjson(chunk)));
    return this.out.splice(0);
  }

  /** The last records, at the end of the text. */
  end(): SourceRecord[] {
    if (!this.stopped) {
      this.guard(() => {
        if (this.parser) this.parser.end();
        else this.ndjsonLine(this.pending);
        if (this.parser && this.names === null) throw new InputError(this.source, 1, null, 'the file is empty: expected a header row');
      });
    }
    return this.out.splice(0);
  }

  private guard(read: () => void): void {
    try {
      read();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.stopped = true;
      const column = error.column === null ? null : (this.names ?? this.cells)[error.column - 1] ?? `field ${error.column}`;
      this.out.push({ row: null, line: error.line, problem: { column, message: error.detail } });
    }
  }

  private endCsvRecord(line: number): void {
    const cells = this.cells;
    this.cells = [];
    if (this.names === null) {
      this.cells = cells; // for the column name of a header error
      checkHeader(this.source, cells, line);
      const tooLong = cells.find((name) => name.length > MAX_COLUMN_NAME_LENGTH);
      if (tooLong !== undefined) throw new InputError(this.source, line, cells.indexOf(tooLong) + 1, `column names must be at most ${MAX_COLUMN_NAME_LENGTH} characters long`);
      this.names = cells;
      this.cells = [];
      return;
    }
    const row = ++this.rows;
    if (cells.length === this.names.length) {
      this.out.push({ row, line, names: this.names, cells });
    } else {
      const problem = fieldCountProblem(this.names, cells.length);
      this.out.push({ row, line, problem: { column: this.names[problem.field - 1] ?? null, message: problem.message } });
    }
  }

  private pushNdjson(chunk: string): void {
    let text = this.pending + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    }
    let start = 0;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      this.ndjsonLine(text.slice(start, end));
      start = end + 1;
    }
    this.pending = text.slice(start);
    if (this.pending.length > MAX_LINE_CHARACTERS) throw new InputError(this.source, this.line + 1, null, `a line is longer than ${MAX_LINE_CHARACTERS} characters`);
  }

  private ndjsonLine(text: string): void {
    const line = ++this.line;
    let object: Record<string, unknown> | null;
    try {
      object = parseNdjsonLine(this.source, line, text);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.out.push({ row: ++this.rows, line, problem: { column: null, message: `${error.detail} (at character ${error.column})` } });
      return;
    }
    if (object !== null) this.out.push({ row: ++this.rows, line, object });
  }
}

/** How the cells of one CSV column become values (decided by the survey over the whole file). */
export type CsvColumnType = 'numeric' | 'categorical' | 'boolean' | 'raw';

export interface ReferencePlan {
  format: InputFormat;
  roles: ColumnRoles;
  /** Feature columns (every column but the role columns), in first-seen order. */
  features: string[];
  /** Which role columns the file has. */
  present: { prediction: boolean; score: boolean; label: boolean };
  rowCount: number;
  /** A feature is named __proto__. */
  protoFeature: boolean;
  /** CSV: the type of each column, by header position. */
  csvTypes: CsvColumnType[];
}

interface CsvColumnStats {
  hasValue: boolean;
  sawText: boolean;
  allBoolean: boolean;
}

type Role = 'prediction' | 'score' | 'label' | 'feature';

function roleOf(roles: ColumnRoles, name: string): Role {
  return name === roles.prediction ? 'prediction' : name === roles.score ? 'score' : name === roles.label ? 'label' : 'feature';
}

/** parseCell, through the offline reader's fast path for plain decimals first. */
function readCsvCell(text: string): ParsedCell {
  const value = parsePlainDecimal(text, 0, text.length);
  return value === value ? { kind: 'number', value } : parseCell(text);
}

/** Missing in a forced-categorical column, as ColumnStore.addText decides it. */
function isMissingText(text: string): boolean {
  return text.length === 0 || text === 'null' || text === 'NULL' || text.trim().length === 0;
}

function scoreFromText(text: string): number | null | string {
  const cell = readCsvCell(text);
  if (cell.kind === 'missing') return null;
  if (cell.kind === 'number' && cell.value >= 0 && cell.value <= 1) return cell.value;
  return `the score must be a number in [0, 1] or empty, got "${text.slice(0, 40)}"`;
}

function scoreFromJson(value: unknown): number | null | string {
  if (value === null) return null;
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  return `the score must be a number in [0, 1] or null, got ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`;
}

/** Why a JSON value cannot be a column value, or null when it can. */
function jsonValueProblem(value: unknown): string | null {
  switch (typeof value) {
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : 'numbers must be finite';
    case 'string':
      return value.length > MAX_VALUE_LENGTH ? `text values must be at most ${MAX_VALUE_LENGTH} characters long` : null;
    default:
      return value === null ? null : 'must be a number, string, boolean or null (objects and arrays are not column values)';
  }
}

/** Pass 1: every record of the file, for its errors and its column types. */
export class ReferenceSurvey {
  private rowCount = 0;
  private readonly errors: ReferenceRowError[] = [];
  private errorCount = 0;
  private names: readonly string[] | null = null;
  private roleAt: Role[] = [];
  private stats: CsvColumnStats[] = [];
  private readonly seenColumns = new Set<string>();
  private readonly features: string[] = [];

  constructor(readonly format: InputFormat, readonly roles: ColumnRoles) {}

  private error(row: number | null, line: number | null, column: string | null, message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ row, line, column, message });
  }

  add(record: SourceRecord): void {
    if (record.row !== null) this.rowCount = Math.max(this.rowCount, record.row);
    if ('problem' in record) this.error(record.row, record.line, record.problem.column, record.problem.message);
    else if ('cells' in record) this.addCsv(record);
    else this.addNdjson(record);
  }

  private addCsv(record: { row: number; line: number; names: readonly string[]; cells: readonly string[] }): void {
    if (this.names === null) {
      this.names = record.names;
      this.roleAt = record.names.map((name) => roleOf(this.roles, name));
      this.stats = record.names.map(() => ({ hasValue: false, sawText: false, allBoolean: true }));
      for (const name of record.names) this.noteColumn(name);
    }
    const { cells, names } = record;
    for (let i = 0; i < cells.length; i++) {
      const text = cells[i]!;
      if (this.roleAt[i] === 'score') {
        const score = scoreFromText(text);
        if (typeof score === 'string') this.error(record.row, record.line, names[i]!, score);
      } else if (this.roles.categorical.has(names[i]!)) {
        if (text.length > MAX_VALUE_LENGTH) this.error(record.row, record.line, names[i]!, `text values must be at most ${MAX_VALUE_LENGTH} characters long`);
      } else {
        const cell = readCsvCell(text);
        if (cell.kind === 'missing') continue;
        const stats = this.stats[i]!;
        stats.hasValue = true;
        if (!BOOLEAN_WORDS.has(text)) stats.allBoolean = false;
        if (cell.kind === 'text') stats.sawText = true;
        if (cell.kind !== 'number' && text.length > MAX_VALUE_LENGTH) this.error(record.row, record.line, names[i]!, `text values must be at most ${MAX_VALUE_LENGTH} characters long`);
      }
    }
  }

  private addNdjson(record: { row: number; line: number; object: Readonly<Record<string, unknown>> }): void {
    for (const [name, value] of Object.entries(record.object)) {
      if (name.length === 0 || name.length > MAX_COLUMN_NAME_LENGTH) {
        this.error(record.row, record.line, name.slice(0, 64), `column names must be 1 to ${MAX_COLUMN_NAME_LENGTH} characters long`);
        continue;
      }
      const problem = roleOf(this.roles, name) === 'score' ? scoreFromJson(value) : jsonValueProblem(value);
      if (typeof problem === 'string') this.error(record.row, record.line, name, problem);
      this.noteColumn(name);
    }
  }

  private noteColumn(name: string): void {
    if (this.seenColumns.has(name)) return;
    // Past the limit only the count matters; the names themselves are not kept.
    if (this.features.length > MAX_FEATURES) return;
    this.seenColumns.add(name);
    if (roleOf(this.roles, name) === 'feature') this.features.push(name);
  }

  /** The plan for pass 2; throws ReferenceFileError when the file has any error. */
  finish(): ReferencePlan {
    if (this.rowCount === 0 && this.errorCount === 0) this.error(null, null, null, 'the file has no data rows');
    if (this.features.length > MAX_FEATURES) this.error(null, null, null, `the file has more than ${MAX_FEATURES} feature columns`);
    for (const name of this.roles.categorical) {
      if (this.rowCount > 0 && !this.seenColumns.has(name)) this.error(null, null, name, 'is listed as categorical but is not a column of the file');
    }
    if (this.errorCount > 0) throw new ReferenceFileError(this.errors, this.errorCount);
    return {
      format: this.format,
      roles: this.roles,
      features: this.features,
      present: {
        prediction: this.seenColumns.has(this.roles.prediction),
        score: this.seenColumns.has(this.roles.score),
        label: this.seenColumns.has(this.roles.label),
      },
      rowCount: this.rowCount,
      protoFeature: this.features.includes('__proto__'),
      csvTypes: (this.names ?? []).map((name, i) => {
        const stats = this.stats[i]!;
        if (this.roles.categorical.has(name)) return 'raw';
        if (stats.hasValue && stats.allBoolean) return 'boolean';
        return stats.sawText ? 'categorical' : 'numeric';
      }),
    };
  }
}

function csvValue(text: string, type: CsvColumnType): FeatureValue {
  if (type === 'raw') return isMissingText(text) ? null : text;
  const cell = readCsvCell(text);
  switch (cell.kind) {
    case 'missing':
      return null;
    case 'number':
      return type === 'numeric' ? cell.value : String(cell.value);
    default:
      return type === 'boolean' ? text.toLowerCase() === 'true' : text;
  }
}

/** A prediction or label as ingest/rows.ts splitValue stores it; null is 'none'. */
function valueColumns(value: FeatureValue): { kind: ReferenceValueKind; num: number; str: string } {
  if (value === null) return { kind: 'none', num: 0, str: '' };
  if (typeof value === 'number') return { kind: 'number', num: value, str: '' };
  if (typeof value === 'boolean') return { kind: 'boolean', num: value ? 1 : 0, str: value ? 'true' : 'false' };
  return { kind: 'string', num: 0, str: value };
}

/** Pass 2: one record of a file the survey accepted, as a reference row. */
export function referenceRow(plan: ReferencePlan, record: SourceRecord): ReferenceRow {
  if ('problem' in record) throw new Error(`row ${record.row ?? '?'} could not be read although the first pass read it: did the file change?`);
  const { roles } = plan;
  // A plain object keeps V8's fast properties (rows share one shape); only a feature named
  // __proto__ needs an object without a prototype, where it is an ordinary key.
  const features: Record<string, FeatureValue> = plan.protoFeature ? Object.create(null) as Record<string, FeatureValue> : {};
  let prediction: FeatureValue = null;
  let label: FeatureValue = null;
  let score: number | null = null;
  const take = (name: string, value: FeatureValue): void => {
    if (name === roles.prediction) prediction = value;
    else if (name === roles.label) label = value;
    else features[name] = value;
  };
  if ('cells' in record) {
    record.cells.forEach((text, i) => {
      const name = record.names[i]!;
      if (name === roles.score) score = scoreFromText(text) as number | null;
      else take(name, csvValue(text, plan.csvTypes[i] ?? 'numeric'));
    });
  } else {
    for (const [name, value] of Object.entries(record.object)) {
      if (name === roles.score) score = value as number | null;
      else take(name, typeof value === 'number' && roles.categorical.has(name) ? String(value) : (value as FeatureValue));
    }
  }
  const predicted = valueColumns(prediction);
  const labelled = valueColumns(label);
  return {
    row_number: record.row,
    prediction_kind: predicted.kind,
    prediction_num: predicted.num,
    prediction_str: predicted.str,
    score,
    ...splitFeatures(features),
    label_kind: labelled.kind,
    label_num: labelled.num,
    label_str: labelled.str,
  };
}

type Chunks = AsyncIterable<string> | Iterable<string>;

/** Pass 1 over a text given in chunks. */
export async function surveyReferenceText(chunks: Chunks, format: InputFormat, roles: ColumnRoles): Promise<ReferencePlan> {
  const reader = new RecordReader(format);
  const survey = new ReferenceSurvey(format, roles);
  for await (const chunk of chunks) for (const record of reader.push(chunk)) survey.add(record);
  for (const record of reader.end()) survey.add(record);
  return survey.finish();
}

/** Pass 2 over the same text: its rows, lazily. */
export async function* referenceRowsFromText(chunks: Chunks, plan: ReferencePlan): AsyncGenerator<ReferenceRow> {
  const reader = new RecordReader(plan.format);
  let rows = 0;
  for await (const chunk of chunks) {
    for (const record of reader.push(chunk)) {
      rows++;
      yield referenceRow(plan, record);
    }
  }
  for (const record of reader.end()) {
    rows++;
    yield referenceRow(plan, record);
  }
  if (rows !== plan.rowCount) throw new Error(`the file had ${plan.rowCount} rows when checked and ${rows} when stored: did it change?`);
}

/** Both passes over a text in memory (small files and tests). */
export function readReferenceText(text: string, format: InputFormat, roles: ColumnRoles = DEFAULT_COLUMN_ROLES): { plan: ReferencePlan; rows: ReferenceRow[] } {
  const survey = new ReferenceSurvey(format, roles);
  const first = new RecordReader(format);
  for (const record of [...first.push(text), ...first.end()]) survey.add(record);
  const plan = survey.finish();
  const second = new RecordReader(format);
  return { plan, rows: [...second.push(text), ...second.end()].map((record) => referenceRow(plan, record)) };
}

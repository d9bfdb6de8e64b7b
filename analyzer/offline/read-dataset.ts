/**
 * Streams one input file (CSV with a header row, or NDJSON) into per-column
 * stores. The format comes from the extension (.csv, .ndjson, .jsonl), else
 * from the first non-blank character ('{' means NDJSON).
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { ColumnStore } from './column-store.js';
import { CsvParser } from './csv-parser.js';
import { InputError } from './input-error.js';
import { jsonErrorOffset } from './json-error-position.js';

export type InputFormat = 'csv' | 'ndjson';

export interface Dataset {
  file: string;
  format: InputFormat;
  /** Data rows (header and blank lines excluded). */
  rows: number;
  /** Column names in first-seen order. */
  names: string[];
  columns: Map<string, ColumnStore>;
}

export interface ReadOptions {
  categorical: ReadonlySet<string>;
}

const READ_CHUNK = 1 << 20;

export function formatFromExtension(file: string): InputFormat | null {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return null;
}

export async function readDataset(file: string, options: ReadOptions): Promise<Dataset> {
  const dataset: Dataset = { file, format: formatFromExtension(file) ?? 'csv', rows: 0, names: [], columns: new Map() };
  let feed: ((chunk: string) => void) | null = null;
  let finish: () => void = () => undefined;
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (feed === null) {
        if (formatFromExtension(file) === null) dataset.format = sniffFormat(chunk);
        [feed, finish] = dataset.format === 'csv' ? csvSink(dataset, options) : ndjsonSink(dataset, options);
      }
      feed(chunk);
    }
  } catch (error) {
    // File-system failures are input problems; anything else is a bug and propagates.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || error instanceof InputError) throw error;
    throw new InputError(file, null, null, code === 'ENOENT' ? 'file not found' : (error as Error).message);
  } finally {
    stream.destroy();
  }
  if (feed === null) throw new InputError(file, 1, 1, 'file is empty: expected a header row or JSON objects');
  finish();
  if (dataset.names.length === 0) throw new InputError(file, 1, 1, 'no columns found');
  for (const store of dataset.columns.values()) {
    // Cells absent from a row (short NDJSON objects) are missing values.
    store.missing += dataset.rows - store.seen;
    store.seen = dataset.rows;
  }
  return dataset;
}

export function sniffFormat(chunk: string): InputFormat {
  const firstCharacter = chunk.replace(/^\uFEFF/, '').trimStart()[0];
  return firstCharacter === '{' ? 'ndjson' : 'csv';
}

type Sink = [feed: (chunk: string) => void, finish: () => void];

function csvSink(dataset: Dataset, options: ReadOptions): Sink {
  const headerNames: string[] = [];
  let stores: ColumnStore[] | null = null;
  let column = 0;
  const parser = new CsvParser(dataset.file, {
    cell(source, start, end) {
      if (stores === null) headerNames.push(source.slice(start, end));
      else if (column < stores.length) stores[column]!.addSlice(source, start, end);
      column++;
    },
    quotedCell(value) {
      if (stores === null) headerNames.push(value);
      else if (column < stores.length) stores[column]!.addText(value);
      column++;
    },
    endRecord(line) {
      if (stores === null) stores = createColumns(dataset, options, headerNames, line);
      else if (column !== stores.length) {
        const problem = fieldCountProblem(dataset.names, column);
        throw new InputError(dataset.file, line, problem.field, problem.message);
      } else dataset.rows++;
      column = 0;
    },
  });
  return [(chunk) => parser.push(chunk), () => parser.end()];
}

/** A record whose field count differs from the header's: the field to point at (1-based) and why. */
export function fieldCountProblem(names: readonly string[], found: number): { field: number; message: string } {
  const field = Math.min(found, names.length) + 1;
  return {
    field,
    message: `expected ${names.length} fields as in the header, found ${found}` + (found < names.length ? ` (no value for "${names[field - 1]}")` : ''),
  };
}

/** Throws an InputError at the first empty or repeated name of a CSV header row. */
export function checkHeader(file: string, names: readonly string[], line: number): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name.trim().length === 0) throw new InputError(file, line, index + 1, 'empty column name in the header');
    if (seen.has(name)) throw new InputError(file, line, index + 1, `duplicate column name "${name}"`);
    seen.add(name);
  });
}

function createColumns(dataset: Dataset, options: ReadOptions, names: string[], line: number): ColumnStore[] {
  checkHeader(dataset.file, names, line);
  return names.map((name) => {
    const store = new ColumnStore(options.categorical.has(name));
    dataset.columns.set(name, store);
    dataset.names.push(name);
    return store;
  });
}

function ndjsonSink(dataset: Dataset, options: ReadOptions): Sink {
  let pending = '';
  let line = 0;
  const handleLine = (text: string): void => {
    line++;
    const row = parseNdjsonLine(dataset.file, line, text);
    if (row === null) return;
    for (const [name, value] of Object.entries(row)) {
      let store = dataset.columns.get(name);
      if (store === undefined) {
        store = new ColumnStore(options.categorical.has(name));
        // Rows before this key appeared had no value for it.
        store.seen = dataset.rows;
        store.missing = dataset.rows;
        dataset.columns.set(name, store);
        dataset.names.push(name);
      }
      addJsonValue(store, value);
    }
    dataset.rows++;
  };
  let first = true;
  const feed = (chunk: string): void => {
    let text = pending + chunk;
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      handleLine(text.slice(start, end));
      start = end + 1;
    }
    pending = text.slice(start);
  };
  return [feed, () => handleLine(pending)];
}

/** One NDJSON line as an object; null for a blank line; an InputError (line, character) when it is not a JSON object. */
export function parseNdjsonLine(file: string, line: number, text: string): Record<string, unknown> | null {
  if (text.trim().length === 0) return null;
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (error) {
    const offset = jsonErrorOffset(text);
    throw new InputError(file, line, offset + 1, `invalid JSON: ${(error as Error).message}`);
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new InputError(file, line, 1, 'expected a JSON object per line');
  }
  return row as Record<string, unknown>;
}

function addJsonValue(store: ColumnStore, value: unknown): void {
  if (value === null) store.addMissing();
  else if (typeof value === 'number') store.addNumber(value);
  else if (typeof value === 'string') store.addText(value);
  else if (typeof value === 'boolean') store.addCategory(value ? 'true' : 'false');
  else store.addTypeError(); // objects and arrays are not column values
}


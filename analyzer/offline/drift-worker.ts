/**
 * Worker thread of the offline command: reads a file or analyses one numeric
 * column, so the two files parse at the same time and columns sort on all
 * cores. Messages are plain data; Float64Arrays travel as transfers.
 */
import { parentPort } from 'node:worker_threads';
import { analyzeNumericSamples, type NumericSideExtras } from '../stats/numeric-column.js';
import type { ColumnSnapshot } from './column-store.js';
import { InputError } from './input-error.js';
import { readDataset, type InputFormat } from './read-dataset.js';

export type WorkerTask =
  | { type: 'read'; file: string; categorical: string[] }
  | { type: 'numeric'; reference: Float64Array; current: Float64Array; extras: NumericSideExtras };

export interface DatasetSnapshot {
  file: string;
  format: InputFormat;
  rows: number;
  names: string[];
  columns: Array<[string, ColumnSnapshot]>;
}

export type WorkerReply =
  | { ok: true; value: unknown }
  | { ok: false; input: { file: string; line: number | null; column: number | null; detail: string } }
  | { ok: false; message: string };

async function handle(task: WorkerTask): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  if (task.type === 'numeric') {
    return { value: analyzeNumericSamples(task.reference, task.current, task.extras), transfer: [] };
  }
  const dataset = await readDataset(task.file, { categorical: new Set(task.categorical) });
  const columns: Array<[string, ColumnSnapshot]> = [];
  const transfer: ArrayBuffer[] = [];
  for (const name of dataset.names) {
    const snapshot = dataset.columns.get(name)!.toSnapshot();
    if (snapshot.numbers !== null) transfer.push(snapshot.numbers.buffer as ArrayBuffer);
    columns.push([name, snapshot]);
  }
  const value: DatasetSnapshot = { file: dataset.file, format: dataset.format, rows: dataset.rows, names: dataset.names, columns };
  return { value, transfer };
}

parentPort?.on('message', (task: WorkerTask) => {
  handle(task).then(
    ({ value, transfer }) => parentPort!.postMessage({ ok: true, value } satisfies WorkerReply, transfer),
    (error: unknown) => {
      const reply: WorkerReply =
        error instanceof InputError
          ? { ok: false, input: { file: error.file, line: error.line, column: error.column, detail: error.detail } }
          : { ok: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      parentPort!.postMessage(reply);
    },
  );
});

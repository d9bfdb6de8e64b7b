/**
 * `driftwatch drift`: offline drift report for CI pipelines and notebooks.
 * Exit codes: 0 no dataset drift, 1 dataset drift, 2 bad input or usage.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { analyzeDatasets } from './analyze-datasets.js';
import { ColumnStore } from './column-store.js';
import { DRIFT_HELP, parseDriftArguments, type DriftOptions } from './drift-arguments.js';
import type { DatasetSnapshot } from './drift-worker.js';
import { InputError, UsageError } from './input-error.js';
import { readDataset, type Dataset, type ReadOptions } from './read-dataset.js';
import { reportJson, reportTable } from './report-format.js';
import { WorkerPool } from './worker-pool.js';
import { resolveThresholds } from '../stats/decision.js';

/** Below this much input, thread start-up costs more than it saves. */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;

export const EXIT_NO_DRIFT = 0;
export const EXIT_DRIFT = 1;
export const EXIT_BAD_INPUT = 2;

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface RunOptions {
  /**
   * Worker threads for parsing and numeric columns. Default: one per core (up
   * to 8) when the inputs total 8 MB or more, else none. 0 runs in-process.
   */
  workers?: number;
}

export async function runDriftCommand(argv: string[], io: CommandIo, runOptions: RunOptions = {}): Promise<number> {
  let options: DriftOptions;
  try {
    options = parseDriftArguments(argv);
    resolveThresholds(options.thresholds);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      io.stderr.write(`driftwatch drift: ${error.message}\n\n${DRIFT_HELP}`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
  if (options.help) {
    io.stdout.write(DRIFT_HELP);
    return EXIT_NO_DRIFT;
  }
  const pool = startPool(options, runOptions.workers);
  try {
    const readOptions = { categorical: options.categorical };
    const [reference, current] = await Promise.all([
      read(options.reference, readOptions, pool),
      read(options.current, readOptions, pool),
    ]);
    const unknown = [...options.categorical].filter((name) => !reference.columns.has(name) && !current.columns.has(name));
    if (unknown.length > 0) {
      throw new InputError(options.reference, null, null, `--categorical names unknown column(s): ${unknown.join(', ')}`);
    }
    const report = await analyzeDatasets(reference, current, options.categorical, options.thresholds, pool);
    io.stdout.write(options.format === 'json' ? reportJson(report) : reportTable(report));
    return report.decision.datasetDrifted ? EXIT_DRIFT : EXIT_NO_DRIFT;
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr.write(`driftwatch drift: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw error;
  } finally {
    await pool?.close();
  }
}

function inputBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // reading reports the problem with the file name
  }
}

function startPool(options: DriftOptions, workers: number | undefined): WorkerPool | null {
  if (workers !== undefined) return workers > 0 ? new WorkerPool(workers) : null;
  const cores = availableParallelism();
  if (cores < 2 || inputBytes(options.reference) + inputBytes(options.current) < PARALLEL_MIN_BYTES) return null;
  return new WorkerPool(Math.min(cores, 8));
}

/** Both files parse at once when there is a pool (one thread each). */
async function read(file: string, options: ReadOptions, pool: WorkerPool | null): Promise<Dataset> {
  if (pool === null) return readDataset(file, options);
  const snapshot = await pool.run<DatasetSnapshot>({ type: 'read', file, categorical: [...options.categorical] });
  return {
    file: snapshot.file,
    format: snapshot.format,
    rows: snapshot.rows,
    names: snapshot.names,
    columns: new Map(snapshot.columns.map(([name, column]) => [name, ColumnStore.fromSnapshot(column)])),
  };
}

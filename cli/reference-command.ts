// `driftwatch reference upload|list|delete`: named baseline datasets, straight against
// ClickHouse (as `driftwatch migrate` is). Exit codes: 0 done, 1 not found or ClickHouse
// failed, 2 bad usage or a bad file (nothing stored).
import { open, stat } from 'node:fs/promises';
import { formatFromExtension, sniffFormat } from '../analyzer/offline/read-dataset.js';
import {
  ColumnRolesError, ReferenceFileError, columnRoles, describeRowError, parseColumnList, type InputFormat,
} from '../analyzer/references/dataset-rows.js';
import {
  ReferenceRequestError, deleteReferenceDataset, listReferenceDatasets, uploadReferenceFile, type ReferenceDataset,
} from '../analyzer/references/reference-store.js';
import type { DriftwatchConfig } from '../config/config.js';
import { clickHouseErrorCode, createClickHouse, isTransientStorageError, type ClickHouseClient } from '../storage/clickhouse.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const REFERENCE_HELP = `Usage:
  driftwatch reference upload --model M --name N [options] FILE
  driftwatch reference list [--model M] [--json]
  driftwatch reference delete --name N

Reference datasets are baselines (training or validation sets) that monitors compare
live traffic with. FILE is CSV with a header row, or NDJSON (one JSON object per line),
chosen by extension (.csv, .ndjson, .jsonl), --format, or content. Every column but the
prediction, score and label columns is a feature; any of the three may be absent. The
whole file is checked first: if any row is invalid, nothing is stored. Uploading under
an existing name replaces that dataset once the new one is completely stored.

Upload options:
  --model M                 the model the dataset belongs to (required)
  --name N                  dataset name: 1-128 characters of A-Z a-z 0-9 . _ : - (required)
  --prediction-column C     column holding the prediction (default: prediction)
  --score-column C          column holding the score, a number in [0, 1] or empty (default: score)
  --label-column C          column holding the label (default: label)
  --categorical a,b,...     read these columns as categories whatever they look like
  --format csv|ndjson       the file's format, when its extension does not say
`;

export interface ReferenceCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface ParsedArguments {
  flags: Map<string, string>;
  switches: Set<string>;
  positional: string[];
}

const VALUE_FLAGS = new Set(['--model', '--name', '--prediction-column', '--score-column', '--label-column', '--categorical', '--format', '--config']);
const SWITCHES = new Set(['--json', '--help', '-h']);

function parseArguments(args: readonly string[]): ParsedArguments {
  const parsed: ParsedArguments = { flags: new Map(), switches: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const argument = args[i]!;
    if (SWITCHES.has(argument)) {
      parsed.switches.add(argument === '-h' ? '--help' : argument);
      continue;
    }
    if (!argument.startsWith('-') || argument === '-') {
      parsed.positional.push(argument);
      continue;
    }
    const equals = argument.indexOf('=');
    const flag = equals > 0 ? argument.slice(0, equals) : argument;
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option "${flag}"`);
    const value = equals > 0 ? argument.slice(equals + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    parsed.flags.set(flag, value);
  }
  return parsed;
}

function required(parsed: ParsedArguments, flag: string): string {
  const value = parsed.flags.get(flag);
  if (value === undefined || value.length === 0) throw new UsageError(`${flag} is required`);
  return value;
}

function allowOnly(parsed: ParsedArguments, command: string, flags: string[], positional = 0): void {
  // --config is read by cli/main.ts before this command runs.
  const allowed = new Set([...flags, '--config']);
  for (const flag of parsed.flags.keys()) if (!allowed.has(flag)) throw new UsageError(`${flag} does not apply to "reference ${command}"`);
  if (parsed.positional.length > positional) throw new UsageError(`unexpected argument "${parsed.positional[positional]}"`);
}

async function detectFormat(file: string, flag: string | undefined): Promise<InputFormat> {
  if (flag !== undefined) {
    if (flag !== 'csv' && flag !== 'ndjson') throw new UsageError(`--format must be csv or ndjson, got "${flag}"`);
    return flag;
  }
  if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
  const fromExtension = formatFromExtension(file);
  if (fromExtension !== null) return fromExtension;
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return sniffFormat(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

function describeDataset(dataset: ReferenceDataset): string {
  return `"${dataset.name}" for model ${dataset.model_id}: ${dataset.row_count} rows, ${dataset.columns.length} feature columns (upload ${dataset.upload_id}, ${dataset.uploaded_at})`;
}

function table(datasets: ReferenceDataset[]): string {
  const header = ['NAME', 'MODEL', 'ROWS', 'FEATURES', 'UPLOADED'];
  const lines = datasets.map((d) => [d.name, d.model_id, String(d.row_count), String(d.columns.length), d.uploaded_at]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}

async function upload(client: ClickHouseClient, parsed: ParsedArguments, io: ReferenceCommandIo): Promise<number> {
  allowOnly(parsed, 'upload', ['--model', '--name', '--prediction-column', '--score-column', '--label-column', '--categorical', '--format'], 1);
  const file = parsed.positional[0];
  if (file === undefined) throw new UsageError('the file to upload is missing');
  const modelId = required(parsed, '--model');
  const datasetName = required(parsed, '--name');
  let roles;
  try {
    roles = columnRoles({
      prediction: parsed.flags.get('--prediction-column'),
      score: parsed.flags.get('--score-column'),
      label: parsed.flags.get('--label-column'),
      categorical: parseColumnList(parsed.flags.get('--categorical')),
    });
  } catch (error) {
    if (error instanceof ColumnRolesError) throw new UsageError(error.message);
    throw error;
  }
  let format: InputFormat;
  try {
    format = await detectFormat(file, parsed.flags.get('--format'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    io.stderr.write(`driftwatch reference: ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}\n`);
    return EXIT_USAGE;
  }
  try {
    const dataset = await uploadReferenceFile(client, {
      file, format, datasetName, modelId, roles,
      onCleanupError: (error) => io.stderr.write(`driftwatch reference: warning: the replaced upload's rows were not removed: ${(error as Error).message}\n`),
    });
    const found = (['prediction', 'score', 'label'] as const).map((role) => `${role}: ${dataset.roles[role] ?? 'none'}`).join(', ');
    io.stdout.write(`uploaded reference dataset ${describeDataset(dataset)}\n  features: ${dataset.columns.join(', ')}\n  ${found}\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ReferenceFileError) {
      io.stderr.write(`driftwatch reference: ${file}: ${error.errorCount} error${error.errorCount === 1 ? '' : 's'}, nothing was stored\n`);
      for (const rowError of error.errors) io.stderr.write(`  ${describeRowError(rowError)}\n`);
      if (error.errorCount > error.errors.length) io.stderr.write(`  ... and ${error.errorCount - error.errors.length} more\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ReferenceRequestError) throw new UsageError(error.message);
    throw error;
  }
}

async function list(client: ClickHouseClient, parsed: ParsedArguments, io: ReferenceCommandIo): Promise<number> {
  allowOnly(parsed, 'list', ['--model']);
  const datasets = await listReferenceDatasets(client, parsed.flags.get('--model'));
  if (parsed.switches.has('--json')) io.stdout.write(`${JSON.stringify({ references: datasets }, null, 2)}\n`);
  else if (datasets.length === 0) io.stdout.write('no reference datasets\n');
  else io.stdout.write(table(datasets));
  return EXIT_OK;
}

async function remove(client: ClickHouseClient, parsed: ParsedArguments, io: ReferenceCommandIo): Promise<number> {
  allowOnly(parsed, 'delete', ['--name']);
  const name = required(parsed, '--name');
  if (!(await deleteReferenceDataset(client, name))) {
    io.stderr.write(`driftwatch reference: no reference dataset named "${name}"\n`);
    return EXIT_FAILED;
  }
  io.stdout.write(`deleted reference dataset "${name}"\n`);
  return EXIT_OK;
}

type Subcommand = (client: ClickHouseClient, parsed: ParsedArguments, io: ReferenceCommandIo) => Promise<number>;
const SUBCOMMANDS = new Map<string, Subcommand>([['upload', upload], ['list', list], ['delete', remove]]);

export async function runReferenceCommand(args: string[], config: DriftwatchConfig, io: ReferenceCommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [subcommand, ...rest] = args;
  let parsed: ParsedArguments;
  try {
    parsed = parseArguments(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`driftwatch reference: ${error.message}\n\n${REFERENCE_HELP}`);
    return EXIT_USAGE;
  }
  const run = subcommand === undefined ? undefined : SUBCOMMANDS.get(subcommand);
  if (run === undefined || parsed.switches.has('--help')) {
    const asked = subcommand === 'help' || subcommand === '--help' || subcommand === '-h' || parsed.switches.has('--help');
    if (!asked) io.stderr.write(subcommand === undefined ? 'driftwatch reference: a subcommand is missing\n\n' : `driftwatch reference: unknown subcommand "${subcommand}"\n\n`);
    (asked ? io.stdout : io.stderr).write(REFERENCE_HELP);
    return asked ? EXIT_OK : EXIT_USAGE;
  }
  const client = createClickHouse(config.clickhouse);
  try {
    return await run(client, parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`driftwatch reference: ${error.message}\n\n${REFERENCE_HELP}`);
      return EXIT_USAGE;
    }
    const code = clickHouseErrorCode(error);
    if (code === undefined && !isTransientStorageError(error)) throw error;
    const hint = code === 60 || code === 81 ? ' (run "driftwatch migrate" first)' : ''; // UNKNOWN_TABLE, UNKNOWN_DATABASE
    io.stderr.write(`driftwatch reference: ClickHouse: ${(error as Error).message.split('\n')[0]}${hint}\n`);
    return EXIT_FAILED;
  } finally {
    await client.close();
  }
}

/** Command-line options of `driftwatch drift`. */
import { UsageError } from './input-error.js';
import type { ThresholdOverrides } from '../stats/decision.js';

export type OutputFormat = 'table' | 'json';

export interface DriftOptions {
  help: boolean;
  reference: string;
  current: string;
  format: OutputFormat;
  categorical: Set<string>;
  thresholds: ThresholdOverrides;
}

export const DRIFT_HELP = `Usage: driftwatch drift --reference <file> --current <file> [options]

Compares a current dataset with a reference dataset, column by column, and
exits 0 when the dataset has not drifted, 1 when it has, 2 on bad input.

Files: CSV with a header row, or NDJSON (one JSON object per line), chosen by
extension (.csv, .ndjson, .jsonl) or by content. An empty cell, null or NULL
is missing. A column is numeric when every non-missing value parses as a
finite number (NaN/Infinity count as type errors), else categorical.

Options:
  --reference <file>        reference (baseline) data
  --current <file>          current data to check
  --format table|json       output format (default: table)
  --categorical a,b,...     treat these columns as categorical
  --alpha <p>               significance level after Benjamini-Hochberg (default 0.05)
  --psi-floor <x|none>      effect floor on PSI (default 0.1)
  --wasserstein-floor <x|none>
                            numeric effect floor on Wasserstein / reference sd (default 0.1)
  --dataset-share <s>       dataset drifts when this share of tested columns drift (default 0.5)
  -h, --help                show this help

A column drifts when its adjusted p-value < alpha and an effect floor is met.
Definitions of every statistic: docs/statistics.md.
`;

function parseNumber(flag: string, text: string, allowNone: boolean): number | null {
  if (allowNone && text === 'none') return null;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`${flag} needs a number${allowNone ? " or 'none'" : ''}, got "${text}"`);
  }
  return value;
}

export function parseDriftArguments(argv: readonly string[]): DriftOptions {
  const options: DriftOptions = {
    help: false,
    reference: '',
    current: '',
    format: 'table',
    categorical: new Set(),
    thresholds: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    const [flag, inlineValue] = argument.startsWith('--') && argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
      : [argument, undefined];
    if (flag === '-h' || flag === '--help') {
      options.help = true;
      continue;
    }
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--reference':
        options.reference = value();
        break;
      case '--current':
        options.current = value();
        break;
      case '--format': {
        const format = value();
        if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got "${format}"`);
        options.format = format;
        break;
      }
      case '--categorical':
        for (const name of value().split(',')) if (name.length > 0) options.categorical.add(name);
        break;
      case '--alpha':
        options.thresholds.alpha = parseNumber(flag, value(), false)!;
        break;
      case '--psi-floor': {
        const floor = parseNumber(flag, value(), true);
        options.thresholds.numericEffect = { ...options.thresholds.numericEffect, psi: floor };
        options.thresholds.categoricalEffect = { ...options.thresholds.categoricalEffect, psi: floor };
        break;
      }
      case '--wasserstein-floor':
        options.thresholds.numericEffect = {
          ...options.thresholds.numericEffect,
          wassersteinNormed: parseNumber(flag, value(), true),
        };
        break;
      case '--dataset-share':
        options.thresholds.datasetDriftShare = parseNumber(flag, value(), false)!;
        break;
      default:
        throw new UsageError(`unknown option "${argument}"`);
    }
  }
  if (!options.help && (options.reference === '' || options.current === '')) {
    throw new UsageError('both --reference and --current are required');
  }
  return options;
}

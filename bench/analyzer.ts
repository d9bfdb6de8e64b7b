// npm run bench:analyzer — one full drift analysis (every statistic of every column) of a
// trailing pair of traffic windows, against scipy / numpy on the same data.
//
// 1. 1,000,000 reference + 1,000,000 current prediction events, 50 numeric (continuous,
//    some drifted, some heavy-tailed, some with ties) + 10 categorical features, in the
//    predictions table as ingest stores them (bench/analyzer-data.ts; generated once,
//    reused while its fingerprint matches), database driftwatch_bench_analyzer.
// 2. For 100k and 1M events per window: `countSideRows` + `analyzeColumnDrift` +
//    `decideRun` in their own process with the heap flags of `npm start`; wall time and
//    peak RSS (VmHWM, worker threads included). Three runs per size, the median counts.
// 3. Baseline, same run: bench/analyzer_baseline.py (scipy ks_2samp,
//    wasserstein_distance, decile PSI + Jensen-Shannon, chi2_contingency) on the same
//    values, already in memory; and a cross-check of the two sets of numbers.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.js';
import { CATEGORICAL_FEATURES, NUMERIC_FEATURES, numericKind, prepareBenchData } from './analyzer-data.js';
import { ANALYZER_NODE_HEAP_FLAGS } from '../app/node-flags.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ROWS = 1_000_000;
const SIZES = (process.env.BENCH_ANALYZER_SIZES ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_ANALYZER_RUNS ?? 3);
const DATA_DIRECTORY = process.env.BENCH_ANALYZER_DATA ?? '/tmp/driftwatch-bench-analyzer';
const GOALS = { seconds: 10, rssMb: 256, ratio: 1, rssGrowth: 0.25 };
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DRIFTWATCH_CLICKHOUSE_DATABASE: 'driftwatch_bench_analyzer',
  DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS: '600000',
  DRIFTWATCH_LOG_LEVEL: 'warn',
};

interface AnalyzerRun {
  rows: { reference: number; current: number };
  seconds: number;
  phases: Record<string, number>;
  cpuSeconds: number;
  peakRssMb: number;
  columns: number;
  driftedColumns: string[];
  driftShare: number | null;
  statistics: Record<string, Record<string, number | null>>;
}

interface BaselineRun {
  seconds: number;
  peak_rss_mb: number;
  statistics: Record<string, Record<string, number | null>>;
}

function runJson<T>(command: string, args: string[]): T {
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function ensureScipy(): void {
  if (spawnSync('python3', ['-c', 'import scipy, numpy'], { stdio: 'ignore' }).status === 0) return;
  console.log('installing scipy and numpy for the baseline');
  const install = spawnSync('python3', ['-m', 'pip', 'install', '-q', 'scipy', 'numpy'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('python3 -m pip install scipy numpy failed');
}

/** Largest relative difference per statistic between the analyzer and scipy. */
function crossCheck(ours: AnalyzerRun['statistics'], theirs: BaselineRun['statistics']): Record<string, number> {
  const pairs: Array<[ours: string, theirs: string]> = [
    ['ks', 'ks'], ['wasserstein', 'wasserstein'], ['wassersteinNormed', 'wasserstein_normed'], ['psi', 'psi'], ['jensenShannon', 'jensen_shannon'], ['chi2', 'chi2'],
  ];
  const worst: Record<string, number> = {};
  for (const [name, statistics] of Object.entries(theirs)) {
    for (const [ourKey, theirKey] of pairs) {
      const a = ours[name]?.[ourKey];
      const b = statistics[theirKey];
      if (a === undefined || b === undefined || a === null || b === null) continue;
      const difference = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      worst[ourKey] = Math.max(worst[ourKey] ?? 0, difference);
    }
  }
  return worst;
}

async function main(): Promise<void> {
  const config = loadConfig(env, undefined);
  const data = await prepareBenchData(config, ROWS, DATA_DIRECTORY, (line) => console.log(line));
  ensureScipy();
  const loadBefore = loadavg();
  const sizes = [];
  for (const rows of SIZES) {
    const runs: AnalyzerRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      const result = runJson<AnalyzerRun>(process.execPath, [...ANALYZER_NODE_HEAP_FLAGS, `${REPO}dist/bench/analyzer-run.js`, String(rows)]);
      if (result.rows.reference !== rows || result.rows.current !== rows) throw new Error(`expected ${rows} events per window, counted ${JSON.stringify(result.rows)}`);
      console.log(`analyzer, ${rows} + ${rows} events: ${result.seconds.toFixed(2)} s (${result.cpuSeconds.toFixed(1)} s CPU in the analyzer process), peak RSS ${result.peakRssMb.toFixed(0)} MB`);
      runs.push(result);
    }
    const baseline = runJson<BaselineRun>('python3', [`${REPO}bench/analyzer_baseline.py`, data.files.referenceNumeric.replace(/\/[^/]+$/, ''), String(rows), String(NUMERIC_FEATURES), String(CATEGORICAL_FEATURES)]);
    console.log(`scipy baseline, ${rows} + ${rows} events: ${baseline.seconds.toFixed(2)} s`);
    const seconds = median(runs.map((run) => run.seconds));
    sizes.push({
      rows_per_window: rows,
      analyzer_seconds: Number(seconds.toFixed(2)),
      analyzer_seconds_runs: runs.map((run) => Number(run.seconds.toFixed(2))),
      analyzer_phases_seconds: Object.fromEntries(Object.entries(runs[0]!.phases).map(([phase, value]) => [phase, Number(value.toFixed(2))])),
      analyzer_cpu_seconds: Number(median(runs.map((run) => run.cpuSeconds)).toFixed(2)),
      analyzer_peak_rss_mb: Number(Math.max(...runs.map((run) => run.peakRssMb)).toFixed(0)),
      scipy_seconds: Number(baseline.seconds.toFixed(2)),
      scipy_peak_rss_mb: Number(baseline.peak_rss_mb.toFixed(0)),
      ratio_to_scipy: Number((seconds / baseline.seconds).toFixed(3)),
      columns: runs[0]!.columns,
      drifted_columns: runs[0]!.driftedColumns,
      largest_relative_difference_to_scipy: crossCheck(runs[0]!.statistics, baseline.statistics),
    });
  }
  const small = sizes.find((size) => size.rows_per_window === Math.min(...SIZES))!;
  const large = sizes.find((size) => size.rows_per_window === Math.max(...SIZES))!;
  const rssGrowth = large.analyzer_peak_rss_mb / small.analyzer_peak_rss_mb - 1;
  const met = {
    seconds: large.analyzer_seconds <= GOALS.seconds,
    rss: sizes.every((size) => size.analyzer_peak_rss_mb < GOALS.rssMb),
    rss_flat: rssGrowth <= GOALS.rssGrowth,
    ratio: large.ratio_to_scipy <= GOALS.ratio,
  };
  const result = {
    numeric_features: NUMERIC_FEATURES,
    categorical_features: CATEGORICAL_FEATURES,
    numeric_feature_kinds: Object.fromEntries(Array.from({ length: 14 }, (_, index) => [`num_${index}`, numericKind(index)])),
    machine: { cpus: cpus().length, load_average_before: loadBefore.map((value) => Number(value.toFixed(2))), load_average_after: loadavg().map((value) => Number(value.toFixed(2))) },
    sizes,
    rss_growth_small_to_large: Number(rssGrowth.toFixed(3)),
    goals: { seconds_at_1m: GOALS.seconds, rss_mb: GOALS.rssMb, rss_growth_at_most: GOALS.rssGrowth, ratio_to_scipy_at_most: GOALS.ratio },
    goals_met: met,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log([
    ...sizes.map((size) => `${size.rows_per_window} + ${size.rows_per_window} events: analyzer ${size.analyzer_seconds} s (runs ${size.analyzer_seconds_runs.join(', ')}), peak RSS ${size.analyzer_peak_rss_mb} MB; scipy ${size.scipy_seconds} s; ratio ${size.ratio_to_scipy}`),
    `load average before/after: ${result.machine.load_average_before.join(' ')} / ${result.machine.load_average_after.join(' ')} on ${result.machine.cpus} cores`,
    `goals: <= ${GOALS.seconds} s at ${large.rows_per_window} ${met.seconds ? 'MET' : 'MISSED'}, RSS < ${GOALS.rssMb} MB ${met.rss ? 'MET' : 'MISSED'}, RSS flat (+${(rssGrowth * 100).toFixed(0)}% from ${small.rows_per_window} to ${large.rows_per_window}, at most +${GOALS.rssGrowth * 100}%) ${met.rss_flat ? 'MET' : 'MISSED'}, ratio <= ${GOALS.ratio} ${met.ratio ? 'MET' : 'MISSED'}`,
  ].join('\n'));
  mkdirSync(`${REPO}bench/out`, { recursive: true });
  writeFileSync(`${REPO}bench/out/analyzer.json`, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

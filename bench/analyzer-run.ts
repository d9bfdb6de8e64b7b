// One full analysis, as the analyzer service runs it for a trailing pair of traffic
// windows: countSideRows, analyzeColumnDrift (every statistic, every column), decideRun.
// Started by bench/analyzer.ts as its own process (with the heap flags of `npm start`),
// so its peak RSS is the analysis's own. Prints one JSON line.
//   node dist/bench/analyzer-run.js <rows per side>
import { readFileSync } from 'node:fs';
import { analyzeColumnDrift, countSideRows } from '../analyzer/service/column-drift.js';
import type { SideSource } from '../analyzer/service/sources.js';
import { decideRun } from '../analyzer/stats/index.js';
import { loadConfig } from '../config/config.js';
import { createClickHouse } from '../storage/clickhouse.js';
import { CURRENT_START, HOUR, MODEL_ID, REFERENCE_START } from './analyzer-data.js';
import { EMPTY_PROFILE } from '../analyzer/service/reference-profiles.js';

function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2]);
  if (!Number.isInteger(rows) || rows <= 0) throw new Error('usage: analyzer-run.js <rows per side>');
  const config = loadConfig(process.env, undefined);
  const client = createClickHouse(config.clickhouse);
  // Events are spread evenly over the hour, so the first rows/1M of it holds `rows` events.
  const span = Math.round((HOUR * rows) / 1_000_000);
  const reference: SideSource = { kind: 'traffic', modelId: MODEL_ID, modelVersion: 'v1', from: REFERENCE_START, to: REFERENCE_START + span, segment: null };
  const current: SideSource = { kind: 'traffic', modelId: MODEL_ID, modelVersion: 'v1', from: CURRENT_START, to: CURRENT_START + span, segment: null };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const counts = await countSideRows(client, reference, current);
  const counted = performance.now();
  const drift = await analyzeColumnDrift(client, {
    reference,
    current,
    selection: { features: null, prediction: false, score: false },
    rows: counts,
    frozen: EMPTY_PROFILE,
  });
  const analyzed = performance.now();
  const decision = decideRun(drift.columns.map((column) => ({ name: column.key, metrics: column.metrics })));
  const finished = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  await client.close();
  const numeric = drift.columns.filter((column) => column.metrics.kind === 'numeric');
  process.stdout.write(
    `${JSON.stringify({
      rows: counts,
      seconds: (finished - started) / 1000,
      phases: { countSideRows: (counted - started) / 1000, analyzeColumnDrift: (analyzed - counted) / 1000, decideRun: (finished - analyzed) / 1000 },
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMb: peakRssMb(),
      columns: drift.columns.length,
      numericColumns: numeric.length,
      driftedColumns: decision.columns.filter((column) => column.drifted).map((column) => column.name),
      driftShare: decision.driftShare,
      // For the cross-check with scipy.
      statistics: Object.fromEntries(
        drift.columns.map((column) => [
          column.name,
          column.metrics.kind === 'numeric'
            ? { ks: column.metrics.ksStatistic, wasserstein: column.metrics.wasserstein, wassersteinNormed: column.metrics.wassersteinNormed, psi: column.metrics.psi, jensenShannon: column.metrics.jensenShannon }
            : { chi2: column.metrics.chiSquareStatistic, psi: column.metrics.psi, jensenShannon: column.metrics.jensenShannon },
        ]),
      ),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Benchmark of the offline drift command on 1,000,000 rows x 20 columns
 * (15 numeric, 5 categorical) per file, with scipy on the same files as the
 * baseline when python3 with numpy and scipy is available.
 *
 *   npx tsc -p . && node dist/bench/drift-offline.js [--rows N] [--keep]
 *
 * The measurement runs in a child process so its peak RSS is the command's
 * own, not the generator's. Files go to a temporary directory (removed
 * unless --keep).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runDriftCommand } from '../analyzer/offline/drift-command.js';

const NUMERIC_COLUMNS = 15;
const CATEGORICAL_COLUMNS = 5;

/** xorshift32 + Box-Muller: reproducible and fast; the data need not match anything else. */
function makeRandom(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

async function writeCsv(path: string, rows: number, seed: number, shifted: boolean): Promise<void> {
  const random = makeRandom(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const header = [
    ...Array.from({ length: NUMERIC_COLUMNS }, (_, i) => `num${i}`),
    ...Array.from({ length: CATEGORICAL_COLUMNS }, (_, i) => `cat${i}`),
  ];
  let buffer = `${header.join(',')}\n`;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < NUMERIC_COLUMNS; c++) {
      // In the current file, the first three numeric columns move by 0.1-0.3 sd.
      const shift = shifted && c < 3 ? 0.1 * (c + 1) : 0;
      cells.push((10 * c + (1 + c) * (random.normal() + shift)).toFixed(4));
    }
    for (let c = 0; c < CATEGORICAL_COLUMNS; c++) {
      const categories = 5 + 10 * c;
      const skew = shifted && c === 0 ? 0.3 : 0;
      cells.push(`k${Math.floor(Math.pow(random.uniform(), 1 + skew) * categories)}`);
    }
    buffer += `${cells.join(',')}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

async function measure(reference: string, current: string): Promise<void> {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const started = process.hrtime.bigint();
  const exitCode = await runDriftCommand(['--reference', reference, '--current', current, '--format', 'json'], {
    stdout: sink,
    stderr: process.stderr,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const report = JSON.parse(output) as { columns: Array<{ name: string; drifted: boolean }>; drift_share: number };
  process.stdout.write(
    JSON.stringify({
      seconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
      exitCode,
      drifted: report.columns.filter((c) => c.drifted).map((c) => c.name),
      driftShare: report.drift_share,
    }),
  );
}

const SCIPY_BASELINE = String.raw`
import csv, json, resource, sys, time
import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

def load(path):
    with open(path, newline='') as f:
        rows = csv.reader(f)
        header = next(rows)
        columns = [[] for _ in header]
        for row in rows:
            for i, cell in enumerate(row):
                columns[i].append(cell)
    return header, columns

t0 = time.perf_counter()
header, ref = load(sys.argv[1])
_, cur = load(sys.argv[2])
numeric = [i for i, name in enumerate(header) if name.startswith('num')]
ref_num = {i: np.array(ref[i], dtype=float) for i in numeric}
cur_num = {i: np.array(cur[i], dtype=float) for i in numeric}
t1 = time.perf_counter()
for i in numeric:
    r, c = ref_num[i], cur_num[i]
    stats.ks_2samp(r, c)
    w = stats.wasserstein_distance(r, c) / np.std(r)
    edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
    rc = np.bincount(np.searchsorted(edges, r, side='right'), minlength=len(edges) + 1) / len(r)
    cc = np.bincount(np.searchsorted(edges, c, side='right'), minlength=len(edges) + 1) / len(c)
    rf, cf = np.where(rc == 0, 1e-4, rc), np.where(cc == 0, 1e-4, cc)
    np.sum((cf - rf) * np.log(cf / rf)); jensenshannon(rc, cc)
for i, name in enumerate(header):
    if i in numeric: continue
    cats, inverse = np.unique(np.array(ref[i] + cur[i]), return_inverse=True)
    table = np.array([np.bincount(inverse[:len(ref[i])], minlength=len(cats)),
                      np.bincount(inverse[len(ref[i]):], minlength=len(cats))])
    stats.chi2_contingency(table, correction=False)
t2 = time.perf_counter()
print(json.dumps({'parseSeconds': t1 - t0, 'statsSeconds': t2 - t1,
                  'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function scipyBaseline(reference: string, current: string): string {
  const probe = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'scipy baseline skipped: python3 with numpy and scipy is not available';
  const run = spawnSync('python3', ['-c', SCIPY_BASELINE, reference, current], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) return `scipy baseline failed: ${run.stderr.trim()}`;
  const result = JSON.parse(run.stdout) as { parseSeconds: number; statsSeconds: number; peakRssMb: number };
  return (
    `scipy baseline: parse (csv module) ${result.parseSeconds.toFixed(2)} s + statistics ${result.statsSeconds.toFixed(2)} s` +
    ` = ${(result.parseSeconds + result.statsSeconds).toFixed(2)} s, peak RSS ${result.peakRssMb.toFixed(0)} MB`
  );
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--measure') return measure(argv[1]!, argv[2]!);
  const rowsFlag = argv.indexOf('--rows');
  const rows = rowsFlag >= 0 ? Number(argv[rowsFlag + 1]) : 1_000_000;
  const directory = mkdtempSync(join(tmpdir(), 'driftwatch-bench-'));
  const reference = join(directory, 'reference.csv');
  const current = join(directory, 'current.csv');
  try {
    const generationStart = Date.now();
    await writeCsv(reference, rows, 1, false);
    await writeCsv(current, rows, 2, true);
    const megabytes = (statSync(reference).size + statSync(current).size) / 2 ** 20;
    console.log(`generated 2 x ${rows} rows x ${NUMERIC_COLUMNS + CATEGORICAL_COLUMNS} columns (${megabytes.toFixed(0)} MB) in ${((Date.now() - generationStart) / 1000).toFixed(1)} s`);

    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', reference, current], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`measurement failed with status ${child.status}`);
    const result = JSON.parse(child.stdout) as {
      seconds: number;
      peakRssMb: number;
      cpuSeconds: number;
      exitCode: number;
      drifted: string[];
      driftShare: number;
    };
    console.log(
      `driftwatch drift: ${result.seconds.toFixed(2)} s wall (${result.cpuSeconds.toFixed(1)} s CPU, all threads), ` +
        `peak RSS ${result.peakRssMb.toFixed(0)} MB, exit code ${result.exitCode}`,
    );
    console.log(`  drifted columns: ${result.drifted.join(', ') || 'none'} (share ${result.driftShare})`);
    console.log(scipyBaseline(reference, current));
  } finally {
    if (!argv.includes('--keep')) rmSync(directory, { recursive: true, force: true });
    else console.log(`files kept in ${directory}`);
  }
}

await main(process.argv.slice(2));

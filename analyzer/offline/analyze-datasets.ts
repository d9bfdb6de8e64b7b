/**
 * Runs the statistics engine over two streamed datasets: decides each
 * column's kind across both files, hands numeric columns to the sorted-sample
 * path and categorical ones to the count path, then decides the run.
 */
import { analyzeCategoricalFromCounts, mergeCategoryCounts } from '../stats/categorical-column.js';
import { decideRun, type ColumnMetrics, type RunDecision, type ThresholdOverrides } from '../stats/decision.js';
import { analyzeNumericSamples, type NumericColumnMetrics } from '../stats/numeric-column.js';
import { ColumnStore } from './column-store.js';
import type { Dataset } from './read-dataset.js';
import type { WorkerPool } from './worker-pool.js';

export interface ColumnReport {
  name: string;
  metrics: ColumnMetrics;
  /** Column exists in only one of the files. */
  absentFrom: 'reference' | 'current' | null;
}

export interface DriftReport {
  columns: ColumnReport[];
  decision: RunDecision;
}

function absentStore(rows: number, forcedCategorical: boolean): ColumnStore {
  const store = new ColumnStore(forcedCategorical);
  store.missing = rows;
  store.seen = rows;
  return store;
}

/**
 * With a worker pool, numeric columns (sort + fold, the expensive part) run
 * on all cores; their arrays are transferred, so the main thread lets go of them.
 */
export async function analyzeDatasets(
  reference: Dataset,
  current: Dataset,
  categorical: ReadonlySet<string>,
  thresholds: ThresholdOverrides,
  pool: WorkerPool | null = null,
): Promise<DriftReport> {
  const names = [...reference.names, ...current.names.filter((name) => !reference.columns.has(name))];
  const pending: Array<Promise<ColumnReport>> = [];
  for (const name of names) {
    const forced = categorical.has(name);
    const referenceStore = reference.columns.get(name) ?? absentStore(reference.rows, forced);
    const currentStore = current.columns.get(name) ?? absentStore(current.rows, forced);
    const absentFrom = !reference.columns.has(name) ? 'reference' : !current.columns.has(name) ? 'current' : null;
    // One kind per column: categorical if either file saw a non-numeric value.
    if (referenceStore.kind === 'categorical' || currentStore.kind === 'categorical') {
      referenceStore.becomeCategorical();
      currentStore.becomeCategorical();
    }
    const extras = {
      reference: { missing: referenceStore.missing, typeErrors: referenceStore.typeErrors },
      current: { missing: currentStore.missing, typeErrors: currentStore.typeErrors },
    };
    let metrics: Promise<ColumnMetrics>;
    if (referenceStore.kind === 'numeric') {
      const referenceValues = referenceStore.takeNumbers();
      const currentValues = currentStore.takeNumbers();
      metrics =
        pool === null
          ? Promise.resolve(analyzeNumericSamples(referenceValues, currentValues, extras))
          : pool.run<NumericColumnMetrics>({ type: 'numeric', reference: referenceValues, current: currentValues, extras }, [
              referenceValues.buffer as ArrayBuffer,
              currentValues.buffer as ArrayBuffer,
            ]);
    } else {
      const counts = mergeCategoryCounts(referenceStore.takeCategories(), currentStore.takeCategories());
      metrics = Promise.resolve(analyzeCategoricalFromCounts(counts, extras));
    }
    pending.push(
      metrics.then((result) => {
        if (absentFrom !== null) result.notes.push(`column absent from the ${absentFrom} file`);
        return { name, metrics: result, absentFrom };
      }),
    );
    // Release the stores as we go: peak memory is the raw columns, not raw + results.
    reference.columns.delete(name);
    current.columns.delete(name);
  }
  const columns = await Promise.all(pending);
  return { columns, decision: decideRun(columns, thresholds) };
}

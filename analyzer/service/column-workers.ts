/**
 * Analyses spilled numeric columns on every core: the calling thread (idle otherwise,
 * it only waits for the columns) and one worker thread per further core. Each thread
 * keeps its scratch buffers from column to column (numeric-fine-bins.ts), so memory
 * grows by about 25 MB per thread, not per column. Small jobs stay in the calling
 * thread: a worker costs tens of milliseconds to start.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { NumericSideExtras } from '../stats/index.js';
import { spilledColumnValues, type SpilledColumn } from './column-spill.js';
import { analyzeColumnValues, type FineBinColumnResult } from './numeric-fine-bins.js';

export interface ColumnJob {
  id: number;
  column: SpilledColumn;
  frozenEdges: readonly number[] | null;
  extras: NumericSideExtras;
}

export type ColumnJobAnswer = { id: number; result: FineBinColumnResult } | { id: number; error: string };

/** Below this many values in all, the columns are analysed in the calling thread only. */
const WORKER_THRESHOLD = 2_000_000;
/** Threads in all, the calling one included (more would only add memory on small machines). */
const MAX_THREADS = 4;

function analyzeHere(job: ColumnJob): FineBinColumnResult {
  return analyzeColumnValues(spilledColumnValues(job.column), { sample: job.column.sample, frozenEdges: job.frozenEdges, extras: job.extras });
}

function size(job: ColumnJob): number {
  return job.column.counts[0] + job.column.counts[1];
}

/** Results in job order. */
export async function analyzeSpilledColumns(jobs: readonly ColumnJob[]): Promise<FineBinColumnResult[]> {
  const totalValues = jobs.reduce((total, job) => total + size(job), 0);
  const workerCount = Math.min(availableParallelism(), MAX_THREADS, jobs.length) - 1;
  if (totalValues < WORKER_THRESHOLD || workerCount < 1) return jobs.map(analyzeHere);

  const results = new Array<FineBinColumnResult>(jobs.length);
  // Largest columns first, so no thread is left with a big one at the end.
  const queue = jobs.map((job, index) => ({ ...job, id: index })).sort((a, b) => size(b) - size(a));
  const workers = Array.from({ length: workerCount }, () => new Worker(new URL('./column-worker.js', import.meta.url)));
  try {
    const workersDone = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          let pending = 0;
          const send = (): void => {
            const job = queue.shift();
            if (job === undefined) {
              if (pending === 0) resolve();
              return;
            }
            pending++;
            worker.postMessage(job);
          };
          worker.on('message', (answer: ColumnJobAnswer) => {
            pending--;
            if ('error' in answer) return reject(new Error(`numeric column analysis failed: ${answer.error}`));
            results[answer.id] = answer.result;
            send();
          });
          worker.once('error', reject);
          // Two jobs in flight: the worker never waits while this thread is busy with a column.
          send();
          send();
        }),
    );
    const allWorkers = Promise.all(workersDone);
    allWorkers.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile
    // The calling thread takes jobs too, letting worker messages through between columns.
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      results[job.id] = analyzeHere(job);
      await yieldToEvents();
    }
    await allWorkers;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

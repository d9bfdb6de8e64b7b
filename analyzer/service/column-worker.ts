// Worker thread of column-workers.ts: analyses spilled numeric columns, one message each.
import { parentPort } from 'node:worker_threads';
import { spilledColumnValues } from './column-spill.js';
import { analyzeColumnValues } from './numeric-fine-bins.js';
import type { ColumnJob, ColumnJobAnswer } from './column-workers.js';

parentPort!.on('message', (job: ColumnJob) => {
  let answer: ColumnJobAnswer;
  try {
    const result = analyzeColumnValues(spilledColumnValues(job.column), { sample: job.column.sample, frozenEdges: job.frozenEdges, extras: job.extras });
    answer = { id: job.id, result };
  } catch (error) {
    answer = { id: job.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  parentPort!.postMessage(answer);
});

/**
 * A small fixed pool of drift workers with a FIFO queue. One task per worker
 * at a time; the pool is closed (threads terminated) when the command ends.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from './input-error.js';
import type { WorkerReply, WorkerTask } from './drift-worker.js';

interface Job {
  task: WorkerTask;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Job[] = [];

  constructor(size: number) {
    const script = new URL('./drift-worker.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script);
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  run<T>(task: WorkerTask, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, transfer, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        job.reject(error);
      };
      const onMessage = (reply: WorkerReply): void => {
        worker.off('error', onError);
        this.idle.push(worker);
        if (reply.ok) job.resolve(reply.value);
        else if ('input' in reply) {
          job.reject(new InputError(reply.input.file, reply.input.line, reply.input.column, reply.input.detail));
        } else job.reject(new Error(`drift worker failed: ${reply.message}`));
        this.dispatch();
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(job.task, job.transfer);
    }
  }
}

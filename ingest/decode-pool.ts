// Decoding (JSON.parse + validation + RowBinary) costs more CPU per event than the Kafka
// client itself, so it runs on worker threads: the consumer thread keeps fetching while
// batches are decoded. With `workers: 0` everything runs inline (same code).
import { Worker } from 'node:worker_threads';
import type { EventKind } from '../schemas/events.js';
import { decodeBatch, type DecodedBatch, type PackedMessages } from './batch-decoder.js';
import type { DecodeLimits } from './decode.js';

export interface DecodeRequest {
  id: number;
  kind: EventKind;
  data: Uint8Array;
  lengths: Int32Array;
  nowMs: number;
  limits: DecodeLimits;
}

export type DecodeResponse = { id: number; ok: true; result: DecodedBatch } | { id: number; ok: false; error: string };

// A batch decodes into short-lived garbage; a small heap keeps each worker's memory flat
// (a V8 heap otherwise grows to hundreds of MB before it collects).
const WORKER_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 };

interface Pending {
  resolve(result: DecodedBatch): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class DecodePool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i += 1) this.workers.push(this.spawn());
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(new URL('./decode-worker.js', import.meta.url), { resourceLimits: WORKER_LIMITS }), pending: new Map() };
    entry.worker.on('message', (response: DecodeResponse) => {
      const pending = entry.pending.get(response.id);
      if (!pending) return;
      entry.pending.delete(response.id);
      if (response.ok) pending.resolve(response.result);
      else pending.reject(new Error(`decode worker failed: ${response.error}`));
    });
    const fail = (error: Error) => {
      for (const pending of entry.pending.values()) pending.reject(error);
      entry.pending.clear();
      // Replace a worker that died, so one poisoned batch does not stop ingest for good.
      const index = this.workers.indexOf(entry);
      if (!this.closed && index >= 0) this.workers[index] = this.spawn();
    };
    entry.worker.on('error', fail);
    entry.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`decode worker exited with code ${code}`));
    });
    entry.worker.unref();
    return entry;
  }

  /** Decodes packed messages; they are transferred to the worker (unusable here) and come back in the result. */
  async decode(kind: EventKind, packed: PackedMessages, nowMs: number, limits: DecodeLimits): Promise<DecodedBatch> {
    if (this.workers.length === 0) return decodeBatch(kind, packed, nowMs, limits);
    // Least busy worker: batches differ in size, round-robin would queue behind a big one.
    const entry = this.workers.reduce((best, candidate) => (candidate.pending.size < best.pending.size ? candidate : best));
    const id = this.nextId++;
    const request: DecodeRequest = { id, kind, data: packed.data, lengths: packed.lengths, nowMs, limits: { maxMessageBytes: limits.maxMessageBytes, maxFutureSkewMs: limits.maxFutureSkewMs } };
    return new Promise<DecodedBatch>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      entry.worker.postMessage(request, [packed.data.buffer, packed.lengths.buffer] as ArrayBuffer[]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
    this.workers.length = 0;
  }
}

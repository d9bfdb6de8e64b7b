// Worker thread of the decode pool: JSON parse, validation and RowBinary encoding of
// consumed batches, off the thread that runs the Kafka client.
import { parentPort } from 'node:worker_threads';
import { decodeBatch } from './batch-decoder.js';
import type { DecodeRequest, DecodeResponse } from './decode-pool.js';

if (!parentPort) throw new Error('decode-worker must run as a worker thread');
const port = parentPort;

port.on('message', (request: DecodeRequest) => {
  let response: DecodeResponse;
  try {
    const result = decodeBatch(request.kind, { data: request.data, lengths: request.lengths }, request.nowMs, request.limits);
    response = { id: request.id, ok: true, result };
  } catch (error) {
    response = { id: request.id, ok: false, error: (error as Error).stack ?? String(error) };
  }
  const transfer = response.ok
    ? [response.result.encoded.bytes.buffer, response.result.encoded.rowEnds.buffer, response.result.encoded.indexes.buffer, request.data.buffer, request.lengths.buffer]
    : [];
  port.postMessage(response, transfer as ArrayBuffer[]);
});

// A consumed batch of raw messages -> RowBinary bytes of its valid events plus the reasons
// for the others. Pure, so it runs the same inline or in a decode worker thread.
import type { EventKind } from '../schemas/events.js';
import type { Rejection } from '../schemas/rejections.js';
import { appendRow, ByteWriter, rowEncoder, type RowEncoder } from '../storage/row-binary.js';
import { decodeMessage, type DecodeLimits, type RowByKind } from './decode.js';
import { EventScanner } from './event-scanner.js';
import { FEATURE_LOG_SPEC, LABEL_SPEC, PREDICTION_SPEC } from './rows.js';

export const ENCODERS: { [K in EventKind]: RowEncoder<RowByKind[K]> } = {
  prediction: rowEncoder(PREDICTION_SPEC),
  feature_log: rowEncoder(FEATURE_LOG_SPEC),
  label: rowEncoder(LABEL_SPEC),
};

/** Valid events of a batch, encoded; row i spans bytes [rowEnds[i-1] ?? 0, rowEnds[i]). */
export interface EncodedBatch {
  bytes: Uint8Array;
  rowEnds: Uint32Array;
  /** Index into the batch's messages of each encoded row. */
  indexes: Uint32Array;
}

export interface DecodedBatch {
  encoded: EncodedBatch;
  rejected: Array<{ index: number; rejection: Rejection }>;
  /** The decoded messages, handed back (a worker transfers them there and back, uncopied). */
  messages: PackedMessages;
}

/** Messages packed for a cheap hand-over to a worker: one byte array, lengths (-1 = null). */
export interface PackedMessages {
  data: Uint8Array;
  lengths: Int32Array;
}

export function packMessages(values: ReadonlyArray<Buffer | null>): PackedMessages {
  const lengths = new Int32Array(values.length);
  let total = 0;
  values.forEach((value, index) => {
    lengths[index] = value === null ? -1 : value.length;
    total += value?.length ?? 0;
  });
  const data = new Uint8Array(total);
  let offset = 0;
  for (const value of values) {
    if (value === null) continue;
    data.set(value, offset);
    offset += value.length;
  }
  return { data, lengths };
}

// One of each per thread, reused by every batch (decodeBatch is synchronous): the scanner's
// scratch arrays, and a writer that grows to the largest batch instead of a new one each time.
const scanner = new EventScanner();
const batchWriter = new ByteWriter(1 << 20);

/** `scan: false` decodes every message by the reference path (tests compare the two). */
export function decodeBatch(kind: EventKind, packed: PackedMessages, nowMs: number, limits: DecodeLimits, scan = true): DecodedBatch {
  const encoder = ENCODERS[kind] as RowEncoder<RowByKind[EventKind]>;
  const count = packed.lengths.length;
  const writer = batchWriter;
  writer.truncate(0);
  const rowEnds = new Uint32Array(count);
  const indexes = new Uint32Array(count);
  const rejected: DecodedBatch['rejected'] = [];
  let rows = 0;
  let offset = 0;
  for (let index = 0; index < count; index += 1) {
    const length = packed.lengths[index]!;
    const start = offset;
    offset += Math.max(0, length);
    if (scan && length > 0 && length <= limits.maxMessageBytes && scanner.encode(kind, packed.data, start, start + length, nowMs, limits, writer)) {
      rowEnds[rows] = writer.length;
      indexes[rows] = index;
      rows += 1;
      continue;
    }
    const bytes = length < 0 ? null : Buffer.from(packed.data.buffer, packed.data.byteOffset + start, length);
    const decoded = decodeMessage(kind, bytes, nowMs, limits);
    if (!decoded.ok) {
      rejected.push({ index, rejection: decoded.rejection });
      continue;
    }
    const unfit = appendRow(writer, encoder, decoded.row);
    if (unfit !== undefined) {
      rejected.push({ index, rejection: { code: 'storage_rejected', message: unfit } });
      continue;
    }
    rowEnds[rows] = writer.length;
    indexes[rows] = index;
    rows += 1;
  }
  // An exact-size copy: the writer's memory is reused by the next batch, and a batch's bytes
  // live until its write commits, so they should not carry the writer's spare capacity.
  return { encoded: { bytes: writer.copy(), rowEnds: rowEnds.slice(0, rows), indexes: indexes.slice(0, rows) }, rejected, messages: packed };
}

/** The bytes of rows [from, to) of an encoded batch. */
export function sliceRows(batch: EncodedBatch, from: number, to: number): EncodedBatch {
  const start = from === 0 ? 0 : batch.rowEnds[from - 1]!;
  const end = to === 0 ? 0 : batch.rowEnds[to - 1]!;
  return {
    bytes: batch.bytes.subarray(start, end),
    rowEnds: batch.rowEnds.slice(from, to).map((value) => value - start),
    indexes: batch.indexes.slice(from, to),
  };
}

// What ingest keeps of a consumed batch between fetch and commit. Not the consumed message
// objects: thousands per batch, alive through decoding and the write, they outlived several
// young collections, were promoted and made garbage collection a third of the consumer
// thread's time. Values and keys are packed into byte arrays, offsets into numbers; the few
// messages with headers keep them. Enough to rebuild any message for the dead-letter topic.
import type { ConsumedBatch, ConsumedMessage, MessageHeaders } from '../messaging/kafka.js';
import { packMessages, type PackedMessages } from './batch-decoder.js';

export interface HeldBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  count: number;
  /** One past the last message's offset: what the commit stores. */
  nextOffset: string;
  /** Offsets as numbers (exact below 2^53), or as kafkajs gave them when one is not. */
  offsets: Float64Array | string[];
  keys: PackedMessages;
  headers: Map<number, MessageHeaders>;
}

/** The batch's values packed for the decoder, and what is kept to commit and dead-letter it. */
export function holdBatch(batch: ConsumedBatch): { held: HeldBatch; values: PackedMessages } {
  const messages = batch.messages;
  const count = messages.length;
  const numericOffsets = new Float64Array(count);
  let exact = true;
  const headers = new Map<number, MessageHeaders>();
  for (let index = 0; index < count; index += 1) {
    const message = messages[index]!;
    const offset = Number(message.offset);
    if (Number.isSafeInteger(offset)) numericOffsets[index] = offset;
    else exact = false;
    if (message.headers !== undefined && hasKeys(message.headers)) headers.set(index, message.headers);
  }
  const last = messages[count - 1];
  const held: HeldBatch = {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    count,
    nextOffset: last === undefined ? '0' : (BigInt(last.offset) + 1n).toString(),
    offsets: exact ? numericOffsets : messages.map((message) => message.offset),
    keys: packMessages(messages.map((message) => message.key)),
    headers,
  };
  return { held, values: packMessages(messages.map((message) => message.value)) };
}

/** Messages `indexes` of a held batch, rebuilt from its packed values (for the dead-letter topic). */
export function heldMessages(held: HeldBatch, values: PackedMessages, indexes: readonly number[]): ConsumedMessage[] {
  if (indexes.length === 0) return [];
  const keyStarts = packedStarts(held.keys);
  const valueStarts = packedStarts(values);
  return indexes.map((index) => {
    const headers = held.headers.get(index);
    return {
      offset: String(held.offsets[index]),
      key: packedAt(held.keys, keyStarts, index),
      value: packedAt(values, valueStarts, index),
      ...(headers ? { headers } : {}),
    };
  });
}

/** Where each packed message starts in `data`. */
export function packedStarts(packed: PackedMessages): Float64Array {
  const starts = new Float64Array(packed.lengths.length);
  let start = 0;
  for (let i = 0; i < packed.lengths.length; i += 1) {
    starts[i] = start;
    start += Math.max(0, packed.lengths[i]!);
  }
  return starts;
}

/** Message `index` of packed messages (a view, not a copy). */
export function packedAt(packed: PackedMessages, starts: Float64Array, index: number): Buffer | null {
  const length = packed.lengths[index]!;
  return length < 0 ? null : Buffer.from(packed.data.buffer, packed.data.byteOffset + starts[index]!, length);
}

/** Whether an object has an own enumerable key, without listing them (this runs per consumed message). */
function hasKeys(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

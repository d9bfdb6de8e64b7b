// ingest/held-batch.ts: what ingest keeps of a consumed batch rebuilds every message
// exactly (value and key bytes, null tombstones, offset, headers) for the dead-letter topic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBatch } from '../../ingest/batch-decoder.js';
import { heldMessages, holdBatch, packedAt, packedStarts } from '../../ingest/held-batch.js';
import type { ConsumedBatch, ConsumedMessage } from '../../messaging/kafka.js';

const MESSAGES: ConsumedMessage[] = [
  { offset: '41', key: Buffer.from('k1'), value: Buffer.from('{"a":1}'), headers: {} },
  { offset: '42', key: null, value: null, headers: {} },
  { offset: '45', key: Buffer.alloc(0), value: Buffer.alloc(0) },
  { offset: '46', key: Buffer.from('é'), value: Buffer.from([0xff, 0x00, 0x7b]), headers: { trace: Buffer.from('t-1'), tags: ['a', 'b'] } },
  { offset: '9007199254740991', key: null, value: Buffer.from('x'.repeat(70_000)), headers: {} },
];
const batch = (messages: ConsumedMessage[]): ConsumedBatch => ({ topic: 'driftwatch.predictions', partition: 2, highWatermark: '100', messages });

test('holdBatch keeps offsets, keys, values and headers; heldMessage rebuilds each message', () => {
  const { held, values } = holdBatch(batch(MESSAGES));
  assert.equal(held.count, MESSAGES.length);
  assert.equal(held.nextOffset, '9007199254740992');
  assert.ok(held.offsets instanceof Float64Array, 'safe offsets are kept as numbers');
  assert.deepEqual([...held.headers.keys()], [3], 'only messages with headers keep them');
  const rebuiltMessages = heldMessages(held, values, MESSAGES.map((_, index) => index));
  MESSAGES.forEach((original, index) => {
    const rebuilt = rebuiltMessages[index]!;
    assert.equal(rebuilt.offset, original.offset);
    assert.deepEqual(rebuilt.key, original.key);
    assert.deepEqual(rebuilt.value, original.value);
    assert.deepEqual(rebuilt.headers, index === 3 ? original.headers : undefined);
  });
});

test('holdBatch keeps offsets beyond 2^53 exactly, as text', () => {
  const messages = [{ offset: '9007199254740993', key: null, value: Buffer.from('a') }, { offset: '9007199254740994', key: null, value: Buffer.from('b') }];
  const { held, values } = holdBatch(batch(messages));
  assert.deepEqual(held.offsets, ['9007199254740993', '9007199254740994']);
  assert.deepEqual(heldMessages(held, values, [1]).map((message) => message.offset), ['9007199254740994']);
  assert.equal(held.nextOffset, '9007199254740995');
});

test('the packed values survive decoding and come back with the result, byte for byte', () => {
  const { values } = holdBatch(batch(MESSAGES));
  const decoded = decodeBatch('prediction', values, Date.now(), { maxMessageBytes: 65_536, maxFutureSkewMs: 86_400_000 });
  assert.deepEqual(decoded.rejected.map((rejected) => [rejected.index, rejected.rejection.code]), [[0, 'schema_violation'], [1, 'empty'], [2, 'empty'], [3, 'invalid_utf8'], [4, 'oversize']]);
  const starts = packedStarts(decoded.messages);
  for (const [index, original] of MESSAGES.entries()) assert.deepEqual(packedAt(decoded.messages, starts, index), original.value);
});

// ingest/http-batch.ts: an HTTP body (JSON array, one object, or NDJSON) -> one outcome per record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DecodeLimits } from '../../ingest/decode.js';
import { decodeHttpBatch, splitBody, type HttpRecordOutcome } from '../../ingest/http-batch.js';

const NOW = Date.UTC(2026, 10, 27, 10, 15, 0);
const LIMITS: DecodeLimits = { maxMessageBytes: 64 * 1024, maxFutureSkewMs: 86_400_000 };

const label = (i: number, extra: Record<string, unknown> = {}) => ({ event_id: `e-${i}`, model_id: 'churn', timestamp: NOW - i, label: i % 2 === 0, ...extra });

/** [index, ok or rejection code] per outcome: the shape the API answers with. */
const summary = (outcomes: HttpRecordOutcome[]) => outcomes.map((outcome) => [outcome.index, outcome.ok ? 'ok' : outcome.rejection.code]);

test('a JSON array: one outcome per element, by index, accepted ones carry the event id and compact JSON', () => {
  const body = [label(0), label(1, { timestamp: 'yesterday noon' }), label(2), { ...label(3), extra: true }, 'not an object', label(5)];
  const outcomes = decodeHttpBatch('label', body, false, NOW, LIMITS);
  assert.deepEqual(summary(outcomes), [[0, 'ok'], [1, 'invalid_timestamp'], [2, 'ok'], [3, 'schema_violation'], [4, 'schema_violation'], [5, 'ok']]);
  assert.deepEqual(outcomes[0], { index: 0, ok: true, eventId: 'e-0', json: JSON.stringify(label(0)) });
  assert.deepEqual(outcomes[5], { index: 5, ok: true, eventId: 'e-5', json: JSON.stringify(label(5)) });
  const unknownField = outcomes[3]!;
  assert.ok(!unknownField.ok);
  assert.equal(unknownField.rejection.message, 'event: unknown field "extra"');
});

test('a single JSON object is a batch of one', () => {
  assert.deepEqual(decodeHttpBatch('label', label(7), false, NOW, LIMITS), [{ index: 0, ok: true, eventId: 'e-7', json: JSON.stringify(label(7)) }]);
});

test('a JSON scalar body is one record, refused as not an object', () => {
  for (const body of [42, true, false, 0, 'text']) {
    const outcomes = decodeHttpBatch('label', body, false, NOW, LIMITS);
    assert.deepEqual(summary(outcomes), [[0, 'schema_violation']], JSON.stringify(body));
  }
});

const EMPTY_BODIES: Array<{ name: string; body: unknown; isNdjson: boolean }> = [
  { name: 'an empty JSON array', body: [], isNdjson: false },
  { name: 'an undefined body', body: undefined, isNdjson: false },
  { name: 'a null body', body: null, isNdjson: false },
  { name: 'an empty string', body: '', isNdjson: false },
  { name: 'empty NDJSON', body: '', isNdjson: true },
  { name: 'NDJSON of blank lines only', body: '\n\n  \n\t\r\n', isNdjson: true },
  // The route hands NDJSON over as text; anything else is treated as no records at all.
  { name: 'NDJSON that is not a string', body: { event_id: 'x' }, isNdjson: true },
];

for (const { name, body, isNdjson } of EMPTY_BODIES) {
  test(`${name} gives no records (the route answers DW_EMPTY_BATCH)`, () => {
    assert.deepEqual(decodeHttpBatch('label', body, isNdjson, NOW, LIMITS), []);
    assert.deepEqual(splitBody(body, isNdjson), []);
  });
}

test('NDJSON: blank lines are skipped, a broken line is invalid_json, indexes count records', () => {
  const text = [
    JSON.stringify(label(0)),
    '',
    '   ',
    '{"event_id": broken',
    JSON.stringify(label(2)),
    '\t',
    JSON.stringify(label(3, { label: [] })),
    JSON.stringify(label(4)),
    '',
  ].join('\n');
  const outcomes = decodeHttpBatch('label', text, true, NOW, LIMITS);
  // Index = position among the non-blank lines (not the line number): the broken line is record 1.
  assert.deepEqual(summary(outcomes), [[0, 'ok'], [1, 'invalid_json'], [2, 'ok'], [3, 'schema_violation'], [4, 'ok']]);
  const broken = outcomes[1]!;
  assert.ok(!broken.ok);
  assert.match(broken.rejection.message, /^not valid JSON: /);
  assert.deepEqual(outcomes.flatMap((outcome) => (outcome.ok ? [outcome.eventId] : [])), ['e-0', 'e-2', 'e-4']);
});

test('NDJSON: CRLF line ends and a missing final newline are fine', () => {
  const text = `${JSON.stringify(label(0))}\r\n${JSON.stringify(label(1))}\r\n${JSON.stringify(label(2))}`;
  assert.deepEqual(summary(decodeHttpBatch('label', text, true, NOW, LIMITS)), [[0, 'ok'], [1, 'ok'], [2, 'ok']]);
});

test('NDJSON: a line holding an array is one record, refused as not an object', () => {
  const text = `[${JSON.stringify(label(0))}]\n${JSON.stringify(label(1))}`;
  assert.deepEqual(summary(decodeHttpBatch('label', text, true, NOW, LIMITS)), [[0, 'schema_violation'], [1, 'ok']]);
});

test('oversize is judged on the re-serialized record, in UTF-8 bytes', () => {
  const limits: DecodeLimits = { maxMessageBytes: 256, maxFutureSkewMs: 86_400_000 };
  const base = label(0);
  const baseBytes = Buffer.byteLength(JSON.stringify(base));
  // event_id "e-0" becomes "e-" + n characters: the JSON grows by n - 1.
  const fits = { ...base, event_id: `e-${'x'.repeat(257 - baseBytes)}` };
  assert.equal(Buffer.byteLength(JSON.stringify(fits)), 256);
  const tooBig = { ...base, event_id: `e-${'x'.repeat(258 - baseBytes)}` };
  // 'é' is one character but two bytes: under the limit in characters, over it in bytes.
  const wide = { ...base, event_id: `e-${'é'.repeat(257 - baseBytes)}` };
  assert.equal(JSON.stringify(wide).length, 256);
  const outcomes = decodeHttpBatch('label', [fits, tooBig, wide], false, NOW, limits);
  assert.deepEqual(summary(outcomes), [[0, 'ok'], [1, 'oversize'], [2, 'oversize']]);
  const refused = outcomes[1]!;
  assert.ok(!refused.ok);
  assert.equal(refused.rejection.message, 'the event is larger than 256 bytes');
});

test('oversize NDJSON: whitespace in the line does not count, the compact JSON does', () => {
  const limits: DecodeLimits = { maxMessageBytes: 256, maxFutureSkewMs: 86_400_000 };
  const event = label(0);
  const padded = `  ${JSON.stringify(event).replace(/,/g, `,${' '.repeat(100)}`)}  `;
  assert.ok(Buffer.byteLength(padded) > 256);
  const [outcome] = decodeHttpBatch('label', padded, true, NOW, limits);
  assert.deepEqual(outcome, { index: 0, ok: true, eventId: 'e-0', json: JSON.stringify(event) });
});

test('every record is judged on its own: one bad record does not affect its neighbours', () => {
  const body = Array.from({ length: 50 }, (_, i) => (i % 10 === 3 ? { ...label(i), score: 1 } : label(i)));
  const outcomes = decodeHttpBatch('label', body, false, NOW, LIMITS);
  assert.equal(outcomes.length, 50);
  outcomes.forEach((outcome, i) => {
    assert.equal(outcome.index, i);
    assert.equal(outcome.ok, i % 10 !== 3, `record ${i}`);
  });
});

test('the kind decides the contract: a label body sent to the prediction route is refused', () => {
  const outcomes = decodeHttpBatch('prediction', [label(0)], false, NOW, LIMITS);
  assert.deepEqual(summary(outcomes), [[0, 'schema_violation']]);
});

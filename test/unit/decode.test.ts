// ingest/decode.ts + schemas/validate.ts + ingest/rows.ts: bytes -> a row for ClickHouse,
// or a rejection with a stable code and a message naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, decodeValue, type DecodeLimits } from '../../ingest/decode.js';
import { FEATURE_LOG_COLUMNS, LABEL_COLUMNS, PREDICTION_COLUMNS, splitFeatures } from '../../ingest/rows.js';
import type { EventKind } from '../../schemas/events.js';
import { REJECTION_CODES, type RejectionCode } from '../../schemas/rejections.js';
import { validateEvent } from '../../schemas/validate.js';

const DAY = 86_400_000;
const EVENT_MS = Date.UTC(2026, 10, 27, 10, 15, 0, 250);
const NOW = Date.UTC(2026, 10, 27, 10, 15, 0) + 1_234;
const INGESTED_AT = Math.floor(NOW / 1000);
const LIMITS: DecodeLimits = { maxMessageBytes: 64 * 1024, maxFutureSkewMs: DAY };

const PREDICTION = { event_id: 'e-1', model_id: 'churn', model_version: '2026.11', timestamp: '2026-11-27T10:15:00.250Z', prediction: 1 };
const FEATURE_LOG = { event_id: 'e-1', model_id: 'churn', timestamp: '2026-11-27T10:15:00.250Z', features: { age: 42 } };
const LABEL = { event_id: 'e-1', model_id: 'churn', timestamp: '2026-11-27T10:15:00.250Z', label: true };
const VALID: Record<EventKind, Record<string, unknown>> = { prediction: PREDICTION, feature_log: FEATURE_LOG, label: LABEL };

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const without = (event: Record<string, unknown>, field: string) => Object.fromEntries(Object.entries(event).filter(([key]) => key !== field));

function rejection(kind: EventKind, bytes: Buffer | null, limits: DecodeLimits = LIMITS): { code: RejectionCode; message: string } {
  const result = decodeMessage(kind, bytes, NOW, limits);
  assert.equal(result.ok, false, 'expected a rejection');
  assert.ok(!result.ok);
  return result.rejection;
}

const BYTE_CASES: Array<{ name: string; bytes: Buffer | null; code: RejectionCode; message: RegExp }> = [
  { name: 'a null message (Kafka tombstone)', bytes: null, code: 'empty', message: /no body/ },
  { name: 'zero bytes', bytes: Buffer.alloc(0), code: 'empty', message: /no body/ },
  { name: 'a lone 0xFF byte', bytes: Buffer.from([0xff]), code: 'invalid_utf8', message: /not valid UTF-8/ },
  { name: 'an overlong encoding of "/"', bytes: Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), code: 'invalid_utf8', message: /not valid UTF-8/ },
  { name: 'a UTF-8 encoded surrogate half', bytes: Buffer.concat([Buffer.from('{"event_id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), code: 'invalid_utf8', message: /UTF-8/ },
  { name: 'a truncated multi-byte sequence', bytes: Buffer.concat([Buffer.from('{"event_id":"'), Buffer.from([0xe2, 0x82])]), code: 'invalid_utf8', message: /UTF-8/ },
  { name: 'Latin-1 text', bytes: Buffer.from('{"model_id":"caf\xe9"}', 'latin1'), code: 'invalid_utf8', message: /UTF-8/ },
  { name: 'an unterminated object', bytes: Buffer.from('{'), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'plain text', bytes: Buffer.from('hello'), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'single-quoted JSON', bytes: Buffer.from("{'event_id': 'e'}"), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'trailing garbage', bytes: Buffer.from('{"a":1} x'), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'two concatenated objects', bytes: Buffer.from('{"a":1}{"a":2}'), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'NaN', bytes: Buffer.from('{"score": NaN}'), code: 'invalid_json', message: /^not valid JSON: / },
  { name: 'only whitespace', bytes: Buffer.from('   \n'), code: 'invalid_json', message: /^not valid JSON: / },
];

for (const { name, bytes, code, message } of BYTE_CASES) {
  test(`decodeMessage rejects ${name} as ${code}`, () => {
    const result = rejection('prediction', bytes);
    assert.equal(result.code, code);
    assert.match(result.message, message);
  });
}

test('decodeMessage: oversize is measured in bytes, and exactly the limit is accepted', () => {
  const limits: DecodeLimits = { maxMessageBytes: 300, maxFutureSkewMs: DAY };
  const compact = JSON.stringify(PREDICTION);
  const atLimit = Buffer.from(compact + ' '.repeat(300 - Buffer.byteLength(compact)));
  assert.equal(atLimit.length, 300);
  assert.equal(decodeMessage('prediction', atLimit, NOW, limits).ok, true);
  const overLimit = Buffer.concat([atLimit, Buffer.from(' ')]);
  assert.deepEqual(rejection('prediction', overLimit, limits), { code: 'oversize', message: 'the event has 301 bytes; the limit is 300' });
  // 150 two-byte characters: 150 characters but more than 300 bytes.
  const wide = bytesOf({ ...PREDICTION, model_version: 'é'.repeat(150) });
  assert.equal(rejection('prediction', wide, limits).code, 'oversize');
  // Invalid bytes beyond the limit are oversize first: the size check comes before decoding.
  assert.equal(rejection('prediction', Buffer.alloc(301, 0xff), limits).code, 'oversize');
});

test('decodeMessage: a UTF-8 byte-order mark is accepted (TextDecoder drops it)', () => {
  const result = decodeMessage('prediction', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(PREDICTION)]), NOW, LIMITS);
  assert.equal(result.ok, true);
});

const SCHEMA_CASES: Array<{ name: string; kind: EventKind; value: unknown; message: string | RegExp }> = [
  { name: 'an array instead of an object', kind: 'prediction', value: [PREDICTION], message: 'event: must be a JSON object' },
  { name: 'null', kind: 'prediction', value: null, message: 'event: must be a JSON object' },
  { name: 'a string', kind: 'label', value: 'e-1', message: 'event: must be a JSON object' },
  { name: 'a number', kind: 'feature_log', value: 42, message: 'event: must be a JSON object' },
  { name: 'missing event_id', kind: 'prediction', value: without(PREDICTION, 'event_id'), message: 'event: missing required field "event_id"' },
  { name: 'missing model_id', kind: 'label', value: without(LABEL, 'model_id'), message: 'event: missing required field "model_id"' },
  { name: 'missing model_version', kind: 'prediction', value: without(PREDICTION, 'model_version'), message: 'event: missing required field "model_version"' },
  { name: 'missing timestamp', kind: 'feature_log', value: without(FEATURE_LOG, 'timestamp'), message: 'event: missing required field "timestamp"' },
  { name: 'missing prediction', kind: 'prediction', value: without(PREDICTION, 'prediction'), message: 'event: missing required field "prediction"' },
  { name: 'missing features in a feature log', kind: 'feature_log', value: without(FEATURE_LOG, 'features'), message: 'event: missing required field "features"' },
  { name: 'missing label', kind: 'label', value: without(LABEL, 'label'), message: 'event: missing required field "label"' },
  { name: 'an unknown field', kind: 'prediction', value: { ...PREDICTION, extra_field: 1 }, message: 'event: unknown field "extra_field"' },
  { name: 'a prediction field on a label', kind: 'label', value: { ...LABEL, prediction: 1 }, message: 'event: unknown field "prediction"' },
  { name: 'a __proto__ key', kind: 'prediction', value: JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(PREDICTION).slice(1)}`), message: 'event: unknown field "__proto__"' },
  { name: 'prediction is an object', kind: 'prediction', value: { ...PREDICTION, prediction: { a: 1 } }, message: '/prediction: must be a number, string or boolean' },
  { name: 'prediction is null', kind: 'prediction', value: { ...PREDICTION, prediction: null }, message: '/prediction: must be a number, string or boolean' },
  { name: 'prediction is an array', kind: 'prediction', value: { ...PREDICTION, prediction: [1] }, message: '/prediction: must be a number, string or boolean' },
  { name: 'label is an array', kind: 'label', value: { ...LABEL, label: [] }, message: '/label: must be a number, string or boolean' },
  { name: 'timestamp is a boolean', kind: 'prediction', value: { ...PREDICTION, timestamp: true }, message: '/timestamp: must be an RFC 3339 string or integer epoch milliseconds' },
  { name: 'timestamp is fractional', kind: 'label', value: { ...LABEL, timestamp: 1_795_774_500_000.5 }, message: '/timestamp: must be an RFC 3339 string or integer epoch milliseconds' },
  { name: 'timestamp is too short', kind: 'prediction', value: { ...PREDICTION, timestamp: '2026' }, message: '/timestamp: must NOT have fewer than 10 characters' },
  { name: 'timestamp is too long', kind: 'label', value: { ...LABEL, timestamp: `2026-11-27T10:15:00.${'0'.repeat(30)}Z` }, message: '/timestamp: must NOT have more than 40 characters' },
  { name: 'timestamp is null', kind: 'feature_log', value: { ...FEATURE_LOG, timestamp: null }, message: '/timestamp: must be an RFC 3339 string or integer epoch milliseconds' },
  { name: 'a feature value is an object', kind: 'prediction', value: { ...PREDICTION, features: { age: { years: 4 } } }, message: '/features/age: must be a number, string, boolean or null' },
  { name: 'a feature value is an array', kind: 'feature_log', value: { ...FEATURE_LOG, features: { tags: ['a'] } }, message: '/features/tags: must be a number, string, boolean or null' },
  { name: 'a feature name with a slash (JSON pointer escaped)', kind: 'feature_log', value: { ...FEATURE_LOG, features: { 'a/b': {} } }, message: '/features/a~1b: must be a number, string, boolean or null' },
  { name: 'features is an array', kind: 'feature_log', value: { ...FEATURE_LOG, features: [1, 2] }, message: '/features: must be object' },
  // The message does not use the "propertyNames" wording of describeSchemaError (Ajv reports the inner minLength first).
  { name: 'an empty feature name', kind: 'feature_log', value: { ...FEATURE_LOG, features: { '': 1 } }, message: /^\/features: / },
  { name: 'score above 1', kind: 'prediction', value: { ...PREDICTION, score: 1.5 }, message: '/score: must be <= 1' },
  { name: 'score below 0', kind: 'prediction', value: { ...PREDICTION, score: -0.01 }, message: '/score: must be >= 0' },
  { name: 'score as a string', kind: 'prediction', value: { ...PREDICTION, score: '0.5' }, message: '/score: must be number' },
  { name: 'a class score above 1', kind: 'prediction', value: { ...PREDICTION, scores: { yes: 0.5, no: 2 } }, message: '/scores/no: must be <= 1' },
  { name: 'a segment value that is not a string', kind: 'prediction', value: { ...PREDICTION, segments: { country: 49 } }, message: '/segments/country: must be string' },
  { name: 'an empty event_id', kind: 'prediction', value: { ...PREDICTION, event_id: '' }, message: '/event_id: must NOT have fewer than 1 characters' },
  { name: 'an event_id of 257 characters', kind: 'label', value: { ...LABEL, event_id: 'e'.repeat(257) }, message: '/event_id: must NOT have more than 256 characters' },
  { name: 'an event_id that is a number', kind: 'label', value: { ...LABEL, event_id: 7 }, message: '/event_id: must be string' },
  { name: 'a model_id with a space', kind: 'prediction', value: { ...PREDICTION, model_id: 'churn model' }, message: /^\/model_id: must match pattern/ },
  { name: 'a model_id with a quote', kind: 'feature_log', value: { ...FEATURE_LOG, model_id: "churn'" }, message: /^\/model_id: must match pattern/ },
  { name: 'a model_id starting with a dash', kind: 'label', value: { ...LABEL, model_id: '-churn' }, message: /^\/model_id: must match pattern/ },
  { name: 'a model_id of 129 characters', kind: 'prediction', value: { ...PREDICTION, model_id: 'm'.repeat(129) }, message: '/model_id: must NOT have more than 128 characters' },
  { name: 'an empty model_version', kind: 'prediction', value: { ...PREDICTION, model_version: '' }, message: '/model_version: must NOT have fewer than 1 characters' },
];

for (const { name, kind, value, message } of SCHEMA_CASES) {
  test(`${kind}: ${name} is a schema_violation naming the field`, () => {
    const result = rejection(kind, bytesOf(value));
    assert.equal(result.code, 'schema_violation');
    if (typeof message === 'string') assert.equal(result.message, message);
    else assert.match(result.message, message);
    // decodeValue (the HTTP path) and validateEvent give the same answer as the byte path.
    assert.deepEqual(decodeValue(kind, value, NOW, LIMITS), { ok: false, rejection: result });
    assert.deepEqual(validateEvent(kind, value), { ok: false, rejection: result });
  });
}

// A string over the 4096-character limit must be reported as too long, not as the wrong type
// (with anyOf unions the failing number branch used to be reported first).
for (const { kind, value, field } of [
  { kind: 'prediction' as const, value: { ...PREDICTION, prediction: 'x'.repeat(5000) }, field: '/prediction' },
  { kind: 'feature_log' as const, value: { ...FEATURE_LOG, features: { note: 'x'.repeat(5000) } }, field: '/features/note' },
]) {
  test(`${kind}: an over-long string at ${field} is reported as too long, not as the wrong type`, () => {
    const result = rejection(kind, bytesOf(value));
    assert.equal(result.code, 'schema_violation');
    assert.ok(result.message.startsWith(`${field}: `), result.message);
    assert.match(result.message, /4096/, `the message should name the length limit: ${result.message}`);
  });
}

const TIMESTAMP_CASES: Array<{ name: string; timestamp: unknown }> = [
  { name: 'epoch seconds', timestamp: 1_795_774_500 },
  { name: 'epoch microseconds', timestamp: 1_795_774_500_000_000 },
  { name: 'February 30', timestamp: '2026-02-30T00:00:00Z' },
  { name: 'free text', timestamp: 'yesterday noon' },
  { name: 'two days ahead', timestamp: '2026-11-29T10:15:00Z' },
];

for (const { name, timestamp } of TIMESTAMP_CASES) {
  test(`a timestamp that is ${name} is invalid_timestamp`, () => {
    const result = rejection('label', bytesOf({ ...LABEL, timestamp }));
    assert.equal(result.code, 'invalid_timestamp');
    assert.match(result.message, /^\/timestamp: /);
  });
}

test('decode produces every rejection code except storage_rejected (which only the writer gives)', () => {
  const seen = new Set<string>([
    ...BYTE_CASES.map((entry) => rejection('prediction', entry.bytes).code),
    rejection('prediction', Buffer.alloc(LIMITS.maxMessageBytes + 1, 0x20)).code,
    rejection('prediction', bytesOf({ ...PREDICTION, extra: 1 })).code,
    rejection('prediction', bytesOf({ ...PREDICTION, timestamp: 1 })).code,
  ]);
  assert.deepEqual([...seen].sort(), Object.keys(REJECTION_CODES).filter((code) => code !== 'storage_rejected').sort());
});

test('a prediction becomes exactly this row', () => {
  const event = {
    event_id: 'e-42', model_id: 'churn/v2:eu', model_version: '2026.11', timestamp: '2026-11-27T11:15:00.250+01:00',
    features: { age: 42, plan: 'pro', churned: true, trial: false, region: null, ratio: 0.5, empty: '' },
    prediction: 'stay', scores: { stay: 0.8, leave: 0.2 }, segments: { country: 'DE', channel: 'web' },
  };
  const result = decodeMessage('prediction', bytesOf(event), NOW, LIMITS);
  assert.deepEqual(result, {
    ok: true,
    row: {
      model_id: 'churn/v2:eu', model_version: '2026.11', ts: Math.floor(EVENT_MS / 1000), ts_ms: 250, event_id: 'e-42',
      prediction_kind: 'string', prediction_num: 0, prediction_str: 'stay',
      score: null, score_classes: ['stay', 'leave'], score_values: [0.8, 0.2],
      num_feature_names: ['age', 'ratio'], num_feature_values: [42, 0.5],
      cat_feature_names: ['plan', 'churned', 'trial', 'empty'], cat_feature_values: ['pro', 'true', 'false', ''],
      null_feature_names: ['region'],
      segment_names: ['country', 'channel'], segment_values: ['DE', 'web'],
      ingested_at: INGESTED_AT,
    },
  });
});

const PREDICTION_VALUES: Array<{ prediction: number | string | boolean; kind: string; num: number; str: string }> = [
  { prediction: 0.75, kind: 'number', num: 0.75, str: '' },
  { prediction: 0, kind: 'number', num: 0, str: '' },
  { prediction: -3, kind: 'number', num: -3, str: '' },
  { prediction: true, kind: 'boolean', num: 1, str: 'true' },
  { prediction: false, kind: 'boolean', num: 0, str: 'false' },
  { prediction: 'leave', kind: 'string', num: 0, str: 'leave' },
  { prediction: '', kind: 'string', num: 0, str: '' },
];

for (const { prediction, kind, num, str } of PREDICTION_VALUES) {
  test(`prediction ${JSON.stringify(prediction)} -> kind ${kind}, num ${num}, str ${JSON.stringify(str)}; label likewise`, () => {
    const predictionResult = decodeValue('prediction', { ...PREDICTION, prediction }, NOW, LIMITS);
    assert.ok(predictionResult.ok);
    assert.equal(predictionResult.row.prediction_kind, kind);
    assert.equal(predictionResult.row.prediction_num, num);
    assert.equal(predictionResult.row.prediction_str, str);
    const labelResult = decodeValue('label', { ...LABEL, label: prediction }, NOW, LIMITS);
    assert.ok(labelResult.ok);
    assert.equal(labelResult.row.label_kind, kind);
    assert.equal(labelResult.row.label_num, num);
    assert.equal(labelResult.row.label_str, str);
  });
}

const SCORE_CASES: Array<{ name: string; extra: Record<string, unknown>; score: number | null }> = [
  { name: 'absent', extra: {}, score: null },
  { name: '0 (kept, not turned into null)', extra: { score: 0 }, score: 0 },
  { name: '1', extra: { score: 1 }, score: 1 },
  { name: '0.37', extra: { score: 0.37 }, score: 0.37 },
];

for (const { name, extra, score } of SCORE_CASES) {
  test(`score ${name}`, () => {
    const result = decodeValue('prediction', { ...PREDICTION, ...extra }, NOW, LIMITS);
    assert.ok(result.ok);
    assert.equal(result.row.score, score);
  });
}

test('a prediction without features, scores or segments has empty arrays', () => {
  const result = decodeValue('prediction', PREDICTION, NOW, LIMITS);
  assert.ok(result.ok);
  for (const column of ['score_classes', 'score_values', 'num_feature_names', 'num_feature_values', 'cat_feature_names', 'cat_feature_values', 'null_feature_names', 'segment_names', 'segment_values'] as const) {
    assert.deepEqual(result.row[column], [], column);
  }
});

test('a feature log becomes exactly this row (epoch-millisecond timestamp)', () => {
  const event = { event_id: 'e-7', model_id: 'churn', timestamp: 1_795_774_500_123, features: { b: 2, a: 'x', c: null, d: true } };
  assert.deepEqual(decodeMessage('feature_log', bytesOf(event), NOW, LIMITS), {
    ok: true,
    row: {
      model_id: 'churn', ts: 1_795_774_500, ts_ms: 123, event_id: 'e-7',
      num_feature_names: ['b'], num_feature_values: [2],
      cat_feature_names: ['a', 'd'], cat_feature_values: ['x', 'true'],
      null_feature_names: ['c'],
      ingested_at: INGESTED_AT,
    },
  });
});

test('a feature log with no features is accepted with empty arrays', () => {
  const result = decodeValue('feature_log', { ...FEATURE_LOG, features: {} }, NOW, LIMITS);
  assert.ok(result.ok);
  assert.deepEqual([result.row.num_feature_names, result.row.cat_feature_names, result.row.null_feature_names], [[], [], []]);
});

test('a label becomes exactly this row', () => {
  assert.deepEqual(decodeMessage('label', bytesOf({ ...LABEL, timestamp: '2026-11-27T10:15:00Z', label: 'leave' }), NOW, LIMITS), {
    ok: true,
    row: {
      model_id: 'churn', ts: 1_795_774_500, ts_ms: 0, event_id: 'e-1',
      label_kind: 'string', label_num: 0, label_str: 'leave', ingested_at: INGESTED_AT,
    },
  });
});

test('every row has exactly the columns listed for its insert', () => {
  const columns: Record<EventKind, readonly string[]> = { prediction: PREDICTION_COLUMNS, feature_log: FEATURE_LOG_COLUMNS, label: LABEL_COLUMNS };
  for (const kind of ['prediction', 'feature_log', 'label'] as const) {
    const result = decodeValue(kind, VALID[kind], NOW, LIMITS);
    assert.ok(result.ok, kind);
    assert.deepEqual(Object.keys(result.row).sort(), [...columns[kind]].sort(), kind);
  }
});

test('splitFeatures keeps each name next to its value, whatever the key order', () => {
  // Integer-like keys are enumerated first by JavaScript; the pairs must still line up.
  const columns = splitFeatures({ z: 1, 10: 'ten', 2: 2, a: null, y: false });
  const numeric = Object.fromEntries(columns.num_feature_names.map((name, index) => [name, columns.num_feature_values[index]]));
  const categorical = Object.fromEntries(columns.cat_feature_names.map((name, index) => [name, columns.cat_feature_values[index]]));
  assert.deepEqual(numeric, { z: 1, 2: 2 });
  assert.deepEqual(categorical, { 10: 'ten', y: 'false' });
  assert.deepEqual(columns.null_feature_names, ['a']);
  assert.deepEqual(splitFeatures(undefined), { num_feature_names: [], num_feature_values: [], cat_feature_names: [], cat_feature_values: [], null_feature_names: [] });
});

test('the row keeps feature names and string values byte for byte (no trimming, no normalising)', () => {
  const features = { ' spaced ': ' v ', 'e\u0301': 'é', '😀': "'; DROP TABLE x; --" };
  const result = decodeMessage('feature_log', bytesOf({ ...FEATURE_LOG, features }), NOW, LIMITS);
  assert.ok(result.ok);
  assert.deepEqual(result.row.cat_feature_names, Object.keys(features));
  assert.deepEqual(result.row.cat_feature_values, Object.values(features));
});

test('ingested_at is the decode time in whole seconds', () => {
  const result = decodeValue('label', LABEL, Date.UTC(2026, 10, 27, 12, 0, 0, 999), LIMITS);
  assert.ok(result.ok);
  assert.equal(result.row.ingested_at, Date.UTC(2026, 10, 27, 12) / 1000);
});

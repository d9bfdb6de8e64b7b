// ingest/event-scanner.ts against the reference path (JSON.parse + Ajv + rows.ts + the
// generic RowBinary encoder): for every input both must give the same bytes and the same
// rejections, and the scanner must handle the common shapes itself (or it would be dead
// weight that the equality checks cannot see).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBatch, packMessages, type DecodedBatch } from '../../ingest/batch-decoder.js';
import type { DecodeLimits } from '../../ingest/decode.js';
import { EventScanner } from '../../ingest/event-scanner.js';
import type { EventKind } from '../../schemas/events.js';
import { ByteWriter } from '../../storage/row-binary.js';
import { hostileString, randomCodePoint, randomInt, seededRandom } from '../helpers/hostile-values.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 27, 10, 15, 0) + 1_234;
const EVENT_MS = NOW - 3_600_000 + 250;
const LIMITS: DecodeLimits = { maxMessageBytes: 1024 * 1024, maxFutureSkewMs: DAY };

function decoded(kind: EventKind, messages: Buffer[], scan: boolean): { bytes: Buffer; rowEnds: number[]; indexes: number[]; rejected: DecodedBatch['rejected'] } {
  const result = decodeBatch(kind, packMessages(messages), NOW, LIMITS, scan);
  return { bytes: Buffer.from(result.encoded.bytes), rowEnds: [...result.encoded.rowEnds], indexes: [...result.encoded.indexes], rejected: result.rejected };
}

/** Whether the scanner itself encodes `text` (true) or hands it to the reference path. */
function scanned(kind: EventKind, text: string | Buffer): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return new EventScanner().encode(kind, bytes, 0, bytes.length, NOW, LIMITS, new ByteWriter(64));
}

function assertSameAsReference(kind: EventKind, messages: Buffer[], label: string): void {
  assert.deepEqual(decoded(kind, messages, true), decoded(kind, messages, false), label);
}

const base = { event_id: 'e-1', model_id: 'churn', model_version: 'v1', timestamp: EVENT_MS, prediction: 1 };
const event = (fields: Record<string, unknown>) => JSON.stringify({ ...base, ...fields });

// Each case: the message, and whether the scanner must encode it itself.
const CASES: Array<{ name: string; kind?: EventKind; text: string | Buffer; handled: boolean }> = [
  { name: 'the smallest prediction', text: event({}), handled: true },
  { name: 'every field', text: event({ features: { a: 1.5, b: 'x', c: true, d: false, e: null }, score: 0.25, scores: { yes: 0.25, no: 0.75 }, segments: { country: 'DE' } }), handled: true },
  { name: 'fields in another order, whitespace everywhere', text: ` \n{ "prediction" :\t"yes" ,\r\n "timestamp" : ${EVENT_MS} , "model_version":"v1","model_id" : "churn", "event_id": "e" , "features" : { "a" : 1 , "b" : null } } \n`, handled: true },
  { name: 'an RFC 3339 timestamp', text: event({ timestamp: new Date(EVENT_MS).toISOString() }), handled: true },
  { name: 'an RFC 3339 timestamp with an offset', text: event({ timestamp: '2026-11-27T10:15:00.250+01:00' }), handled: true },
  { name: 'a timestamp written with an exponent', text: event({}).replace(String(EVENT_MS), `${EVENT_MS / 1000}e3`), handled: true },
  { name: 'a boolean prediction', text: event({ prediction: false }), handled: true },
  { name: 'a string prediction', text: event({ prediction: 'class-a' }), handled: true },
  { name: 'empty features, scores, segments', text: event({ features: {}, scores: {}, segments: {} }), handled: true },
  { name: 'score 0 and 1', text: event({ score: 0, scores: { a: 1 } }), handled: true },
  { name: 'non-ASCII names and values', text: event({ event_id: 'é中😀', features: { 'größe': 'très', '名前': '値', '😀': 1 }, segments: { 'país': 'España' } }), handled: true },
  { name: 'event_id of 256 code points, some of them 4 bytes', text: event({ event_id: '😀'.repeat(128) + 'x'.repeat(128) }), handled: true },
  { name: 'model_id of 128 characters using every allowed sign', text: event({ model_id: ('a0._:/-Z').repeat(16) }), handled: true },
  { name: 'a 4096-character feature value', text: event({ features: { text: 'x'.repeat(4096) } }), handled: true },
  { name: '2000 features', text: event({ features: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, i])) }), handled: true },
  { name: 'a feature log', kind: 'feature_log', text: JSON.stringify({ event_id: 'e', model_id: 'm', timestamp: EVENT_MS, features: { a: 1, b: 'x', c: null, d: true } }), handled: true },
  { name: 'a label', kind: 'label', text: JSON.stringify({ event_id: 'e', model_id: 'm', timestamp: EVENT_MS, label: 'spam' }), handled: true },
  { name: 'a numeric label', kind: 'label', text: JSON.stringify({ event_id: 'e', model_id: 'm', timestamp: EVENT_MS, label: -0 }).replace('0}', '-0}'), handled: true },
  // Left to the reference path, which encodes or refuses them.
  { name: 'an escaped character', text: event({ event_id: 'a"b' }), handled: false },
  { name: 'a unicode escape', text: event({ features: { a: 'x' } }).replace('"x"', '"\\u0078"'), handled: false },
  { name: 'a lone surrogate escape', text: event({ features: { a: 'x' } }).replace('"x"', '"\\ud800"'), handled: false },
  { name: 'a duplicate field', text: event({}).replace('{', '{"event_id":"first",'), handled: false },
  { name: 'a duplicate feature name', text: event({ features: { a: 1 } }).replace('"a":1', '"a":1,"b":2,"a":"x"'), handled: false },
  { name: 'a feature named by an array index', text: event({ features: { b: 1, 7: 2 } }), handled: false },
  { name: 'a feature named __proto__', text: event({ features: { a: 1 } }).replace('"a":1', '"__proto__":1'), handled: false },
  { name: 'a byte order mark', text: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(event({}))]), handled: false },
  { name: 'an unknown field', text: event({ extra: 1 }), handled: false },
  { name: 'a missing prediction', text: JSON.stringify({ ...base, prediction: undefined }), handled: false },
  { name: 'a feature log without features', kind: 'feature_log', text: JSON.stringify({ event_id: 'e', model_id: 'm', timestamp: EVENT_MS }), handled: false },
  { name: 'a label field on a prediction', text: event({ label: 1 }), handled: false },
  { name: 'event_id of 257 code points', text: event({ event_id: '😀'.repeat(257) }), handled: false },
  { name: 'an empty event_id', text: event({ event_id: '' }), handled: false },
  { name: 'a model_id starting with a dot', text: event({ model_id: '.m' }), handled: false },
  { name: 'a model_id with a space', text: event({ model_id: 'm m' }), handled: false },
  { name: 'a 4097-character feature value', text: event({ features: { text: 'x'.repeat(4097) } }), handled: false },
  { name: '2001 features', text: event({ features: Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`f${i}`, i])) }), handled: false },
  { name: 'an empty feature name', text: event({ features: { '': 1 } }), handled: false },
  { name: 'a nested feature value', text: event({ features: { a: { b: 1 } } }), handled: false },
  { name: 'an array feature value', text: event({ features: { a: [1] } }), handled: false },
  { name: 'a score above 1', text: event({ score: 1.0000001 }), handled: false },
  { name: 'a negative score', text: event({ score: -0.1 }), handled: false },
  { name: 'a string score', text: event({ scores: { a: 'high' } }), handled: false },
  { name: 'a class probability above 1', text: event({ scores: { a: 0.5, b: 1.5 } }), handled: false },
  { name: 'a negative class probability', text: event({ scores: { a: -0.25 } }), handled: false },
  { name: 'a boolean class probability', text: event({ scores: { a: true } }), handled: false },
  { name: 'a null segment value', text: event({ segments: { a: null } }), handled: false },
  { name: 'a numeric segment', text: event({ segments: { a: 1 } }), handled: false },
  { name: 'a null prediction', text: event({ prediction: null }), handled: false },
  { name: 'a fractional epoch timestamp', text: event({ timestamp: EVENT_MS + 0.5 }), handled: false },
  { name: 'an epoch timestamp in seconds', text: event({ timestamp: Math.floor(EVENT_MS / 1000) }), handled: false },
  { name: 'a timestamp two days ahead', text: event({ timestamp: NOW + 2 * DAY }), handled: false },
  { name: 'a timestamp that is not RFC 3339', text: event({ timestamp: '27/11/2026 10:15' }), handled: false },
  { name: 'a non-ASCII timestamp string', text: event({ timestamp: '２０２６-11-27T10:15:00Z' }), handled: false },
  { name: 'a number overflowing to Infinity', text: event({ features: { a: 1 } }).replace('"a":1', '"a":1e400'), handled: false },
  { name: 'trailing garbage', text: `${event({})} x`, handled: false },
  { name: 'a truncated event', text: event({}).slice(0, -1), handled: false },
  { name: 'invalid UTF-8 in a value', text: Buffer.concat([Buffer.from(event({ features: { a: 'X' } }).split('X')[0]!), Buffer.from([0xc0, 0xaf]), Buffer.from(event({ features: { a: 'X' } }).split('X')[1]!)]), handled: false },
  { name: 'a UTF-8 encoded surrogate', text: Buffer.concat([Buffer.from(event({ features: { a: 'X' } }).split('X')[0]!), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(event({ features: { a: 'X' } }).split('X')[1]!)]), handled: false },
  { name: 'a raw control character in a string', text: event({ features: { a: 'X' } }).replace('X', '\u0001'), handled: false },
  { name: 'an array instead of an object', text: `[${event({})}]`, handled: false },
];

for (const { name, kind = 'prediction', text, handled } of CASES) {
  test(`event scanner: ${name} ${handled ? 'is encoded by the scanner' : 'goes to the reference path'}, with the reference's result`, () => {
    assert.equal(scanned(kind, text), handled);
    assertSameAsReference(kind, [Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')], name);
  });
}

// JSON number forms, each parsed by the scanner to the same double as JSON.parse.
const NUMBER_FORMS = [
  '0', '-0', '0.0', '-0.0', '1', '-1', '0.1', '0.3', '1.5', '-2.75', '123456789012345', '1234567890123456', '12345678901234567890',
  '9007199254740993', '0.000001', '0.0000001234', '1e0', '1E2', '1e+2', '1e-2', '2.5e-3', '1e22', '1e23', '1e-22', '1e-23', '1.7976931348623157e308',
  '5e-324', '2.2250738585072014e-308', '4.9406564584124654e-324', '0e500', '-0e-500', '1.00000000000000000000', '0.1000000000000000055511151231257827',
  '3.141592653589793238462643383279', '100000000000000000000000', '1e308', '123.456e-7', '0.00000000000000000000000000001',
];

test('event scanner: number forms parse to the double JSON.parse gives (and are encoded by the scanner)', () => {
  for (const form of NUMBER_FORMS) {
    const text = event({ features: { a: 0 } }).replace('"a":0', `"a":${form}`);
    assert.equal(scanned('prediction', text), true, form);
    assertSameAsReference('prediction', [Buffer.from(text)], form);
  }
});

test('event scanner: 20,000 random doubles and decimal strings round-trip as JSON.parse reads them', () => {
  const random = seededRandom(20261128);
  const view = new DataView(new ArrayBuffer(8));
  const forms: string[] = [];
  for (let i = 0; i < 10_000; i += 1) {
    // Random bit patterns cover every exponent and the shortest-form digits of each.
    view.setUint32(0, randomInt(random, 0, 0xffffffff));
    view.setUint32(4, randomInt(random, 0, 0xffffffff));
    const double = view.getFloat64(0);
    if (Number.isFinite(double)) forms.push(JSON.stringify(double));
    const digits = Array.from({ length: randomInt(random, 1, 22) }, () => randomInt(random, 0, 9)).join('').replace(/^0+(?=\d)/, '');
    const fraction = random() < 0.6 ? `.${Array.from({ length: randomInt(random, 1, 20) }, () => randomInt(random, 0, 9)).join('')}` : '';
    const exponent = random() < 0.4 ? `e${random() < 0.5 ? '-' : '+'}${randomInt(random, 0, 40)}` : '';
    forms.push(`${random() < 0.3 ? '-' : ''}${digits}${fraction}${exponent}`);
  }
  const messages = forms.map((form) => Buffer.from(event({ features: { a: 0 } }).replace('"a":0', `"a":${form}`)));
  let handled = 0;
  for (const message of messages) if (scanned('prediction', message)) handled += 1;
  assert.ok(handled >= messages.length - 10, `the scanner encoded ${handled} of ${messages.length}`);
  assertSameAsReference('prediction', messages, 'random numbers');
});

const PLAIN_LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_- .éßΩ中😀'];

/**
 * A random event of `kind`: mostly valid, in random shapes. Hostile strings (control
 * characters, quotes, backslashes, any code point) unless `plain`: letters only, which
 * JSON carries without escapes.
 */
function randomEvent(random: () => number, kind: EventKind, plain: boolean): Record<string, unknown> {
  const plainText = () => Array.from({ length: randomInt(random, 1, 12) }, () => PLAIN_LETTERS[randomInt(random, 0, PLAIN_LETTERS.length - 1)]!).join('');
  const text = () => (plain ? plainText() : random() < 0.7 ? Array.from({ length: randomInt(random, 1, 12) }, () => randomCodePoint(random)).join('') : hostileString(random));
  const scalar = () => {
    const choice = random();
    if (choice < 0.4) return Math.round((random() - 0.5) * 10 ** randomInt(random, 0, 8)) / 10 ** randomInt(random, 0, 6);
    if (choice < 0.7) return text();
    if (choice < 0.8) return random() < 0.5;
    return null;
  };
  const named = (count: number, value: () => unknown) => Object.fromEntries(Array.from({ length: count }, () => [text(), value()]));
  const result: Record<string, unknown> = { event_id: text(), model_id: random() < 0.9 ? 'model-a' : text(), timestamp: random() < 0.5 ? EVENT_MS - randomInt(random, 0, DAY) : new Date(EVENT_MS).toISOString() };
  if (kind === 'prediction') {
    result.model_version = text();
    result.prediction = scalar();
    if (random() < 0.7) result.features = named(randomInt(random, 0, 25), scalar);
    if (random() < 0.3) result.score = random() < 0.9 ? random() : random() * 3 - 1;
    if (random() < 0.2) result.scores = named(randomInt(random, 0, 4), () => (random() < 0.9 ? random() : text()));
    if (random() < 0.3) result.segments = named(randomInt(random, 0, 3), () => (random() < 0.9 ? text() : 1));
  } else if (kind === 'feature_log') {
    result.features = named(randomInt(random, 0, 25), scalar);
  } else {
    result.label = scalar();
  }
  if (random() < 0.05) delete result[Object.keys(result)[randomInt(random, 0, Object.keys(result).length - 1)]!];
  return result;
}

/** Damages a message: a byte replaced, removed or inserted. */
function mutate(random: () => number, bytes: Buffer): Buffer {
  const at = randomInt(random, 0, bytes.length - 1);
  const byte = random() < 0.5 ? randomInt(random, 0, 255) : '{}[]":,\\ 0-.e"tfn'.charCodeAt(randomInt(random, 0, 16));
  const choice = random();
  if (choice < 0.4) return Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at + 1)]);
  if (choice < 0.7) return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
}

for (const kind of ['prediction', 'feature_log', 'label'] as const) {
  test(`event scanner: 6,000 random ${kind} events and 6,000 damaged ones decode exactly as the reference path does`, () => {
    const random = seededRandom(kind.length * 7919);
    const hostile = Array.from({ length: 3000 }, () => Buffer.from(JSON.stringify(randomEvent(random, kind, false)), 'utf8'));
    const plain = Array.from({ length: 3000 }, () => Buffer.from(JSON.stringify(randomEvent(random, kind, true)), 'utf8'));
    for (const [name, intact] of [['hostile', hostile], ['plain', plain]] as const) {
      assertSameAsReference(kind, intact, `${kind}: ${name}`);
      assertSameAsReference(kind, intact.map((message) => mutate(random, message)), `${kind}: ${name}, damaged`);
    }
    // Every valid plain event is the scanner's to encode.
    const valid = decoded(kind, plain, false).indexes;
    assert.ok(valid.length > 1500, `${valid.length} of the plain events are valid`);
    assert.deepEqual(valid.filter((index) => !scanned(kind, plain[index]!)), [], 'valid plain events the scanner left to the reference path');
  });
}

// Small pure pieces of ingest and the API: retry delays, the dead-letter record, bearer
// authorization, and which storage errors are worth retrying.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorize } from '../../api/auth.js';
import { ApiError, API_ERRORS } from '../../api/errors.js';
import type { ApiToken, Scope } from '../../config/config.js';
import { DLQ_HEADERS, deadLetterMessage } from '../../ingest/dead-letter.js';
import { backoffDelay } from '../../ingest/event-writer.js';
import type { ConsumedMessage } from '../../messaging/kafka.js';
import { clickHouseErrorCode, isTransientStorageError } from '../../storage/clickhouse.js';

// ---------------------------------------------------------------- backoffDelay

const BACKOFF_CASES: Array<{ attempt: number; initialMs: number; maxMs: number; expected: number }> = [
  { attempt: 1, initialMs: 200, maxMs: 10_000, expected: 200 },
  { attempt: 2, initialMs: 200, maxMs: 10_000, expected: 400 },
  { attempt: 3, initialMs: 200, maxMs: 10_000, expected: 800 },
  { attempt: 4, initialMs: 200, maxMs: 10_000, expected: 1600 },
  { attempt: 6, initialMs: 200, maxMs: 10_000, expected: 6400 },
  { attempt: 7, initialMs: 200, maxMs: 10_000, expected: 10_000 },
  { attempt: 8, initialMs: 200, maxMs: 10_000, expected: 10_000 },
  { attempt: 1, initialMs: 100, maxMs: 100, expected: 100 },
  { attempt: 5, initialMs: 100, maxMs: 100, expected: 100 },
  { attempt: 1, initialMs: 1, maxMs: 600_000, expected: 1 },
  { attempt: 20, initialMs: 1, maxMs: 600_000, expected: 524_288 },
  { attempt: 21, initialMs: 1, maxMs: 600_000, expected: 600_000 },
  // The exponent is capped, so huge attempt counts stay finite and capped.
  { attempt: 1_000, initialMs: 200, maxMs: 10_000, expected: 10_000 },
  { attempt: Number.MAX_SAFE_INTEGER, initialMs: 60_000, maxMs: 600_000, expected: 600_000 },
];

for (const { attempt, initialMs, maxMs, expected } of BACKOFF_CASES) {
  test(`backoffDelay(attempt ${attempt}, ${initialMs}..${maxMs} ms) = ${expected}`, () => {
    assert.equal(backoffDelay(attempt, { initialMs, maxMs }), expected);
  });
}

test('backoffDelay doubles until the cap and never decreases', () => {
  const policy = { initialMs: 3, maxMs: 5_000 };
  let previous = 0;
  for (let attempt = 1; attempt <= 100; attempt += 1) {
    const delay = backoffDelay(attempt, policy);
    assert.ok(delay >= previous && delay <= policy.maxMs && Number.isFinite(delay), `attempt ${attempt}: ${delay}`);
    if (previous > 0 && previous * 2 <= policy.maxMs) assert.equal(delay, previous * 2);
    previous = delay;
  }
  assert.equal(previous, policy.maxMs);
});

// ---------------------------------------------------------------- deadLetterMessage

const NOW = Date.UTC(2026, 10, 27, 10, 15, 0, 123);

function consumed(headers: ConsumedMessage['headers'], overrides: Partial<ConsumedMessage> = {}): ConsumedMessage {
  return { offset: '18446744073709551615', key: Buffer.from('e-1'), value: Buffer.from([0xff, 0x00, 0x7b]), headers, ...overrides };
}

test('deadLetterMessage keeps the original bytes and key untouched and sets every dlq header', () => {
  const original = consumed({ traceparent: '00-abc-def-01', 'content-type': Buffer.from('application/json') });
  const message = deadLetterMessage(original, { code: 'invalid_utf8', message: 'the message is not valid UTF-8' }, 'decode', { topic: 'driftwatch.predictions', partition: 2 }, NOW);
  assert.equal(message.value, original.value, 'the same Buffer, not a copy that could differ');
  assert.deepEqual(message.value, Buffer.from([0xff, 0x00, 0x7b]));
  assert.equal(message.key, original.key);
  assert.deepEqual(message.headers, {
    traceparent: '00-abc-def-01',
    'content-type': Buffer.from('application/json'),
    'dlq-reason': 'invalid_utf8',
    'dlq-message': 'the message is not valid UTF-8',
    'dlq-step': 'decode',
    'dlq-source-topic': 'driftwatch.predictions',
    'dlq-source-partition': '2',
    'dlq-source-offset': '18446744073709551615',
    'dlq-failed-at': '2026-11-27T10:15:00.123Z',
  });
});

test('deadLetterMessage drops headers of an earlier dead-lettering (dlq-*) and undefined headers', () => {
  const original = consumed({
    'dlq-reason': 'oversize', 'dlq-source-topic': 'old-topic', 'dlq-custom': 'x', traceparent: 't', missing: undefined, 'x-dlq-note': 'kept',
  });
  const message = deadLetterMessage(original, { code: 'storage_rejected', message: 'Code: 27' }, 'store', { topic: 'driftwatch.labels', partition: 0 }, NOW);
  const headers = message.headers!;
  assert.equal(headers['dlq-reason'], 'storage_rejected');
  assert.equal(headers['dlq-source-topic'], 'driftwatch.labels');
  assert.equal(headers['dlq-step'], 'store');
  assert.equal(headers['dlq-source-partition'], '0');
  assert.ok(!('dlq-custom' in headers), 'stale dlq-* headers are not carried over');
  assert.ok(!('missing' in headers));
  assert.equal(headers.traceparent, 't');
  assert.equal(headers['x-dlq-note'], 'kept', 'only the dlq- prefix is reserved');
  assert.deepEqual(Object.keys(headers).filter((name) => name.startsWith('dlq-')).sort(), Object.values(DLQ_HEADERS).sort());
});

test('deadLetterMessage: a null key and a null value (tombstone) stay null; long messages are cut to 1000 characters', () => {
  const message = deadLetterMessage(consumed({}, { key: null, value: null }), { code: 'empty', message: 'm'.repeat(5000) }, 'decode', { topic: 't', partition: 1 }, NOW);
  assert.equal(message.key, null);
  assert.equal(message.value, null);
  assert.equal(message.headers!['dlq-message'], 'm'.repeat(1000));
});

// ---------------------------------------------------------------- authorize

const INGEST_TOKEN = 'ingest-token-0123456789';
const READ_TOKEN = 'read-token-0123456789ab';
const ADMIN_TOKEN = 'admin-token-0123456789a';
const BOTH_TOKEN = 'both-token-0123456789ab';
const TOKENS: ApiToken[] = [
  { token: INGEST_TOKEN, scopes: new Set<Scope>(['ingest']) },
  { token: READ_TOKEN, scopes: new Set<Scope>(['read']) },
  { token: ADMIN_TOKEN, scopes: new Set<Scope>(['admin']) },
  { token: BOTH_TOKEN, scopes: new Set<Scope>(['ingest', 'read']) },
];

function authError(tokens: ApiToken[], header: string | undefined, scope: Scope): ApiError | undefined {
  try {
    authorize(tokens, header, scope);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    return error;
  }
}

test('authorize: without configured tokens every request is allowed, with or without a header', () => {
  for (const header of [undefined, '', 'Bearer anything', 'garbage']) {
    for (const scope of ['ingest', 'read', 'admin'] as const) assert.equal(authError([], header, scope), undefined);
  }
});

const AUTH_CASES: Array<{ name: string; header: string | undefined; scope: Scope; expected: 'allowed' | 'DW_UNAUTHORIZED' | 'DW_FORBIDDEN'; message?: string }> = [
  { name: 'no header', header: undefined, scope: 'ingest', expected: 'DW_UNAUTHORIZED', message: API_ERRORS.DW_UNAUTHORIZED.message },
  { name: 'an empty header', header: '', scope: 'ingest', expected: 'DW_UNAUTHORIZED' },
  { name: 'a token without "Bearer"', header: INGEST_TOKEN, scope: 'ingest', expected: 'DW_UNAUTHORIZED' },
  { name: 'Basic auth', header: `Basic ${Buffer.from(`u:${INGEST_TOKEN}`).toString('base64')}`, scope: 'ingest', expected: 'DW_UNAUTHORIZED' },
  { name: '"Bearer" with nothing after it', header: 'Bearer ', scope: 'ingest', expected: 'DW_UNAUTHORIZED' },
  { name: 'two tokens', header: `Bearer ${INGEST_TOKEN} ${READ_TOKEN}`, scope: 'ingest', expected: 'DW_UNAUTHORIZED' },
  { name: 'an unknown token', header: 'Bearer not-a-configured-token-123', scope: 'read', expected: 'DW_UNAUTHORIZED', message: 'unknown API token' },
  { name: 'a prefix of a real token', header: `Bearer ${INGEST_TOKEN.slice(0, -1)}`, scope: 'ingest', expected: 'DW_UNAUTHORIZED', message: 'unknown API token' },
  { name: 'a real token with an extra character', header: `Bearer ${INGEST_TOKEN}x`, scope: 'ingest', expected: 'DW_UNAUTHORIZED', message: 'unknown API token' },
  { name: 'a real token in another case', header: `Bearer ${INGEST_TOKEN.toUpperCase()}`, scope: 'ingest', expected: 'DW_UNAUTHORIZED', message: 'unknown API token' },
  { name: 'the ingest token on an ingest route', header: `Bearer ${INGEST_TOKEN}`, scope: 'ingest', expected: 'allowed' },
  { name: 'a lower-case scheme and extra spaces', header: `bearer   ${INGEST_TOKEN}`, scope: 'ingest', expected: 'allowed' },
  { name: 'the ingest token on a read route', header: `Bearer ${INGEST_TOKEN}`, scope: 'read', expected: 'DW_FORBIDDEN', message: 'this token lacks the "read" scope' },
  { name: 'the ingest token on an admin route', header: `Bearer ${INGEST_TOKEN}`, scope: 'admin', expected: 'DW_FORBIDDEN', message: 'this token lacks the "admin" scope' },
  { name: 'the read token on an ingest route', header: `Bearer ${READ_TOKEN}`, scope: 'ingest', expected: 'DW_FORBIDDEN', message: 'this token lacks the "ingest" scope' },
  { name: 'the read token on a read route', header: `Bearer ${READ_TOKEN}`, scope: 'read', expected: 'allowed' },
  { name: 'the admin token on an ingest route', header: `Bearer ${ADMIN_TOKEN}`, scope: 'ingest', expected: 'allowed' },
  { name: 'the admin token on a read route', header: `Bearer ${ADMIN_TOKEN}`, scope: 'read', expected: 'allowed' },
  { name: 'the admin token on an admin route', header: `Bearer ${ADMIN_TOKEN}`, scope: 'admin', expected: 'allowed' },
  { name: 'an ingest+read token on a read route', header: `Bearer ${BOTH_TOKEN}`, scope: 'read', expected: 'allowed' },
  { name: 'an ingest+read token on an admin route', header: `Bearer ${BOTH_TOKEN}`, scope: 'admin', expected: 'DW_FORBIDDEN' },
];

for (const { name, header, scope, expected, message } of AUTH_CASES) {
  test(`authorize: ${name} (${scope} route) -> ${expected}`, () => {
    const error = authError(TOKENS, header, scope);
    if (expected === 'allowed') {
      assert.equal(error, undefined);
      return;
    }
    assert.ok(error);
    assert.equal(error.code, expected);
    assert.equal(error.status, expected === 'DW_UNAUTHORIZED' ? 401 : 403);
    if (message !== undefined) assert.equal(error.message, message);
  });
}

// ---------------------------------------------------------------- storage errors

function errorWith(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

const STORAGE_ERRORS: Array<{ name: string; error: unknown; transient: boolean; code: number | undefined }> = [
  { name: 'connection refused (as the client reports it)', error: errorWith('connect ECONNREFUSED 127.0.0.1:18123', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' }), transient: true, code: undefined },
  { name: 'connection reset', error: errorWith('read ECONNRESET', { code: 'ECONNRESET' }), transient: true, code: undefined },
  { name: 'a DNS failure while the server restarts', error: errorWith('getaddrinfo EAI_AGAIN clickhouse', { code: 'EAI_AGAIN' }), transient: true, code: undefined },
  { name: 'host not found', error: errorWith('getaddrinfo ENOTFOUND clickhouse', { code: 'ENOTFOUND' }), transient: true, code: undefined },
  { name: 'an undici socket error', error: errorWith('other side closed', { code: 'UND_ERR_SOCKET' }), transient: true, code: undefined },
  { name: 'the client request timeout', error: errorWith('Timeout error.'), transient: true, code: undefined },
  { name: 'socket hang up', error: errorWith('socket hang up'), transient: true, code: undefined },
  { name: 'ECONNREFUSED only in the message', error: errorWith('request failed: connect ECONNREFUSED ::1:18123'), transient: true, code: undefined },
  { name: 'Code: 252 too many parts', error: errorWith('Code: 252, e.displayText() = DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts., e.what() = DB::Exception'), transient: true, code: 252 },
  { name: 'Code: 241 memory limit', error: errorWith('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded'), transient: true, code: 241 },
  { name: 'Code: 202 too many simultaneous queries', error: errorWith('Code: 202, e.displayText() = DB::Exception: Too many simultaneous queries. Maximum: 100'), transient: true, code: 202 },
  { name: 'a transient code in the code field', error: errorWith('Too many parts', { code: '252' }), transient: true, code: 252 },
  { name: 'Code: 27 parse error', error: errorWith('Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: "abc"}: (at row 1)'), transient: false, code: 27 },
  { name: 'Code: 62 syntax error', error: errorWith('Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1 (line 1, col 1): SELEC 1'), transient: false, code: 62 },
  { name: 'Code: 60 unknown table', error: errorWith("Code: 60, e.displayText() = DB::Exception: Table driftwatch.predictions doesn't exist., e.what() = DB::Exception"), transient: false, code: 60 },
  { name: 'Code: 16 no such column', error: errorWith('Code: 16, e.displayText() = DB::Exception: No such column score in table predictions'), transient: false, code: 16 },
  { name: 'a permanent code in the code field (current client)', error: errorWith('Syntax error', { code: '62', type: 'SYNTAX_ERROR' }), transient: false, code: 62 },
  { name: 'an Error without any code', error: new Error('something else'), transient: false, code: undefined },
  { name: 'a thrown string', error: 'Code: 252', transient: false, code: undefined },
  { name: 'a plain object', error: { code: 'ECONNREFUSED', message: 'Code: 252' }, transient: false, code: undefined },
  { name: 'undefined', error: undefined, transient: false, code: undefined },
];

for (const { name, error, transient, code } of STORAGE_ERRORS) {
  test(`storage error: ${name} -> ${transient ? 'transient' : 'permanent'}, code ${code}`, () => {
    assert.equal(isTransientStorageError(error), transient);
    assert.equal(clickHouseErrorCode(error), code);
  });
}

test('every transient ClickHouse code in "Code: N" form is transient', () => {
  for (const code of [159, 164, 202, 203, 209, 210, 241, 242, 252, 285, 319, 425]) {
    assert.equal(isTransientStorageError(new Error(`Code: ${code}, e.displayText() = DB::Exception: x`)), true, String(code));
  }
});

// A server error is judged by its code: its text may quote anything, and a permanent error
// retried for ever stalls the partition. Seen on the real 18.16: "Code: 60 ... Table
// default.timeouts doesn't exist".
for (const message of [
  "Code: 60, e.displayText() = DB::Exception: Table default.timeouts doesn't exist., e.what() = DB::Exception",
  'Code: 16, e.displayText() = DB::Exception: No such column request_timeout in table predictions',
  'Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: "socket hang up"}: (at row 1)',
]) {
  test(`a permanent ClickHouse error stays permanent whatever words it quotes: ${message.slice(0, 60)}...`, () => {
    assert.equal(isTransientStorageError(new Error(message)), false);
  });
}

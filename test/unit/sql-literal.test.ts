// storage/sql.ts: the one place where values become SQL text. Exact outputs for the
// dangerous characters, rejections, and a seeded property check with an independent
// reader of ClickHouse string literals (test/integration/sql-literal-fuzz.test.ts asks
// the real server the same question).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SqlFragment, SqlValueError, dateTimeLiteral, fragment, identifier, literal, numberLiteral, sql, stringLiteral,
  type SqlValue,
} from '../../storage/sql.js';
import { FIXED_HOSTILE_STRINGS, hostileString, randomFiniteNumber, seededRandom } from '../helpers/hostile-values.js';

const READER_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/**
 * Reads one ClickHouse single-quoted literal from the start of `text` the way the server's
 * lexer does (a backslash escapes the next character, an unescaped quote ends it) and
 * returns the decoded value and where the literal ended. Throws on an escape we never emit.
 */
function readStringLiteral(text: string): { value: string; end: number } {
  assert.equal(text[0], "'", 'a string literal starts with a quote');
  let value = '';
  for (let i = 1; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === "'") return { value, end: i + 1 };
    if (ch === '\\') {
      const next = text[i + 1];
      const decoded = next === undefined ? undefined : READER_ESCAPES[next];
      if (decoded === undefined) throw new Error(`unexpected escape \\${next ?? '<end>'} at ${i}`);
      value += decoded;
      i += 1;
    } else {
      value += ch;
    }
  }
  throw new Error('the literal never ends');
}

const STRING_CASES: Array<{ name: string; input: string; expected: string }> = [
  { name: 'empty string', input: '', expected: "''" },
  { name: 'plain text', input: 'churn-model', expected: "'churn-model'" },
  { name: 'single quote', input: "it's", expected: "'it\\'s'" },
  { name: 'two quotes', input: "''", expected: "'\\'\\''" },
  { name: 'backslash', input: 'a\\b', expected: "'a\\\\b'" },
  { name: 'trailing backslash', input: 'abc\\', expected: "'abc\\\\'" },
  { name: 'only a backslash', input: '\\', expected: "'\\\\'" },
  { name: 'backslash then quote', input: "\\'", expected: "'\\\\\\''" },
  { name: 'quote then backslash', input: "'\\", expected: "'\\'\\\\'" },
  { name: 'classic injection', input: "'; DROP TABLE x; --", expected: "'\\'; DROP TABLE x; --'" },
  { name: 'NUL', input: 'a\0b', expected: "'a\\0b'" },
  { name: 'newline', input: 'a\nb', expected: "'a\\nb'" },
  { name: 'carriage return', input: 'a\rb', expected: "'a\\rb'" },
  { name: 'tab', input: 'a\tb', expected: "'a\\tb'" },
  { name: 'backspace and form feed', input: '\b\f', expected: "'\\b\\f'" },
  { name: 'an escape sequence as text stays text', input: '\\n\\0', expected: "'\\\\n\\\\0'" },
  { name: 'double quote and backtick pass through', input: '"`', expected: "'\"`'" },
  { name: 'other control characters pass through raw', input: '\x01\x1b\x7f', expected: "'\x01\x1b\x7f'" },
  { name: 'accents and CJK', input: 'Grüße 中文', expected: "'Grüße 中文'" },
  { name: 'astral-plane emoji (a surrogate pair)', input: '😀👩‍👩‍👧', expected: "'😀👩‍👩‍👧'" },
  { name: 'RTL and bidi override marks', input: '\u200f\u202eabc', expected: "'\u200f\u202eabc'" },
  { name: 'line and paragraph separators', input: '\u2028\u2029', expected: "'\u2028\u2029'" },
];

for (const { name, input, expected } of STRING_CASES) {
  test(`stringLiteral: ${name}`, () => {
    assert.equal(stringLiteral(input), expected);
    assert.equal(literal(input), expected);
    const read = readStringLiteral(expected);
    assert.equal(read.value, input, 'the literal reads back as the input');
    assert.equal(read.end, expected.length, 'the literal ends exactly at its closing quote');
  });
}

const LONE_SURROGATES: Array<{ name: string; input: string }> = [
  { name: 'a lone high surrogate', input: '\ud800' },
  { name: 'a lone low surrogate', input: '\udc00' },
  { name: 'half of an emoji at the end', input: `ok${'😀'.slice(0, 1)}` },
  { name: 'the second half of an emoji at the start', input: `${'😀'.slice(1)}ok` },
  { name: 'reversed pair', input: '\ude00\ud83d' },
];

for (const { name, input } of LONE_SURROGATES) {
  test(`stringLiteral rejects ${name}`, () => {
    assert.throws(() => stringLiteral(input), (error: unknown) => error instanceof SqlValueError && /surrogate/.test(error.message));
    assert.throws(() => literal(input), SqlValueError);
    assert.throws(() => literal(['fine', input]), SqlValueError, 'also inside an array');
  });
}

test('stringLiteral: thousands of seeded hostile strings read back exactly and end at the closing quote', () => {
  const random = seededRandom(20261127);
  const inputs = [...FIXED_HOSTILE_STRINGS, ...Array.from({ length: 5000 }, () => hostileString(random))];
  for (const input of inputs) {
    const text = stringLiteral(input);
    const read = readStringLiteral(text);
    assert.equal(read.value, input, `round trip of ${JSON.stringify(input)}`);
    assert.equal(read.end, text.length, `${JSON.stringify(input)} must not close its literal early`);
    assert.doesNotMatch(text, /[\0\n\r]/, 'no raw NUL or line break reaches the SQL text');
  }
});

const NUMBER_CASES: Array<{ input: number; expected: string }> = [
  { input: 0, expected: '0' },
  { input: -0, expected: '0' },
  { input: 1, expected: '1' },
  { input: -1, expected: '-1' },
  { input: 0.1, expected: '0.1' },
  { input: -1.5, expected: '-1.5' },
  { input: 1 / 3, expected: '0.3333333333333333' },
  { input: 1e308, expected: '1e+308' },
  { input: -1e308, expected: '-1e+308' },
  { input: Number.MAX_VALUE, expected: '1.7976931348623157e+308' },
  { input: 2.2250738585072014e-308, expected: '2.2250738585072014e-308' },
  { input: 1e21, expected: '1e+21' },
  { input: 1e-7, expected: '1e-7' },
  // From 2^31 on, integers are written in exponent form, which ClickHouse reads as the same
  // double (Float64), so they mix with fractions and negatives in one array.
  { input: 2 ** 31 - 1, expected: '2147483647' },
  { input: -(2 ** 31) + 1, expected: '-2147483647' },
  { input: 2 ** 31, expected: '2.147483648e+9' },
  { input: Number.MAX_SAFE_INTEGER, expected: '9.007199254740991e+15' },
  { input: Number.MIN_SAFE_INTEGER, expected: '-9.007199254740991e+15' },
  { input: 4_294_967_296, expected: '4.294967296e+9' },
  { input: 2 ** 53, expected: '9.007199254740992e+15' },
  { input: 2 ** 60, expected: '1.152921504606847e+18' },
  { input: -(2 ** 63), expected: '-9.223372036854776e+18' },
];

for (const { input, expected } of NUMBER_CASES) {
  test(`numberLiteral(${Object.is(input, -0) ? '-0' : input}) is ${expected}`, () => {
    assert.equal(numberLiteral(input), expected);
    assert.equal(literal(input), expected);
  });
}

for (const input of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
  test(`numberLiteral rejects ${input}`, () => {
    assert.throws(() => numberLiteral(input), (error: unknown) => error instanceof SqlValueError && error.message.includes(String(input)));
    assert.throws(() => literal(input), SqlValueError);
    assert.throws(() => literal([1, input]), SqlValueError, 'also inside an array');
    assert.throws(() => sql`SELECT ${input}`, SqlValueError, 'also inside a template');
  });
}

test('numberLiteral: random finite doubles give only [0-9.e+-] and parse back to the same double', () => {
  const random = seededRandom(53);
  for (let i = 0; i < 20_000; i += 1) {
    const value = randomFiniteNumber(random, { allowSubnormal: true });
    const text = numberLiteral(value);
    assert.match(text, /^-?\d+(\.\d+)?(e[+-]\d+)?$/, `literal of ${value}`);
    // Subnormals are written as 0: 18.16's parser rejects them, and they differ from 0 by < 2.3e-308.
    const expected = Math.abs(value) < 2.2250738585072014e-308 ? 0 : value;
    assert.ok(Number(text) === expected, `${text} parses back to ${expected}`);
  }
});

// String(2 ** 60) is "1152921504606847000", the shortest text that JavaScript reads back as
// 2^60. ClickHouse reads digits without a point or exponent as an exact UInt64/Int64, so that
// text would mean 1152921504606847000, 24 more than the double the caller had
// (`SELECT pow(2, 60) = 1152921504606847000` is 0). Integer-looking text must be exact.
test('numberLiteral: integer-looking text is the exact value of the double (ClickHouse reads it as an integer)', () => {
  const random = seededRandom(64);
  const values = [2 ** 53 + 2, 2 ** 60, -(2 ** 63), 2 ** 63, 2 ** 64 - 2048, 1e20, ...Array.from({ length: 1000 }, () => randomFiniteNumber(random))];
  const inexact: string[] = [];
  for (const value of values) {
    const text = numberLiteral(value);
    if (/^-?\d+$/.test(text) && BigInt(text) !== BigInt(value)) inexact.push(`${text} (exact value ${BigInt(value)})`);
  }
  assert.deepEqual(inexact.slice(0, 5), [], `${inexact.length} integer literals differ from their double`);
});

const LITERAL_CASES: Array<{ name: string; input: SqlValue; expected: string }> = [
  { name: 'null', input: null, expected: 'NULL' },
  { name: 'true', input: true, expected: '1' },
  { name: 'false', input: false, expected: '0' },
  { name: 'bigint', input: 12345678901234567890n, expected: '12345678901234567890' },
  { name: 'negative bigint', input: -5n, expected: '-5' },
  { name: 'Date (whole seconds, UTC)', input: new Date(Date.UTC(2026, 10, 27, 10, 15, 0)), expected: 'toDateTime(1795774500)' },
  { name: 'Date with milliseconds (floored)', input: new Date(Date.UTC(2026, 10, 27, 10, 15, 0, 999)), expected: 'toDateTime(1795774500)' },
  { name: 'Date at the epoch', input: new Date(0), expected: 'toDateTime(0)' },
  { name: 'empty array', input: [], expected: '[]' },
  { name: 'array of strings', input: ['a', "b'c"], expected: "['a', 'b\\'c']" },
  { name: 'mixed array', input: [1, 'a', null, true], expected: "[1, 'a', NULL, 1]" },
  { name: 'nested arrays', input: [[1, 2], [], ['x']], expected: "[[1, 2], [], ['x']]" },
  { name: 'SqlFragment passes through raw', input: new SqlFragment('now()'), expected: 'now()' },
  { name: 'identifier inside an array', input: [identifier('ts'), 1], expected: '[ts, 1]' },
];

for (const { name, input, expected } of LITERAL_CASES) {
  test(`literal: ${name}`, () => {
    assert.equal(literal(input), expected);
  });
}

test('dateTimeLiteral rejects an invalid Date', () => {
  assert.throws(() => dateTimeLiteral(new Date(Number.NaN)), SqlValueError);
  assert.throws(() => literal(new Date('not a date')), SqlValueError);
});

const UNSUPPORTED: Array<{ name: string; input: unknown }> = [
  { name: 'undefined', input: undefined },
  { name: 'a plain object', input: { a: 1 } },
  { name: 'an object that looks like a fragment', input: { text: '1; DROP TABLE x' } },
  { name: 'a symbol', input: Symbol('x') },
  { name: 'a function', input: () => 'x' },
  { name: 'a Map', input: new Map() },
  { name: 'a Buffer', input: Buffer.from('x') },
];

for (const { name, input } of UNSUPPORTED) {
  test(`literal rejects ${name}`, () => {
    assert.throws(() => literal(input as SqlValue), (error: unknown) => error instanceof SqlValueError && /unsupported SQL value/.test(error.message));
  });
}

const GOOD_IDENTIFIERS = ['a', '_', 'predictions', 'Model_2', '_tmp_1', 'driftwatch_test_abc123', 'x'.repeat(128)];

for (const name of GOOD_IDENTIFIERS) {
  test(`identifier accepts ${name.length > 20 ? `${name.length} letters` : name}`, () => {
    const id = identifier(name);
    assert.ok(id instanceof SqlFragment);
    assert.equal(id.text, name);
    assert.equal(sql`SELECT * FROM ${id}`, `SELECT * FROM ${name}`);
  });
}

const BAD_IDENTIFIERS: Array<{ name: string; input: string }> = [
  { name: 'empty', input: '' },
  { name: 'statement injection', input: 'a;DROP' },
  { name: 'statement injection with spaces', input: 'a; DROP TABLE x' },
  { name: 'backticks', input: '`a`' },
  { name: 'a backtick inside', input: 'a`b' },
  { name: 'double quotes', input: '"a"' },
  { name: 'a single quote', input: "a'" },
  { name: 'a space inside', input: 'a b' },
  { name: 'a leading space', input: ' a' },
  { name: 'a trailing space', input: 'a ' },
  { name: 'a trailing newline', input: 'a\n' },
  { name: 'a NUL', input: 'a\0' },
  { name: 'a leading digit', input: '1abc' },
  { name: 'only digits', input: '123' },
  { name: 'a dot (database.table)', input: 'db.table' },
  { name: 'a hyphen', input: 'a-b' },
  { name: 'a comment', input: 'a--' },
  { name: 'parentheses', input: 'f()' },
  { name: 'non-ASCII letter', input: 'é' },
  { name: 'a Cyrillic look-alike a', input: '\u0430' },
  { name: '129 characters', input: 'x'.repeat(129) },
];

for (const { name, input } of BAD_IDENTIFIERS) {
  test(`identifier rejects ${name}`, () => {
    assert.throws(() => identifier(input), (error: unknown) => error instanceof SqlValueError && error.message.includes(`"${input}"`));
  });
}

test('identifier: no seeded hostile string passes unless it is a plain identifier', () => {
  const random = seededRandom(7);
  let accepted = 0;
  for (const input of [...FIXED_HOSTILE_STRINGS, ...Array.from({ length: 5000 }, () => hostileString(random))]) {
    let text: string | undefined;
    try {
      text = identifier(input).text;
    } catch (error) {
      assert.ok(error instanceof SqlValueError);
      continue;
    }
    accepted += 1;
    assert.equal(text, input);
    assert.match(text, /^[A-Za-z_][A-Za-z0-9_]*$/);
  }
  // Nearly every generated string holds a character outside the whitelist.
  assert.ok(accepted < 50, `${accepted} hostile strings were accepted as identifiers`);
});

test('sql: every interpolated value goes through literal()', () => {
  assert.equal(sql`SELECT 1`, 'SELECT 1');
  assert.equal(sql`${1}`, '1');
  assert.equal(
    sql`SELECT count() FROM predictions WHERE model_id = ${"x' OR 1=1 --"} AND ts >= ${new Date(1_795_774_500_000)} AND score > ${0.5} LIMIT ${10}`,
    "SELECT count() FROM predictions WHERE model_id = 'x\\' OR 1=1 --' AND ts >= toDateTime(1795774500) AND score > 0.5 LIMIT 10",
  );
  assert.equal(sql`SELECT ${'a'}${'b'}`, "SELECT 'a''b'", 'adjacent values stay separate literals');
  assert.equal(sql`x IN ${['a', 'b']}`, "x IN ['a', 'b']");
  assert.equal(sql`SELECT ${'1; DROP TABLE x'}`, "SELECT '1; DROP TABLE x'", 'a string is never raw SQL');
});

test('sql: a bad value anywhere throws instead of producing text', () => {
  assert.throws(() => sql`SELECT ${1}, ${Number.NaN}`, SqlValueError);
  assert.throws(() => sql`SELECT ${'\ud800'}`, SqlValueError);
});

test('fragment: composes inside sql without escaping twice', () => {
  const condition = fragment`model_id = ${"o'brien"} AND ${identifier('ts')} > ${0}`;
  assert.ok(condition instanceof SqlFragment);
  assert.equal(condition.text, "model_id = 'o\\'brien' AND ts > 0");
  assert.equal(String(condition), condition.text);
  assert.equal(sql`SELECT 1 WHERE ${condition}`, "SELECT 1 WHERE model_id = 'o\\'brien' AND ts > 0");
  assert.equal(sql`SELECT 1 WHERE ${fragment`${condition} OR ${fragment`x = ${'\\'}`}`}`, "SELECT 1 WHERE model_id = 'o\\'brien' AND ts > 0 OR x = '\\\\'");
});

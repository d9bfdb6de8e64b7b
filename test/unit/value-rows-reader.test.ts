// The numeric value stream as analyzer/service/value-rows-reader.ts reads it: RowBinary
// rows (side UInt8, ids Array(UInt16), values Array(Float64)[, names Array(String)]) built
// byte by byte here and fed in chunks cut anywhere, including inside a double.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idAt, readPatternRows, readValueRows, valueAt, ValueRowsError, type PatternRow, type ValueRow } from '../../analyzer/service/value-rows-reader.js';

function varUInt(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function row(side: number, ids: number[], values: number[], names?: string[]): Buffer {
  const parts = [Buffer.from([side]), varUInt(ids.length), Buffer.from(Uint16Array.from(ids).buffer), varUInt(values.length), Buffer.from(Float64Array.from(values).buffer)];
  if (names !== undefined) {
    parts.push(varUInt(names.length));
    for (const name of names) parts.push(varUInt(Buffer.byteLength(name)), Buffer.from(name));
  }
  return Buffer.concat(parts);
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface Seen {
  side: number;
  ids: number[];
  values: number[];
  names: string[] | null;
}

async function readAll(bytes: Buffer, size: number, withNames: boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  const count = await readValueRows(chunks(bytes, size), withNames, (r: ValueRow) => {
    // Read during the callback: the row object and its bytes are reused afterwards.
    const indices = Array.from({ length: r.count }, (_, index) => index);
    seen.push({ side: r.side, ids: indices.map((index) => idAt(r, index)), values: indices.map((index) => valueAt(r, index)), names: r.names });
  });
  assert.equal(count, seen.length);
  return seen;
}

const extremes = [1.5, -0, 5e-324, -1.7976931348623157e308, 0.1 + 0.2];
// 2,000 values (16 KB): a row longer than many chunks, and than the bytes the reader joins to a cut row.
const long = Array.from({ length: 2_000 }, (_, index) => index / 7 - 3);

test('rows decode bit-exactly however the stream is cut', async () => {
  const stream = Buffer.concat([row(0, [3, 4, 5, 6, 7], extremes), row(1, [], []), row(1, long.map((_, index) => index + 3), long)]);
  const whole = await readAll(stream, stream.length, false);
  assert.deepEqual(whole, [
    { side: 0, ids: [3, 4, 5, 6, 7], values: extremes, names: null },
    { side: 1, ids: [], values: [], names: null },
    { side: 1, ids: long.map((_, index) => index + 3), values: long, names: null },
  ]);
  assert.ok(Object.is(whole[0]!.values[1], -0));
  for (const size of [1, 2, 7, 64, 1000, 9000, 20_000]) assert.deepEqual(await readAll(stream, size, false), whole, `chunks of ${size} bytes`);
});

test('rows with the names column: empty for known layouts, the names otherwise', async () => {
  const stream = Buffer.concat([row(0, [3, 0], [1, 2], ['a', 'nouveau é']), row(1, [3], [4], [])]);
  for (const size of [1, 5, stream.length]) {
    assert.deepEqual(await readAll(stream, size, true), [
      { side: 0, ids: [3, 0], values: [1, 2], names: ['a', 'nouveau é'] },
      { side: 1, ids: [3], values: [4], names: null },
    ]);
  }
});

test('an empty body is no row; a cut, a server error or a malformed row is an error', async () => {
  assert.deepEqual(await readAll(Buffer.alloc(0), 1, false), []);
  const stream = Buffer.concat([row(0, [3, 4], [1, 2]), row(1, [3], [4])]);
  await assert.rejects(readAll(stream.subarray(0, stream.length - 3), 4, false), ValueRowsError);
  const failed = Buffer.concat([row(0, [3], [1]), Buffer.from('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded')]);
  for (const size of [3, 1000]) await assert.rejects(readAll(failed, size, false), /^Error: Code: 241.*Memory limit/);
  const mismatched = Buffer.concat([Buffer.from([0]), varUInt(2), Buffer.from(Uint16Array.of(3, 4).buffer), varUInt(1), Buffer.from(Float64Array.of(1).buffer)]);
  await assert.rejects(readAll(mismatched, 100, false), /2 column ids but 1 values/);
});

// The pattern layout: tag UInt8 (bit 0 side, bits 1-2 appended columns), pattern UInt64, values Array(Float64).
function patternRow(tag: number, pattern: bigint, values: number[]): Buffer {
  const head = Buffer.alloc(9);
  head[0] = tag;
  head.writeBigUInt64LE(pattern, 1);
  return Buffer.concat([head, varUInt(values.length), Buffer.from(Float64Array.from(values).buffer)]);
}

interface SeenPattern {
  side: number;
  extras: number;
  pattern: bigint;
  values: number[];
}

async function readAllPatterns(bytes: Buffer, size: number): Promise<SeenPattern[]> {
  const seen: SeenPattern[] = [];
  const count = await readPatternRows(chunks(bytes, size), (r: PatternRow) => {
    const values = Array.from({ length: r.count }, (_, index) => r.view.getFloat64(r.valuesAt + 8 * index, true));
    seen.push({ side: r.side, extras: r.extras, pattern: (BigInt(r.patternHigh) << 32n) | BigInt(r.patternLow), values });
  });
  assert.equal(count, seen.length);
  return seen;
}

test('pattern rows decode bit-exactly however the stream is cut, the 64-bit pattern whole', async () => {
  const cases: SeenPattern[] = [
    { side: 0, extras: 0, pattern: 0xffffffffffffffffn, values: extremes },
    { side: 1, extras: 3, pattern: 0n, values: [] },
    { side: 1, extras: 1, pattern: 0x8000000000000001n, values: long },
    { side: 0, extras: 2, pattern: 12345678901234567890n, values: [42] },
  ];
  const stream = Buffer.concat(cases.map((c) => patternRow(c.side | (c.extras << 1), c.pattern, c.values)));
  for (const size of [1, 3, 9, 10, 64, 1000, 9000, stream.length]) assert.deepEqual(await readAllPatterns(stream, size), cases, `chunks of ${size} bytes`);
});

test('a pattern stream that is cut or followed by a server error fails with what the server said', async () => {
  const stream = Buffer.concat([patternRow(0, 7n, [1, 2]), patternRow(1, 7n, [3])]);
  await assert.rejects(readAllPatterns(stream.subarray(0, stream.length - 1), 5), ValueRowsError);
  const failed = Buffer.concat([patternRow(0, 7n, [1]), Buffer.from('Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded')]);
  for (const size of [3, 1000]) await assert.rejects(readAllPatterns(failed, size), /^Error: Code: 241.*Memory limit/);
});

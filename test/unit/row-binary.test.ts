import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter, encodeRows, rowEncoder, type ColumnSpec } from '../../storage/row-binary.js';

const bytesOf = (write: (writer: ByteWriter) => void): number[] => {
  const writer = new ByteWriter(4);
  write(writer);
  return [...writer.bytes()];
};

test('varUInt is LEB128', () => {
  const cases: Array<[number, number[]]> = [
    [0, [0]], [1, [1]], [127, [0x7f]], [128, [0x80, 0x01]], [300, [0xac, 0x02]], [16_384, [0x80, 0x80, 0x01]],
    [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
  ];
  for (const [value, expected] of cases) assert.deepEqual(bytesOf((w) => w.varUInt(value)), expected, String(value));
});

test('strings are a byte length then UTF-8, whatever the characters', () => {
  const cases: Array<[string, number[]]> = [
    ['', [0]],
    ['a', [1, 0x61]],
    ['é', [2, 0xc3, 0xa9]],
    ['😀', [4, 0xf0, 0x9f, 0x98, 0x80]],
    ["'\\\0\n", [4, 0x27, 0x5c, 0x00, 0x0a]],
  ];
  for (const [value, expected] of cases) assert.deepEqual(bytesOf((w) => w.string(value)), expected, JSON.stringify(value));
  const long = 'x'.repeat(200);
  assert.deepEqual(bytesOf((w) => w.string(long)).slice(0, 3), [0xc8, 0x01, 0x78]);
});

test('fixed-width numbers are little-endian and the buffer grows as needed', () => {
  assert.deepEqual(bytesOf((w) => w.uint16(0x1234)), [0x34, 0x12]);
  assert.deepEqual(bytesOf((w) => w.uint32(0x01020304)), [4, 3, 2, 1]);
  assert.deepEqual(bytesOf((w) => w.float64(1)), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  const writer = new ByteWriter(2);
  for (let i = 0; i < 1000; i += 1) writer.uint32(i);
  assert.equal(writer.length, 4000);
  assert.equal(writer.bytes().readUInt32LE(3996), 999);
});

interface Row { name: string; kind: string; score: number | null; tags: string[]; values: number[]; at: number }
const SPEC: ReadonlyArray<ColumnSpec<Row>> = [
  ['name', 'String'], ['kind', { enum8: { a: 1, b: 2 } }], ['score', 'Nullable(Float64)'],
  ['tags', 'Array(String)'], ['values', 'Array(Float64)'], ['at', 'DateTime'],
];

test('a row encodes its columns in order', () => {
  const { bytes, invalid } = encodeRows(rowEncoder(SPEC), [{ name: 'n', kind: 'b', score: null, tags: ['x'], values: [2], at: 7 }]);
  assert.deepEqual(invalid, []);
  assert.deepEqual([...bytes], [1, 0x6e, 2, 1, 1, 1, 0x78, 1, 0, 0, 0, 0, 0, 0, 0, 0x40, 7, 0, 0, 0]);
});

test('rows that do not fit their columns are reported by index and left out of the bytes', () => {
  const good = { name: 'ok', kind: 'a', score: 0.5, tags: [], values: [], at: 1 };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ kind: 'c' }, /column kind: "c" is not one of a, b/],
    [{ score: Number.NaN }, /column score: expected a number/],
    [{ at: -1 }, /column at: -1 is not an integer/],
    [{ at: 2 ** 32 }, /column at: .* is not an integer/],
    [{ tags: ['x', 3] }, /column tags: expected an array of strings/],
    [{ values: 'no' }, /column values: expected an array/],
    [{ name: 5 }, /column name: expected a string/],
  ];
  const encoder = rowEncoder(SPEC);
  const alone = encodeRows(encoder, [good, good]).bytes;
  for (const [override, message] of cases) {
    const { bytes, invalid } = encodeRows(encoder, [good, { ...good, ...override } as Row, good]);
    assert.equal(invalid.length, 1);
    assert.equal(invalid[0]!.index, 1);
    assert.match(invalid[0]!.message, message);
    assert.deepEqual(bytes, alone, 'the partial row was removed');
  }
});

test('hand-written UTF-8 equals Node\'s encoder for random strings of every length class', () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = ['a', 'Z', '0', "'", '\\', '\0', '\n', 'é', 'ß', '中', '😀', '\u200f', '\uffff', '\ud800', '\udc00'];
  for (const length of [0, 1, 5, 42, 127, 128, 129, 5000, 20_000]) {
    for (let round = 0; round < 20; round += 1) {
      let text = '';
      for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(random() * alphabet.length)];
      const writer = new ByteWriter(8);
      writer.uint8(0xaa);
      writer.string(text);
      writer.uint8(0xbb);
      const expected = Buffer.from(text, 'utf8');
      const reference = new ByteWriter(8);
      reference.varUInt(expected.length);
      const bytes = writer.bytes();
      const prefix = reference.bytes();
      assert.equal(bytes[0], 0xaa);
      assert.deepEqual(bytes.subarray(1, 1 + prefix.length), prefix, `length prefix of a ${length}-unit string`);
      assert.deepEqual(bytes.subarray(1 + prefix.length, bytes.length - 1), expected, `UTF-8 of a ${length}-unit string`);
      assert.equal(bytes[bytes.length - 1], 0xbb);
    }
  }
});

test('UInt64 takes any safe integer, little-endian in two 32-bit halves; arrays of them too', () => {
  const cases: Array<[number, number[]]> = [
    [0, [0, 0, 0, 0, 0, 0, 0, 0]],
    [1, [1, 0, 0, 0, 0, 0, 0, 0]],
    [2 ** 32, [0, 0, 0, 0, 1, 0, 0, 0]],
    [2 ** 32 + 5, [5, 0, 0, 0, 1, 0, 0, 0]],
    [Number.MAX_SAFE_INTEGER, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]],
  ];
  for (const [value, expected] of cases) assert.deepEqual(bytesOf((w) => w.uint64(value)), expected, String(value));
  const encoder = rowEncoder<{ n: number; counts: number[] }>([['n', 'UInt64'], ['counts', 'Array(UInt64)']]);
  const { bytes, invalid } = encodeRows(encoder, [{ n: 3, counts: [1, 2 ** 40] }, { n: 2 ** 53, counts: [] }, { n: 1, counts: [-1] }]);
  assert.deepEqual([...bytes], [3, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(invalid.map((row) => row.index), [1, 2]);
  assert.match(invalid[0]!.message, /column n: 9007199254740992 is not an integer/);
});

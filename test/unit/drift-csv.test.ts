/**
 * The CSV reader of `driftwatch drift`: RFC 4180 quoting, chunk boundaries
 * anywhere, and errors that name the line and column. Also the cell rules
 * (missing, numbers, non-finite tokens) and the fast decimal path's exactness.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCell, parsePlainDecimal } from '../../analyzer/offline/cell-value.js';
import { CsvParser } from '../../analyzer/offline/csv-parser.js';
import { InputError } from '../../analyzer/offline/input-error.js';
import { Mulberry32 } from './stats-fixture-rng.js';

function parse(text: string, chunkSize = text.length || 1): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  const parser = new CsvParser('test.csv', {
    cell: (source, start, end) => fields.push(source.slice(start, end)),
    quotedCell: (value) => fields.push(value),
    endRecord: (line) => {
      records.push({ line, fields });
      fields = [];
    },
  });
  for (let i = 0; i < text.length; i += chunkSize) parser.push(text.slice(i, i + chunkSize));
  parser.end();
  return records;
}

const cases: Array<{ name: string; text: string; expected: Array<{ line: number; fields: string[] }> }> = [
  { name: 'plain', text: 'a,b\n1,2\n', expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }] },
  { name: 'CRLF and no final newline', text: 'a,b\r\n1,2', expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }] },
  { name: 'empty cells', text: 'a,b,c\n,,\n', expected: [{ line: 1, fields: ['a', 'b', 'c'] }, { line: 2, fields: ['', '', ''] }] },
  { name: 'trailing comma at end of file', text: 'a,b\n1,', expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', ''] }] },
  {
    name: 'quotes, commas, doubled quotes',
    text: 'a,b\n"x, y","say ""hi"""\n',
    expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['x, y', 'say "hi"'] }],
  },
  {
    name: 'line break inside quotes keeps line numbers right',
    text: 'a,b\n"two\nlines",1\n3,4\n',
    expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['two\nlines', '1'] }, { line: 4, fields: ['3', '4'] }],
  },
  {
    name: 'blank lines are skipped but counted',
    text: 'a\n\n1\n\r\n2\n',
    expected: [{ line: 1, fields: ['a'] }, { line: 3, fields: ['1'] }, { line: 5, fields: ['2'] }],
  },
  { name: 'quoted empty and CRLF after quote', text: 'a,b\r\n"",""\r\n', expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['', ''] }] },
  { name: 'byte-order mark', text: '\uFEFFa,b\n1,2\n', expected: [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }] },
  { name: 'quoted last field at end of file', text: 'a\n"z"', expected: [{ line: 1, fields: ['a'] }, { line: 2, fields: ['z'] }] },
];

for (const c of cases) {
  test(`csv: ${c.name}, whatever the chunk size`, () => {
    for (const chunkSize of [1, 2, 3, 5, 7, 1000]) {
      assert.deepEqual(parse(c.text, chunkSize), c.expected, `chunk size ${chunkSize}`);
    }
  });
}

const malformed: Array<{ name: string; text: string; line: number; column: number; message: RegExp }> = [
  { name: 'quote inside an unquoted field', text: 'a,b\n1,x"y\n', line: 2, column: 2, message: /quote inside an unquoted field/ },
  { name: 'text after closing quote', text: 'a,b\n"x"y,2\n', line: 2, column: 1, message: /after a closing quote/ },
  { name: 'unterminated quote', text: 'a,b\n1,2\n3,"open\n4,5\n', line: 3, column: 2, message: /unterminated/ },
];

for (const c of malformed) {
  test(`csv error: ${c.name} names line ${c.line}, column ${c.column}`, () => {
    for (const chunkSize of [1, 4, 1000]) {
      assert.throws(
        () => parse(c.text, chunkSize),
        (error: unknown) =>
          error instanceof InputError && error.line === c.line && error.column === c.column && c.message.test(error.message),
        `chunk size ${chunkSize}`,
      );
    }
  });
}

test('cell rules: missing, numbers, non-finite tokens, text', () => {
  const table: Array<[string, string, number?]> = [
    ['', 'missing'],
    ['   ', 'missing'],
    ['null', 'missing'],
    ['NULL', 'missing'],
    ['0', 'number', 0],
    ['-0.0', 'number', -0],
    [' 12.5 ', 'number', 12.5],
    ['1e3', 'number', 1000],
    ['.5', 'number', 0.5],
    ['NaN', 'non-finite'],
    ['-inf', 'non-finite'],
    ['Infinity', 'non-finite'],
    ['1e999', 'non-finite'],
    ['0x1A', 'text'],
    ['abc', 'text'],
    ['12abc', 'text'],
    ['true', 'text'],
  ];
  for (const [text, kind, value] of table) {
    const cell = parseCell(text);
    assert.equal(cell.kind, kind, text);
    if (value !== undefined) assert.ok(Object.is(cell.value, value), `${text} -> ${cell.value}`);
  }
});

test('fast decimal path gives exactly the double Number() gives, or defers', () => {
  const rng = new Mulberry32(5);
  for (let i = 0; i < 20000; i++) {
    const digits = 1 + rng.integer(15);
    let text = String(rng.integer(10 ** Math.min(digits, 9))) + String(rng.integer(10 ** Math.max(0, digits - 9))).padStart(Math.max(0, digits - 9), '0');
    const point = rng.integer(text.length + 1);
    text = `${rng.integer(2) ? '-' : ''}${text.slice(0, point)}.${text.slice(point)}`;
    const fast = parsePlainDecimal(text, 0, text.length);
    if (!Number.isNaN(fast)) assert.ok(Object.is(fast, Number(text)), `${text}: ${fast} vs ${Number(text)}`);
  }
  for (const deferred of ['1e5', ' 1', '1.2.3', '-', '.', '', '12345678901234567', '1_000']) {
    assert.ok(Number.isNaN(parsePlainDecimal(deferred, 0, deferred.length)), deferred);
  }
});

/**
 * Reference files -> reference rows: cell typing (the offline reader's rules for CSV, the
 * live events' for NDJSON, checked against ingest/rows.ts itself), column roles, chunk
 * boundaries, and errors that name the row and column with nothing converted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ColumnRolesError, MAX_FEATURES, MAX_REPORTED_ERRORS, ReferenceFileError, columnRoles, describeRowError, parseColumnList,
  readReferenceText, referenceRowsFromText, surveyReferenceText, type ColumnRoles, type InputFormat, type ReferenceRow, type ReferenceRowError,
} from '../../analyzer/references/dataset-rows.js';
import { referenceRowEncoder } from '../../analyzer/references/reference-store.js';
import { predictionRow } from '../../ingest/rows.js';
import type { PredictionEvent } from '../../schemas/events.js';
import { ByteWriter } from '../../storage/row-binary.js';

const roles = (options: Parameters<typeof columnRoles>[0] = {}): ColumnRoles => columnRoles(options);

/** The parts of a row a case states; everything else must be empty / 'none'. */
interface ExpectedRow {
  prediction?: [ReferenceRow['prediction_kind'], number, string];
  score?: number | null;
  label?: [ReferenceRow['label_kind'], number, string];
  num?: Record<string, number>;
  cat?: Record<string, string>;
  nulls?: string[];
}

function expand(expected: ExpectedRow, rowNumber: number): ReferenceRow {
  const [prediction_kind, prediction_num, prediction_str] = expected.prediction ?? ['none', 0, ''];
  const [label_kind, label_num, label_str] = expected.label ?? ['none', 0, ''];
  return {
    row_number: rowNumber,
    prediction_kind, prediction_num, prediction_str,
    score: expected.score ?? null,
    num_feature_names: Object.keys(expected.num ?? {}),
    num_feature_values: Object.values(expected.num ?? {}),
    cat_feature_names: Object.keys(expected.cat ?? {}),
    cat_feature_values: Object.values(expected.cat ?? {}),
    null_feature_names: expected.nulls ?? [],
    label_kind, label_num, label_str,
  };
}

interface RowCase {
  name: string;
  format: InputFormat;
  text: string;
  roles?: ColumnRoles;
  features: string[];
  rows: ExpectedRow[];
}

const rowCases: RowCase[] = [
  {
    name: 'CSV: numbers, text, empty cells and the three roles',
    format: 'csv',
    text: 'age,plan,prediction,score,label\n31,pro,yes,0.75,yes\n,basic,no,,no\n7.0,pro,,0,\n',
    features: ['age', 'plan'],
    rows: [
      { num: { age: 31 }, cat: { plan: 'pro' }, prediction: ['string', 0, 'yes'], score: 0.75, label: ['string', 0, 'yes'] },
      { cat: { plan: 'basic' }, nulls: ['age'], prediction: ['string', 0, 'no'], label: ['string', 0, 'no'] },
      { num: { age: 7 }, cat: { plan: 'pro' }, score: 0 },
    ],
  },
  {
    name: 'CSV: one text cell makes the whole column categorical, numbers in canonical form (offline rule)',
    format: 'csv',
    text: 'x\n1\n1.50\nabc\n',
    features: ['x'],
    rows: [{ cat: { x: '1' } }, { cat: { x: '1.5' } }, { cat: { x: 'abc' } }],
  },
  {
    name: 'CSV: a categorical column keeps the raw text; null and NULL are missing',
    format: 'csv',
    text: 'zip,n\n007,1\n1.50,2\nNULL,null\n',
    roles: roles({ categorical: ['zip'] }),
    features: ['zip', 'n'],
    rows: [{ cat: { zip: '007' }, num: { n: 1 } }, { cat: { zip: '1.50' }, num: { n: 2 } }, { nulls: ['zip', 'n'] }],
  },
  {
    name: 'CSV: NaN and Infinity in a numeric column stay numeric; the token is kept as text (a type error downstream)',
    format: 'csv',
    text: 'x\n1.5\nNaN\n-inf\n',
    features: ['x'],
    rows: [{ num: { x: 1.5 } }, { cat: { x: 'NaN' } }, { cat: { x: '-inf' } }],
  },
  {
    name: 'CSV: a column of true/false in any case is boolean, as a JSON client sends it',
    format: 'csv',
    text: 'flag,prediction,label\nTrue,TRUE,false\nFalse,false,\n,true,True\n',
    features: ['flag'],
    rows: [
      { cat: { flag: 'true' }, prediction: ['boolean', 1, 'true'], label: ['boolean', 0, 'false'] },
      { cat: { flag: 'false' }, prediction: ['boolean', 0, 'false'] },
      { nulls: ['flag'], prediction: ['boolean', 1, 'true'], label: ['boolean', 1, 'true'] },
    ],
  },
  {
    name: 'CSV: a categorical true/false column keeps its text',
    format: 'csv',
    text: 'flag\nTrue\n',
    roles: roles({ categorical: ['flag'] }),
    features: ['flag'],
    rows: [{ cat: { flag: 'True' } }],
  },
  {
    name: 'CSV: numeric prediction and label; renamed role columns; a column named like a default role is a feature',
    format: 'csv',
    text: 'y_hat,p,y,prediction\n3.5,0.2,4,9\n',
    roles: roles({ prediction: 'y_hat', score: 'p', label: 'y' }),
    features: ['prediction'],
    rows: [{ prediction: ['number', 3.5, ''], score: 0.2, label: ['number', 4, ''], num: { prediction: 9 } }],
  },
  {
    name: 'CSV: a categorical prediction keeps its text',
    format: 'csv',
    text: 'prediction\n01\n',
    roles: roles({ categorical: ['prediction'] }),
    features: [],
    rows: [{ prediction: ['string', 0, '01'] }],
  },
  {
    name: 'CSV: quotes, commas, line breaks, CRLF, byte-order mark; quoted numbers are numbers',
    format: 'csv',
    text: '\uFEFFa,b\r\n"12","x, ""y"""\r\n3,"two\nlines"\r\n',
    features: ['a', 'b'],
    rows: [{ num: { a: 12 }, cat: { b: 'x, "y"' } }, { num: { a: 3 }, cat: { b: 'two\nlines' } }],
  },
  {
    name: 'CSV: a column named __proto__ is a feature like any other',
    format: 'csv',
    text: '__proto__,constructor\n1,x\n',
    features: ['__proto__', 'constructor'],
    rows: [{ num: JSON.parse('{"__proto__":1}') as Record<string, number>, cat: { constructor: 'x' } }],
  },
  {
    name: 'NDJSON: JSON types as live events store them; absent keys are not stored; blank lines are not rows',
    format: 'ndjson',
    text: '{"age":31,"plan":"pro","vip":true,"note":null,"prediction":false,"score":0.9,"label":true}\n\n{"age":"31","label":"yes"}\r\n',
    features: ['age', 'plan', 'vip', 'note'],
    rows: [
      { num: { age: 31 }, cat: { plan: 'pro', vip: 'true' }, nulls: ['note'], prediction: ['boolean', 0, 'false'], score: 0.9, label: ['boolean', 1, 'true'] },
      { cat: { age: '31' }, label: ['string', 0, 'yes'] },
    ],
  },
  {
    name: 'NDJSON: a categorical column turns numbers into their text',
    format: 'ndjson',
    text: '{"zip":7,"prediction":2}\n{"zip":"007"}',
    roles: roles({ categorical: ['zip', 'prediction'] }),
    features: ['zip'],
    rows: [{ cat: { zip: '7' }, prediction: ['string', 0, '2'] }, { cat: { zip: '007' } }],
  },
];

for (const c of rowCases) {
  test(`rows: ${c.name}`, async () => {
    const { plan, rows } = readReferenceText(c.text, c.format, c.roles ?? roles());
    assert.deepEqual(plan.features, c.features);
    assert.equal(plan.rowCount, c.rows.length);
    assert.deepEqual(rows, c.rows.map((row, index) => expand(row, index + 1)));
    // Chunk boundaries anywhere give the same rows (both passes read the text in chunks).
    for (const size of [1, 2, 5, 13]) {
      const chunks = (): string[] => Array.from({ length: Math.ceil(c.text.length / size) }, (_, i) => c.text.slice(i * size, (i + 1) * size));
      const chunkedPlan = await surveyReferenceText(chunks(), c.format, c.roles ?? roles());
      const chunkedRows: ReferenceRow[] = [];
      for await (const row of referenceRowsFromText(chunks(), chunkedPlan)) chunkedRows.push(row);
      assert.deepEqual(chunkedRows, rows, `chunk size ${size}`);
    }
  });
}

test('rows: NDJSON features and prediction are stored exactly as ingest stores the same values of a live event', () => {
  const values = { n: 1.25, neg: -3, s: 'x', empty: '', t: true, f: false, missing: null, unicode: 'naïve ☃' };
  const line = JSON.stringify({ ...values, prediction: 'churn', score: 0.5 });
  const [row] = readReferenceText(line, 'ndjson').rows;
  const event: PredictionEvent = { event_id: 'e', model_id: 'm', model_version: 'v', timestamp: 0, features: values, prediction: 'churn', score: 0.5 };
  const live = predictionRow(event, { epochMs: 0, ingestedAtSeconds: 0 });
  for (const column of ['num_feature_names', 'num_feature_values', 'cat_feature_names', 'cat_feature_values', 'null_feature_names', 'prediction_kind', 'prediction_num', 'prediction_str', 'score'] as const) {
    assert.deepEqual(row![column], live[column], column);
  }
});

test('rows: the score is a number in [0, 1] or empty', () => {
  for (const good of ['0', '1', '0.5', '1e-3', ' 0.25 ', '', 'null']) {
    const [row] = readReferenceText(`id,score\n1,${good}\n`, 'csv').rows;
    assert.equal(row!.score, good.trim() === '' || good === 'null' ? null : Number(good), `"${good}"`);
  }
  for (const bad of ['-0.1', '1.01', 'abc', 'NaN', 'inf', '0x1']) {
    assert.throws(() => readReferenceText(`id,score\n1,${bad}\n`, 'csv'), ReferenceFileError, `"${bad}"`);
  }
  for (const bad of ['"0.5"', '2', 'true', '[0.5]', '1e999']) {
    assert.throws(() => readReferenceText(`{"score":${bad}}`, 'ndjson'), ReferenceFileError, bad);
  }
});

interface ErrorCase {
  name: string;
  format: InputFormat;
  text: string;
  roles?: ColumnRoles;
  errors: Array<Partial<ReferenceRowError>>;
  count?: number;
}

const errorCases: ErrorCase[] = [
  {
    name: 'a score out of range, by row, line and column',
    format: 'csv',
    text: 'a,score\n1,0.5\n2,1.5\n',
    errors: [{ row: 2, line: 3, column: 'score', message: 'the score must be a number in [0, 1] or empty, got "1.5"' }],
  },
  {
    name: 'rows with too few and too many fields, and every error of the file',
    format: 'csv',
    text: 'a,b,score\n1,2\n1,2,0.1,4\n1,2,7\n',
    errors: [
      { row: 1, line: 2, column: 'score', message: 'expected 3 fields as in the header, found 2 (no value for "score")' },
      { row: 2, line: 3, message: 'expected 3 fields as in the header, found 4' },
      { row: 3, line: 4, column: 'score' },
    ],
  },
  {
    name: 'an unterminated quote stops reading, after the rows before it',
    format: 'csv',
    text: 'a,score\n1,2\n"x,0.5\n',
    errors: [{ row: 1, column: 'score' }, { row: null, line: 3, column: 'a', message: 'unterminated quoted field' }],
  },
  { name: 'an empty file', format: 'csv', text: '', errors: [{ row: null, message: 'the file is empty: expected a header row' }] },
  { name: 'a header without rows', format: 'csv', text: 'a,b\n', errors: [{ row: null, message: 'the file has no data rows' }] },
  { name: 'an NDJSON file of blank lines', format: 'ndjson', text: '\n\n', errors: [{ message: 'the file has no data rows' }] },
  { name: 'a duplicate column name', format: 'csv', text: 'a,b,a\n1,2,3\n', errors: [{ line: 1, column: 'a', message: 'duplicate column name "a"' }] },
  { name: 'an empty column name', format: 'csv', text: 'a,,c\n1,2,3\n', errors: [{ line: 1, message: 'empty column name in the header' }] },
  { name: 'a column name over 256 characters', format: 'csv', text: `a,${'n'.repeat(257)}\n1,2\n`, errors: [{ line: 1, message: 'column names must be at most 256 characters long' }] },
  { name: 'a text value over 4096 characters', format: 'csv', text: `a\n${'x'.repeat(4097)}\n`, errors: [{ row: 1, column: 'a', message: 'text values must be at most 4096 characters long' }] },
  {
    name: 'a categorical column that is not in the file',
    format: 'csv',
    text: 'a\n1\n',
    roles: roles({ categorical: ['zip'] }),
    errors: [{ row: null, column: 'zip', message: 'is listed as categorical but is not a column of the file' }],
  },
  {
    name: 'NDJSON: broken JSON, a line that is not an object, nested values, non-finite numbers, long keys',
    format: 'ndjson',
    text: `{"a":1}\n{"a":\n[1,2]\n{"a":{"b":1}}\n{"a":1e999}\n{"${'k'.repeat(300)}":1}\n{"prediction":[1]}\n`,
    errors: [
      { row: 2, line: 2, column: null },
      { row: 3, line: 3, message: 'expected a JSON object per line (at character 1)' },
      { row: 4, line: 4, column: 'a', message: 'must be a number, string, boolean or null (objects and arrays are not column values)' },
      { row: 5, line: 5, column: 'a', message: 'numbers must be finite' },
      { row: 6, line: 6, column: 'k'.repeat(64), message: 'column names must be 1 to 256 characters long' },
      { row: 7, line: 7, column: 'prediction' },
    ],
  },
  {
    name: 'only the first 20 errors are listed, all are counted',
    format: 'csv',
    text: `score\n${Array.from({ length: 25 }, () => '2').join('\n')}\n`,
    errors: Array.from({ length: MAX_REPORTED_ERRORS }, (_, i) => ({ row: i + 1, column: 'score' })),
    count: 25,
  },
  {
    name: `more than ${MAX_FEATURES} feature columns`,
    format: 'ndjson',
    text: JSON.stringify(Object.fromEntries(Array.from({ length: MAX_FEATURES + 1 }, (_, i) => [`f${i}`, i]))),
    errors: [{ row: null, message: `the file has more than ${MAX_FEATURES} feature columns` }],
  },
];

for (const c of errorCases) {
  test(`errors: ${c.name}`, () => {
    assert.throws(() => readReferenceText(c.text, c.format, c.roles ?? roles()), (error: unknown) => {
      assert.ok(error instanceof ReferenceFileError);
      assert.equal(error.errorCount, c.count ?? c.errors.length);
      assert.equal(error.errors.length, c.errors.length);
      c.errors.forEach((expected, index) => {
        const actual = error.errors[index]!;
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(actual[key as keyof ReferenceRowError], value, `error ${index} ${key}: ${describeRowError(actual)}`);
      });
      return true;
    });
  });
}

test('errors read as sentences', () => {
  assert.equal(describeRowError({ row: 2, line: 3, column: 'score', message: 'bad' }), 'row 2 (line 3), column "score": bad');
  assert.equal(describeRowError({ row: null, line: 1, column: null, message: 'bad' }), 'line 1: bad');
  assert.equal(describeRowError({ row: null, line: null, column: 'zip', message: 'bad' }), 'column "zip": bad');
  assert.equal(describeRowError({ row: null, line: null, column: null, message: 'bad' }), 'bad');
});

test('column roles: defaults, options, and contradictions', () => {
  const defaults = columnRoles({});
  assert.deepEqual([defaults.prediction, defaults.score, defaults.label, [...defaults.categorical]], ['prediction', 'score', 'label', []]);
  assert.deepEqual(parseColumnList('a,,b,'), ['a', 'b']);
  assert.deepEqual(parseColumnList(undefined), []);
  assert.throws(() => columnRoles({ prediction: 'y', label: 'y' }), ColumnRolesError);
  assert.throws(() => columnRoles({ categorical: ['score'] }), /cannot be categorical/);
  assert.throws(() => columnRoles({ score: '' }), ColumnRolesError);
});

test('a row in RowBinary: dataset, upload, then row_number as a little-endian UInt64', () => {
  const [row] = readReferenceText('x\n1\n', 'csv').rows;
  const writer = new ByteWriter(64);
  const encoder = referenceRowEncoder('ds', 'up');
  encoder.encode(writer, { ...row!, row_number: 2 ** 32 + 5 });
  const bytes = writer.bytes();
  assert.deepEqual([...bytes.subarray(0, 6)], [2, 0x64, 0x73, 2, 0x75, 0x70]);
  assert.deepEqual([...bytes.subarray(6, 14)], [5, 0, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(encoder.columns.slice(0, 4), ['dataset_name', 'upload_id', 'row_number', 'prediction_kind']);
  assert.equal(bytes[14], 0, "prediction_kind 'none' is 0");
});

/**
 * `driftwatch drift` through runDriftCommand with temporary files: exit codes,
 * the exact JSON shape, malformed input located by file, line and column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runDriftCommand } from '../../analyzer/offline/drift-command.js';
import { Mulberry32 } from './stats-fixture-rng.js';

const directory = mkdtempSync(join(tmpdir(), 'driftwatch-drift-test-'));
test.after(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

async function run(argv: string[], workers?: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runDriftCommand(argv, { stdout: stdout.stream, stderr: stderr.stream }, { workers });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** rows of (score, amount, plan, active); `shift` moves score and amount, `newPlan` adds a category. */
function csv(seed: number, rows: number, shift = 0, newPlan = false): string {
  const rng = new Mulberry32(seed);
  const lines = ['score,amount,plan,active'];
  for (let i = 0; i < rows; i++) {
    const plans = newPlan ? ['free', 'pro', 'team', 'enterprise'] : ['free', 'pro', 'team'];
    lines.push([
      rng.normal(50 + 10 * shift, 10).toFixed(3),
      rng.normal(100 + 20 * shift, 20).toFixed(2),
      plans[rng.integer(plans.length)],
      rng.integer(2) ? 'true' : 'false',
    ].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const JSON_COLUMN_KEYS = [
  'name', 'kind', 'reference_count', 'current_count', 'missing_share', 'ks_statistic', 'ks_p_value', 'psi',
  'jensen_shannon', 'wasserstein', 'wasserstein_normed', 'chi2_p_value', 'unseen_share', 'drifted',
];

test('no drift: exit 0 and the exact JSON shape', async () => {
  const reference = file('ref.csv', csv(1, 2000));
  const current = file('cur.csv', csv(2, 1500));
  const { code, stdout, stderr } = await run(['--reference', reference, '--current', current, '--format', 'json']);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(report), ['columns', 'drift_share', 'dataset_drifted']);
  const columns = report.columns as Array<Record<string, unknown>>;
  assert.deepEqual(columns.map((c) => c.name), ['score', 'amount', 'plan', 'active']);
  for (const column of columns) assert.deepEqual(Object.keys(column), JSON_COLUMN_KEYS);
  const [score, , plan] = columns;
  assert.equal(score!.kind, 'numeric');
  assert.equal(score!.reference_count, 2000);
  assert.equal(score!.current_count, 1500);
  assert.equal(score!.chi2_p_value, null);
  assert.equal(score!.unseen_share, null);
  assert.equal(typeof score!.ks_p_value, 'number');
  assert.equal(plan!.kind, 'categorical');
  assert.equal(plan!.ks_statistic, null);
  assert.equal(plan!.wasserstein, null);
  assert.equal(plan!.unseen_share, 0);
  assert.equal(report.dataset_drifted, false);
  assert.equal(report.drift_share, 0);
});

test('drift: exit 1, table by default with a verdict', async () => {
  const reference = file('ref2.csv', csv(3, 3000));
  const current = file('cur2.csv', csv(4, 3000, 0.5, true));
  const { code, stdout } = await run(['--reference', reference, '--current', current]);
  assert.equal(code, 1);
  assert.match(stdout, /^column\s+kind/);
  assert.match(stdout, /DATASET DRIFT DETECTED/);
  const json = await run(['--reference', reference, '--current', current, '--format=json']);
  const report = JSON.parse(json.stdout) as { columns: Array<{ name: string; drifted: boolean; unseen_share: number | null }>; drift_share: number };
  assert.deepEqual(report.columns.filter((c) => c.drifted).map((c) => c.name), ['score', 'amount', 'plan']);
  assert.equal(report.drift_share, 0.75);
  assert.ok(report.columns[2]!.unseen_share! > 0.15);
});

test('NDJSON gives the same report as the same data in CSV', async () => {
  const text = csv(5, 800);
  const [header, ...rows] = text.trim().split('\n');
  const names = header!.split(',');
  const ndjson = rows
    .map((row) => {
      const cells = row.split(',');
      return JSON.stringify({ score: Number(cells[0]), amount: Number(cells[1]), plan: cells[2], active: cells[3] === 'true' });
    })
    .join('\n');
  assert.equal(names.length, 4);
  const reference = file('ref3.csv', text);
  const currentCsv = file('cur3.csv', csv(6, 700, 0.2));
  const currentNdjson = file('cur3.ndjson', csv(6, 700, 0.2).trim().split('\n').slice(1).map((row) => {
    const cells = row.split(',');
    return JSON.stringify({ score: Number(cells[0]), amount: Number(cells[1]), plan: cells[2], active: cells[3] === 'true' });
  }).join('\n'));
  const referenceNdjson = file('ref3.jsonl', ndjson);
  const fromCsv = await run(['--reference', reference, '--current', currentCsv, '--format', 'json']);
  const fromNdjson = await run(['--reference', referenceNdjson, '--current', currentNdjson, '--format', 'json']);
  assert.equal(fromNdjson.stderr, '');
  assert.equal(fromNdjson.stdout, fromCsv.stdout);
});

test('missing values, NaN/Infinity, an all-missing column and forced categorical', async () => {
  const reference = file('ref4.csv', 'x,y,zip,empty\n1.5,a,02134,\n2.5,b,02134,\nNaN,a,10001,\n3.5,,10001,null\n4.5,b,02134,\n');
  const current = file('cur4.csv', 'x,y,zip,empty\n2.0,a,2134,\nInfinity,c,02134,\n,a,10001,\n3.0,b,02134,\n');
  const { code, stdout, stderr } = await run(['--reference', reference, '--current', current, '--format', 'json', '--categorical', 'zip']);
  assert.equal(stderr, '');
  assert.equal(code, 0, 'tiny samples never reach significance');
  const columns = (JSON.parse(stdout) as { columns: Array<Record<string, unknown>> }).columns;
  const [x, y, zip, empty] = columns;
  assert.equal(x!.kind, 'numeric', 'NaN/Infinity do not make a column categorical');
  assert.equal(x!.reference_count, 4);
  assert.equal(x!.current_count, 2);
  assert.equal(x!.missing_share, 0.25);
  assert.equal(y!.kind, 'categorical');
  assert.equal(y!.unseen_share, 1 / 4, 'c is one of 4 current values');
  assert.equal(zip!.kind, 'categorical');
  assert.equal(zip!.unseen_share, 0.25, '"2134" is not "02134" in a forced categorical column');
  assert.equal(empty!.reference_count, 0);
  assert.equal(empty!.ks_p_value, null);
  assert.equal(empty!.psi, null);
  assert.equal(empty!.missing_share, 1);
  assert.equal(empty!.drifted, false);
  const table = await run(['--reference', reference, '--current', current, '--categorical', 'zip']);
  assert.match(table.stdout, /empty: reference has no valid values/);
});

test('NDJSON with a byte-order mark, CRLF, blank lines and absent keys', async () => {
  const reference = file('bom.ndjson', '\uFEFF{"a": 1, "b": "x"}\r\n\r\n{"a": 2}\r\n{"a": null, "b": "y", "c": {"nested": 1}}\n');
  const current = file('bom2.ndjson', '{"a": 1.5, "b": "x"}\n');
  const { code, stdout, stderr } = await run(['--reference', reference, '--current', current, '--format', 'json']);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const [a, b, c] = (JSON.parse(stdout) as { columns: Array<Record<string, unknown>> }).columns;
  assert.equal(a!.reference_count, 2);
  assert.equal(b!.kind, 'categorical');
  assert.equal(b!.reference_count, 2, 'the row without "b" counts as missing');
  assert.equal(c!.reference_count, 0, 'an object is a type error, not a value');
});

test('a late text value turns the column categorical in both files', async () => {
  const reference = file('ref5.csv', 'v\n1\n2\n1.0\n3\n');
  const current = file('cur5.csv', 'v\n1\n2\nthree\n');
  const { stdout } = await run(['--reference', reference, '--current', current, '--format', 'json']);
  const [v] = (JSON.parse(stdout) as { columns: Array<Record<string, unknown>> }).columns;
  assert.equal(v!.kind, 'categorical');
  assert.equal(v!.unseen_share, 1 / 3, '"1" and "1.0" are one category; "three" is unseen');
});

const badInputs: Array<{ name: string; reference: string; message: RegExp }> = [
  { name: 'short row', reference: 'a,b,c\n1,2,3\n4,5\n', message: /bad1\.csv:3:3: expected 3 fields as in the header, found 2 \(no value for "c"\)/ },
  { name: 'long row', reference: 'a,b\n1,2\n3,4,5\n', message: /bad2\.csv:3:3: expected 2 fields/ },
  { name: 'stray quote', reference: 'a,b\n1,2\n3,4"\n', message: /bad3\.csv:3:2: quote inside an unquoted field/ },
  { name: 'unterminated quote', reference: 'a,b\n"1,2\n3,4\n', message: /bad4\.csv:2:1: unterminated quoted field/ },
  { name: 'duplicate header', reference: 'a,a\n1,2\n', message: /bad5\.csv:1:2: duplicate column name "a"/ },
  { name: 'empty file', reference: '', message: /bad6\.csv:1:1: file is empty/ },
  { name: 'invalid NDJSON', reference: '{"a": 1}\n{"a": 2,}\n', message: /bad7\.ndjson:2:9: invalid JSON/ },
  { name: 'NDJSON array line', reference: '{"a": 1}\n[1, 2]\n', message: /bad8\.ndjson:2:1: expected a JSON object/ },
];

badInputs.forEach((bad, index) => {
  test(`bad input exits 2 naming file, line and column: ${bad.name}`, async () => {
    const extension = bad.name.includes('NDJSON') ? 'ndjson' : 'csv';
    const reference = file(`bad${index + 1}.${extension}`, bad.reference);
    const current = file(`good${index + 1}.csv`, 'a,b\n1,2\n');
    const { code, stdout, stderr } = await run(['--reference', reference, '--current', current]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, bad.message);
  });
});

test('usage errors and missing files exit 2; --help exits 0', async () => {
  const good = file('ok.csv', 'a\n1\n');
  assert.equal((await run(['--reference', good])).code, 2);
  assert.equal((await run(['--reference', good, '--current', good, '--format', 'xml'])).code, 2);
  assert.equal((await run(['--reference', good, '--current', good, '--bogus'])).code, 2);
  assert.equal((await run(['--reference', good, '--current', good, '--alpha', '2'])).code, 2);
  const missing = await run(['--reference', join(directory, 'nope.csv'), '--current', good]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.csv: file not found/);
  const unknownColumn = await run(['--reference', good, '--current', good, '--categorical', 'zzz']);
  assert.equal(unknownColumn.code, 2);
  assert.match(unknownColumn.stderr, /zzz/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: driftwatch drift/);
});

test('thresholds are configurable from the command line', async () => {
  const reference = file('ref6.csv', csv(7, 3000));
  const current = file('cur6.csv', csv(8, 3000, 0.5, true));
  const strict = await run(['--reference', reference, '--current', current, '--format', 'json', '--psi-floor', '5', '--wasserstein-floor', '5']);
  assert.equal(strict.code, 0, 'no column passes absurd effect floors');
  const share = await run(['--reference', reference, '--current', current, '--format', 'json', '--dataset-share', '0.9']);
  assert.equal(share.code, 0, '3 of 4 columns is below a 90% dataset threshold');
});

test('worker threads give the same report and the same errors as in-process', async () => {
  const reference = file('ref7.csv', csv(9, 4000));
  const current = file('cur7.csv', csv(10, 3000, 0.3, true));
  const argv = ['--reference', reference, '--current', current, '--format', 'json'];
  const inProcess = await run(argv, 0);
  const threaded = await run(argv, 2);
  assert.equal(threaded.code, inProcess.code);
  assert.equal(threaded.stdout, inProcess.stdout);
  const bad = file('bad-threaded.csv', 'a,b\n1,2\n3\n');
  const failed = await run(['--reference', bad, '--current', current], 2);
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /bad-threaded\.csv:3:2: expected 2 fields/);
});

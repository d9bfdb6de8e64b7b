// Reference datasets against the real ClickHouse: upload (several INSERT chunks), list,
// re-upload replaces, delete, all-or-nothing on a bad file, the HTTP routes (through the
// server's own error handling and auth) and the CLI.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ReferenceFileError, columnRoles, readReferenceText, type ReferenceRow } from '../../analyzer/references/dataset-rows.js';
import {
  INSERT_CHUNK_ROWS, deleteReferenceDataset, getReferenceDataset, listReferenceDatasets, uploadReferenceDataset, uploadReferenceFile,
} from '../../analyzer/references/reference-store.js';
import { registerReferenceRoutes } from '../../api/routes/references.js';
import { ApiError, errorBody } from '../../api/errors.js';
import { buildApi } from '../../api/server.js';
import { runReferenceCommand } from '../../cli/reference-command.js';
import type { DriftwatchConfig } from '../../config/config.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { silentLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../storage/clickhouse.js';
import { migrate } from '../../storage/migrate.js';
import { fragment, sql } from '../../storage/sql.js';
import { dropTestDatabase, testConfig } from '../helpers/environment.js';
import { patternsNotKept } from '../helpers/feature-patterns.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'admin-token-0123456789ab';
const READ_TOKEN = 'read-token-0123456789abc';
let config: DriftwatchConfig;
let client: ClickHouseClient;
let directory: string;
let api: FastifyInstance;
/** The reference routes alone, with a 64 KiB upload limit and the server's handling of ApiError. */
let small: FastifyInstance;

before(async () => {
  config = testConfig('references', { DRIFTWATCH_API_TOKENS: `${ADMIN_TOKEN}:admin,${READ_TOKEN}:read` });
  await migrate(config.clickhouse);
  client = createClickHouse(config.clickhouse);
  directory = await mkdtemp(join(tmpdir(), 'driftwatch-reference-test-'));
  const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'reference-test' }, silentLogger);
  api = await buildApi({ config, clickhouse: client, kafka, metrics: new Metrics({ defaultMetrics: false }), log: silentLogger });
  // buildApi registers the reference routes itself (api/server.ts).
  await api.ready();
  small = Fastify();
  small.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(errorBody(error.code, error.message, error.details));
    return reply.code((error as { statusCode?: number }).statusCode ?? 500).send({ error: { code: 'OTHER', message: error instanceof Error ? error.message : String(error) } });
  });
  registerReferenceRoutes(small, { client, log: silentLogger, maxUploadBytes: 64 * 1024 });
  await small.ready();
});

after(async () => {
  await api?.close();
  await small?.close();
  await client?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
  if (config) await dropTestDatabase(config);
});

async function file(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

const rowCount = async (where: string): Promise<number> =>
  Number((await queryRows<{ n: string }>(client, `SELECT count() AS n FROM reference_rows WHERE ${where}`))[0]!.n);

/** A CSV of `rows` rows; `badRow` (1-based) gets a score out of range. */
function csv(rows: number, badRow = 0): string {
  const lines = ['age,plan,prediction,score,label'];
  for (let i = 1; i <= rows; i++) lines.push(`${i % 90},${i % 3 === 0 ? 'pro' : 'basic'},${i % 2 === 0 ? 'yes' : 'no'},${i === badRow ? '1.5' : ((i % 100) / 100).toString()},${i % 5 === 0 ? '' : 'yes'}`);
  return `${lines.join('\n')}\n`;
}

test('an upload larger than one INSERT chunk is stored row for row, then listed and read back', async () => {
  const rows = INSERT_CHUNK_ROWS * 2 + 17;
  const text = csv(rows);
  const path = await file('train.csv', text);
  const dataset = await uploadReferenceFile(client, { file: path, format: 'csv', datasetName: 'churn-train.v1', modelId: 'churn', roles: columnRoles({}) });
  assert.equal(dataset.row_count, rows);
  assert.deepEqual(dataset.columns, ['age', 'plan']);
  assert.deepEqual(dataset.roles, { prediction: 'prediction', score: 'score', label: 'label' });
  const { roles: _roles, ...catalogEntry } = dataset;
  assert.deepEqual(await getReferenceDataset(client, 'churn-train.v1'), catalogEntry);
  assert.equal(await rowCount(sql`upload_id = ${dataset.upload_id}`), rows);
  assert.equal(Number((await queryRows<{ n: string }>(client, sql`SELECT uniqExact(row_number) AS n FROM reference_rows WHERE upload_id = ${dataset.upload_id}`))[0]!.n), rows);
  // The rows' feature patterns are kept for the analyzer (migration 0007).
  assert.deepEqual(await patternsNotKept(client, 'reference_rows', fragment`upload_id = ${dataset.upload_id}`), []);

  // The stored rows are exactly the converted ones (a sample from each chunk).
  const expected = readReferenceText(text, 'csv').rows;
  const sample = [1, 2, 5, INSERT_CHUNK_ROWS, INSERT_CHUNK_ROWS + 1, rows];
  const stored = await queryRows<ReferenceRow & { row_number: string }>(client, sql`
    SELECT row_number, prediction_kind, prediction_num, prediction_str, score, num_feature_names, num_feature_values,
           cat_feature_names, cat_feature_values, null_feature_names, label_kind, label_num, label_str
    FROM reference_rows WHERE dataset_name = ${'churn-train.v1'} AND has(${sample}, row_number) ORDER BY row_number`);
  assert.deepEqual(stored.map((row) => ({ ...row, row_number: Number(row.row_number) })), sample.map((n) => expected[n - 1]));

  const listed = await listReferenceDatasets(client);
  assert.deepEqual(listed.map((d) => d.name), ['churn-train.v1']);
  assert.deepEqual(await listReferenceDatasets(client, 'other-model'), []);
});

test('a re-upload replaces the dataset; the old upload\'s rows are removed afterwards', async () => {
  const first = await uploadReferenceDataset(client, { datasetName: 'fraud-val', modelId: 'fraud', columns: ['x'], rows: readReferenceText('x\n1\n2\n3\n', 'csv').rows });
  const second = await uploadReferenceFile(client, { file: await file('v2.ndjson', '{"x":"a","prediction":true}\n{"x":"b"}\n'), format: 'ndjson', datasetName: 'fraud-val', modelId: 'fraud', roles: columnRoles({}) });
  assert.notEqual(first.upload_id, second.upload_id);
  const current = await getReferenceDataset(client, 'fraud-val');
  assert.equal(current?.upload_id, second.upload_id);
  assert.equal(current?.row_count, 2);
  assert.deepEqual((await listReferenceDatasets(client, 'fraud')).map((d) => [d.name, d.upload_id]), [['fraud-val', second.upload_id]]);
  await waitFor(async () => (await rowCount(sql`upload_id = ${first.upload_id}`)) === 0, { what: 'the replaced upload\'s rows to be deleted' });
  assert.equal(await rowCount(sql`upload_id = ${second.upload_id}`), 2);
});

test('delete hides the name at once and removes its rows; deleting again finds nothing; the name can be reused', async () => {
  const uploaded = await uploadReferenceDataset(client, { datasetName: 'to-delete', modelId: 'churn', columns: ['x'], rows: readReferenceText('x\n1\n', 'csv').rows });
  assert.equal(await deleteReferenceDataset(client, 'to-delete'), true);
  assert.equal(await getReferenceDataset(client, 'to-delete'), null);
  assert.ok(!(await listReferenceDatasets(client)).some((d) => d.name === 'to-delete'));
  await waitFor(async () => (await rowCount(sql`upload_id = ${uploaded.upload_id}`)) === 0, { what: 'the deleted dataset\'s rows to be removed' });
  assert.equal(await deleteReferenceDataset(client, 'to-delete'), false);
  assert.equal(await deleteReferenceDataset(client, 'never-existed'), false);

  const again = await uploadReferenceDataset(client, { datasetName: 'to-delete', modelId: 'churn', columns: ['x'], rows: readReferenceText('x\n5\n', 'csv').rows });
  assert.equal((await getReferenceDataset(client, 'to-delete'))?.upload_id, again.upload_id);
});

test('a file with one bad row, past the first INSERT chunk, stores nothing at all', async () => {
  const rows = INSERT_CHUNK_ROWS + 10;
  const path = await file('bad.csv', csv(rows, rows - 1));
  await assert.rejects(
    uploadReferenceFile(client, { file: path, format: 'csv', datasetName: 'bad-one', modelId: 'churn', roles: columnRoles({}) }),
    (error: unknown) => {
      assert.ok(error instanceof ReferenceFileError);
      assert.deepEqual(error.errors, [{ row: rows - 1, line: rows, column: 'score', message: 'the score must be a number in [0, 1] or empty, got "1.5"' }]);
      return true;
    },
  );
  assert.equal(await rowCount(sql`dataset_name = ${'bad-one'}`), 0);
  assert.equal(await getReferenceDataset(client, 'bad-one'), null);
  // A bad file under an existing name leaves the existing dataset as it was.
  const before = await getReferenceDataset(client, 'fraud-val');
  await assert.rejects(uploadReferenceFile(client, { file: await file('bad.ndjson', '{"x":1}\n{"x":[1]}\n'), format: 'ndjson', datasetName: 'fraud-val', modelId: 'fraud', roles: columnRoles({}) }), ReferenceFileError);
  assert.deepEqual(await getReferenceDataset(client, 'fraud-val'), before);
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

test('HTTP: upload CSV and NDJSON, list, get, delete', async () => {
  const put = await api.inject({
    method: 'PUT',
    url: '/v1/references/http-train?model_id=churn&prediction_column=pred&categorical=zip',
    headers: { ...auth(ADMIN_TOKEN), 'content-type': 'text/csv; charset=utf-8' },
    payload: 'zip,tenure,pred\n007,3,yes\n010,,no\n',
  });
  assert.equal(put.statusCode, 201, put.body);
  const created = put.json() as { name: string; model_id: string; upload_id: string; row_count: number; columns: string[]; roles: Record<string, string | null> };
  assert.deepEqual([created.name, created.model_id, created.row_count, created.columns], ['http-train', 'churn', 2, ['zip', 'tenure']]);
  assert.deepEqual(created.roles, { prediction: 'pred', score: null, label: null });
  const stored = await queryRows<{ cat_feature_values: string[]; prediction_str: string }>(client, sql`SELECT cat_feature_values, prediction_str FROM reference_rows WHERE upload_id = ${created.upload_id} ORDER BY row_number`);
  assert.deepEqual(stored, [{ cat_feature_values: ['007'], prediction_str: 'yes' }, { cat_feature_values: ['010'], prediction_str: 'no' }]);

  const ndjson = await api.inject({
    method: 'PUT', url: '/v1/references/http-val?model_id=fraud',
    headers: { ...auth(ADMIN_TOKEN), 'content-type': 'application/x-ndjson' },
    payload: '{"amount":12.5,"prediction":true,"score":0.9,"label":false}\n',
  });
  assert.equal(ndjson.statusCode, 201, ndjson.body);

  const list = await api.inject({ method: 'GET', url: '/v1/references?model_id=churn', headers: auth(READ_TOKEN) });
  assert.equal(list.statusCode, 200);
  assert.deepEqual((list.json() as { references: Array<{ name: string }> }).references.map((d) => d.name), ['churn-train.v1', 'http-train', 'to-delete']);
  const one = await api.inject({ method: 'GET', url: '/v1/references/http-val', headers: auth(READ_TOKEN) });
  assert.equal(one.statusCode, 200);
  assert.equal((one.json() as { model_id: string }).model_id, 'fraud');

  const deleted = await api.inject({ method: 'DELETE', url: '/v1/references/http-val', headers: auth(ADMIN_TOKEN) });
  assert.equal(deleted.statusCode, 204);
  const gone = await api.inject({ method: 'GET', url: '/v1/references/http-val', headers: auth(READ_TOKEN) });
  assert.equal(gone.statusCode, 404);
  assert.equal((gone.json() as { error: { code: string } }).error.code, 'DW_REFERENCE_NOT_FOUND');
  assert.equal((await api.inject({ method: 'DELETE', url: '/v1/references/http-val', headers: auth(ADMIN_TOKEN) })).statusCode, 404);
});

test('HTTP: a bad file is refused with every error by row and column, and nothing is stored', async () => {
  const response = await api.inject({
    method: 'PUT', url: '/v1/references/http-bad?model_id=churn',
    headers: { ...auth(ADMIN_TOKEN), 'content-type': 'text/csv' },
    payload: 'a,score\n1,0.5\n2,7\n3\n',
  });
  assert.equal(response.statusCode, 400);
  const body = response.json() as { error: { code: string; message: string; details: { error_count: number; errors: Array<{ row: number; column: string; text: string }> } } };
  assert.equal(body.error.code, 'DW_INVALID_REFERENCE_FILE');
  assert.equal(body.error.details.error_count, 2);
  assert.deepEqual(body.error.details.errors.map((e) => [e.row, e.column]), [[2, 'score'], [3, 'score']]);
  assert.match(body.error.details.errors[0]!.text, /^row 2 \(line 3\), column "score": the score must be a number in \[0, 1\] or empty/);
  assert.equal(await rowCount(sql`dataset_name = ${'http-bad'}`), 0);
  assert.equal((await api.inject({ method: 'GET', url: '/v1/references/http-bad', headers: auth(READ_TOKEN) })).statusCode, 404);
});

test('HTTP: scopes, names, media types, column roles and the size limit', async () => {
  const upload = (url: string, headers: Record<string, string>, payload = 'a\n1\n') => api.inject({ method: 'PUT', url, headers, payload });
  const csvHeaders = (token: string) => ({ ...auth(token), 'content-type': 'text/csv' });

  assert.equal((await upload('/v1/references/x?model_id=m', csvHeaders(READ_TOKEN))).statusCode, 403);
  assert.equal((await upload('/v1/references/x?model_id=m', { 'content-type': 'text/csv' })).statusCode, 401);
  assert.equal((await api.inject({ method: 'DELETE', url: '/v1/references/churn-train.v1', headers: auth(READ_TOKEN) })).statusCode, 403);

  const badName = await upload('/v1/references/bad%20name?model_id=m', csvHeaders(ADMIN_TOKEN));
  assert.equal(badName.statusCode, 400);
  // Over 128 characters: 400, or 414 while the server keeps fastify's maxParamLength of 100.
  const longName = await upload(`/v1/references/${'n'.repeat(129)}?model_id=m`, csvHeaders(ADMIN_TOKEN));
  assert.ok([400, 414].includes(longName.statusCode), String(longName.statusCode));
  assert.equal((await upload('/v1/references/x', csvHeaders(ADMIN_TOKEN))).statusCode, 400, 'model_id is required');
  assert.equal((await upload('/v1/references/x?model_id=-bad', csvHeaders(ADMIN_TOKEN))).statusCode, 400);

  const roles = await upload('/v1/references/x?model_id=m&prediction_column=a&label_column=a', csvHeaders(ADMIN_TOKEN));
  assert.equal(roles.statusCode, 400);
  assert.match((roles.json() as { error: { message: string } }).error.message, /three different columns/);

  const json = await upload('/v1/references/x?model_id=m', { ...auth(ADMIN_TOKEN), 'content-type': 'application/json' }, '{"a":1}');
  assert.equal(json.statusCode, 415);
  assert.deepEqual(json.json(), { error: { code: 'DW_UNSUPPORTED_MEDIA_TYPE', message: 'send the reference file as text/csv (with a header row) or application/x-ndjson' } });

  const big = `a\n${'1\n'.repeat(40 * 1024)}`; // 80 KiB, over the 64 KiB limit of `small`
  const tooLarge = await small.inject({ method: 'PUT', url: '/v1/references/x?model_id=m', headers: { 'content-type': 'text/csv' }, payload: big });
  assert.equal(tooLarge.statusCode, 413);
  assert.equal((tooLarge.json() as { error: { code: string } }).error.code, 'DW_PAYLOAD_TOO_LARGE');
  // Without a Content-Length (chunked), the limit is enforced while streaming.
  const chunked = await small.inject({
    method: 'PUT', url: '/v1/references/x?model_id=m', headers: { 'content-type': 'text/csv' },
    payload: Readable.from((function* () { for (let i = 0; i < 40; i++) yield Buffer.from('1\n'.repeat(1024)); })()),
  });
  assert.equal(chunked.statusCode, 413);
  assert.equal(await getReferenceDataset(client, 'x'), null);

  const openapi = (await api.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(openapi.paths['/v1/references/{name}'] ?? {}).sort(), ['delete', 'get', 'put']);
  assert.ok(openapi.paths['/v1/references']?.get);

  // The ingest routes still parse NDJSON as before: the stream parser is private to these routes.
  const ingest = await api.inject({ method: 'POST', url: '/v1/ingest/labels', headers: { ...auth(ADMIN_TOKEN), 'content-type': 'application/x-ndjson' }, payload: '{"bad":1}\n' });
  assert.equal(ingest.statusCode, 400);
  assert.equal((ingest.json() as { error: { code: string } }).error.code, 'DW_ALL_REJECTED');
});

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } }), text: () => chunks.join('') };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runReferenceCommand(args, config, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

test('CLI: upload, list, delete, and a bad file', async () => {
  const path = await file('cli-data', 'zip,y_hat\n007,1\n');
  const uploaded = await cli(['upload', '--model', 'cli-model', '--name=cli-ref', '--prediction-column', 'y_hat', '--categorical', 'zip', path]);
  assert.equal(uploaded.code, 0, uploaded.stderr);
  assert.match(uploaded.stdout, /uploaded reference dataset "cli-ref" for model cli-model: 1 rows, 1 feature columns .*\n {2}features: zip\n {2}prediction: y_hat, score: none, label: none\n$/);

  const listed = await cli(['list', '--model', 'cli-model']);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, /^NAME\s+MODEL\s+ROWS\s+FEATURES\s+UPLOADED\ncli-ref\s+cli-model\s+1\s+1\s+/);
  const json = await cli(['list', '--model', 'cli-model', '--json']);
  assert.deepEqual((JSON.parse(json.stdout) as { references: Array<{ name: string }> }).references.map((d) => d.name), ['cli-ref']);

  const bad = await cli(['upload', '--model', 'cli-model', '--name', 'cli-bad', await file('cli-bad.ndjson', '{"score":2}\n')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /1 error, nothing was stored\n {2}row 1 \(line 1\), column "score": the score must be a number in \[0, 1\] or null, got 2\n/);

  assert.equal((await cli(['upload', '--name', 'x', path])).code, 2, '--model is required');
  assert.equal((await cli(['upload', '--model', 'm', '--name', 'bad name', path])).code, 2);
  assert.equal((await cli(['upload', '--model', 'm', '--name', 'x', join(directory, 'missing.csv')])).code, 2);
  assert.equal((await cli(['frobnicate'])).code, 2);

  const deleted = await cli(['delete', '--name', 'cli-ref']);
  assert.equal(deleted.code, 0);
  assert.equal((await cli(['delete', '--name', 'cli-ref'])).code, 1);
  assert.equal((await cli(['list', '--model', 'cli-model'])).stdout, 'no reference datasets\n');
});

// Reference (baseline) datasets over HTTP. An upload's body is streamed to a temporary file
// while it arrives (never held in memory: the API runs with a small heap), then read twice
// by uploadReferenceFile: once to check every row, once to write them.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  ColumnRolesError, ReferenceFileError, columnRoles, describeRowError, parseColumnList, type InputFormat,
} from '../../analyzer/references/dataset-rows.js';
import {
  ReferenceRequestError, deleteReferenceDataset, getReferenceDataset, listReferenceDatasets, uploadReferenceFile,
} from '../../analyzer/references/reference-store.js';
import type { Logger } from '../../observability/logger.js';
import { ModelId } from '../../schemas/events.js';
import { isTransientStorageError, type ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError, errorBody } from '../errors.js';

/** Largest accepted reference file; a route's bodyLimit (fastify does not enforce it on a streamed body, we do). */
export const REFERENCE_UPLOAD_LIMIT_BYTES = 512 * 1024 * 1024;

const CONTENT_TYPES: Record<string, InputFormat> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

const DatasetName = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'Dataset name: 1-128 characters of A-Z a-z 0-9 . _ : -' });
const ColumnName = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 256, description }));

const ReferenceDataset = Type.Object({
  name: Type.String(),
  model_id: Type.String(),
  upload_id: Type.String(),
  row_count: Type.Integer(),
  columns: Type.Array(Type.String(), { description: 'Feature columns (every column but prediction, score and label)' }),
  uploaded_at: Type.String({ format: 'date-time' }),
});

const UploadedReference = Type.Object({
  ...ReferenceDataset.properties,
  roles: Type.Object({
    prediction: Type.Union([Type.String(), Type.Null()]),
    score: Type.Union([Type.String(), Type.Null()]),
    label: Type.Union([Type.String(), Type.Null()]),
  }, { description: 'The role columns found in the file (null: absent)' }),
});

const UploadQuery = Type.Object({
  model_id: ModelId,
  prediction_column: ColumnName('Column holding the prediction (default "prediction"; may be absent)'),
  score_column: ColumnName('Column holding the score, a number in [0, 1] or empty (default "score"; may be absent)'),
  label_column: ColumnName('Column holding the label (default "label"; may be absent)'),
  categorical: Type.Optional(Type.String({ maxLength: 65_536, description: 'Comma-separated columns read as categories whatever they look like (e.g. zip codes)' })),
});

export interface ReferenceRouteDeps {
  client: ClickHouseClient;
  log: Logger;
  /** Default REFERENCE_UPLOAD_LIMIT_BYTES. */
  maxUploadBytes?: number;
}

function tooLarge(limit: number): ApiError {
  return new ApiError('DW_PAYLOAD_TOO_LARGE', `the reference file exceeds ${limit} bytes; upload a sample of it`);
}

/**
 * Copies the body to `file`, refusing it past `limit` bytes. On refusal the body is paused,
 * not destroyed: destroying it would close the socket before the 413 answer is sent.
 */
async function spoolBody(body: Readable, file: string, limit: number): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let ended = false;
      const stop = (error?: unknown): void => {
        body.off('data', onData).off('end', onEnd).off('error', stop).off('close', onClose);
        out.off('error', stop);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onData = (chunk: Buffer): void => {
        bytes += chunk.length;
        if (bytes > limit) return stop(tooLarge(limit));
        if (!out.write(chunk)) {
          body.pause();
          out.once('drain', () => body.resume());
        }
      };
      const onEnd = (): void => {
        ended = true;
        stop();
      };
      const onClose = (): void => {
        if (!ended) stop(new ApiError('DW_BAD_REQUEST', 'the upload was interrupted'));
      };
      body.on('data', onData).once('end', onEnd).once('error', stop).once('close', onClose);
      out.once('error', stop);
    });
    out.end();
    await finished(out);
    return bytes;
  } catch (error) {
    body.pause();
    out.destroy();
    throw error;
  }
}

function storageFailure(error: unknown, log: Logger, what: string): unknown {
  if (!isTransientStorageError(error)) return error;
  log.warn(`reference datasets: ClickHouse unavailable while ${what}`, { error: (error as Error).message });
  return new ApiError('DW_UNAVAILABLE', 'ClickHouse is unavailable; nothing was changed, retry later');
}

export function registerReferenceRoutes(app: FastifyInstance, deps: ReferenceRouteDeps): void {
  const uploadLimit = deps.maxUploadBytes ?? REFERENCE_UPLOAD_LIMIT_BYTES;

  // A plugin of its own, so that only these routes read bodies as streams and refuse other types.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(Object.keys(CONTENT_TYPES), (_request, payload, done) => done(null, payload));
    scope.setErrorHandler((error, _request, reply) => {
      if (!(error instanceof ApiError) && (error as { statusCode?: number }).statusCode === 415) {
        return reply.code(415).send(errorBody('DW_UNSUPPORTED_MEDIA_TYPE', 'send the reference file as text/csv (with a header row) or application/x-ndjson'));
      }
      throw error; // the server's error handler answers everything else
    });

    scope.put('/v1/references/:name', {
      config: { scope: 'admin' },
      bodyLimit: uploadLimit,
      schema: {
        tags: ['references'],
        summary: 'Upload (or replace) a named reference dataset: CSV with a header row, or NDJSON',
        description: 'Every column but the prediction, score and label columns is a feature. The whole file is checked first: '
          + 'if any row is invalid nothing is stored and the answer lists up to 20 errors by row and column. '
          + 'A re-upload under the same name replaces the dataset once it is completely stored.',
        params: Type.Object({ name: DatasetName }),
        querystring: UploadQuery,
        response: { 201: UploadedReference, 400: Type.Any() },
      },
    }, async (request, reply) => {
      const { name } = request.params as { name: string };
      const query = request.query as { model_id: string; prediction_column?: string; score_column?: string; label_column?: string; categorical?: string };
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const format = CONTENT_TYPES[mediaType];
      if (format === undefined || request.body === undefined) throw new ApiError('DW_UNSUPPORTED_MEDIA_TYPE', 'send the reference file as the body, as text/csv or application/x-ndjson');
      let roles;
      try {
        roles = columnRoles({ prediction: query.prediction_column, score: query.score_column, label: query.label_column, categorical: parseColumnList(query.categorical) });
      } catch (error) {
        if (error instanceof ColumnRolesError) throw new ApiError('DW_BAD_REQUEST', error.message);
        throw error;
      }
      const limit = request.routeOptions.bodyLimit ?? uploadLimit;
      if (Number(request.headers['content-length']) > limit) {
        reply.header('connection', 'close');
        throw tooLarge(limit);
      }
      const directory = await mkdtemp(join(tmpdir(), 'driftwatch-reference-'));
      try {
        const file = join(directory, `upload.${format}`);
        try {
          await spoolBody(request.body as Readable, file, limit);
        } catch (error) {
          reply.header('connection', 'close'); // the rest of the body is not read
          throw error;
        }
        const dataset = await uploadReferenceFile(deps.client, {
          file, format, datasetName: name, modelId: query.model_id, roles,
          onCleanupError: (error) => deps.log.warn('could not remove the rows of a replaced reference upload', { dataset: name, error: (error as Error).message }),
        });
        deps.log.info('reference dataset uploaded', { dataset: name, model_id: dataset.model_id, upload_id: dataset.upload_id, rows: dataset.row_count });
        return reply.code(201).send(dataset);
      } catch (error) {
        if (error instanceof ReferenceFileError) {
          throw new ApiError('DW_INVALID_REFERENCE_FILE', error.message, {
            error_count: error.errorCount,
            errors: error.errors.map((rowError) => ({ ...rowError, text: describeRowError(rowError) })),
          });
        }
        if (error instanceof ReferenceRequestError) throw new ApiError('DW_BAD_REQUEST', error.message);
        throw storageFailure(error, deps.log, 'uploading');
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });

    scope.get('/v1/references', {
      config: { scope: 'read' },
      schema: {
        tags: ['references'],
        summary: 'Every reference dataset (the newest upload of each name), optionally of one model',
        querystring: Type.Object({ model_id: Type.Optional(ModelId) }),
        response: { 200: Type.Object({ references: Type.Array(ReferenceDataset) }) },
      },
    }, async (request) => {
      const { model_id: modelId } = request.query as { model_id?: string };
      try {
        return { references: await listReferenceDatasets(deps.client, modelId) };
      } catch (error) {
        throw storageFailure(error, deps.log, 'listing');
      }
    });

    scope.get('/v1/references/:name', {
      config: { scope: 'read' },
      schema: {
        tags: ['references'],
        summary: 'One reference dataset: its newest upload',
        params: Type.Object({ name: DatasetName }),
        response: { 200: ReferenceDataset },
      },
    }, async (request) => {
      const { name } = request.params as { name: string };
      let dataset;
      try {
        dataset = await getReferenceDataset(deps.client, name);
      } catch (error) {
        throw storageFailure(error, deps.log, 'reading');
      }
      if (dataset === null) throw new ApiError('DW_REFERENCE_NOT_FOUND', `no reference dataset named "${name}"`);
      return dataset;
    });

    scope.delete('/v1/references/:name', {
      config: { scope: 'admin' },
      schema: {
        tags: ['references'],
        summary: 'Delete a reference dataset (hidden at once; its rows are removed in the background)',
        params: Type.Object({ name: DatasetName }),
      },
    }, async (request, reply) => {
      const { name } = request.params as { name: string };
      let deleted;
      try {
        deleted = await deleteReferenceDataset(deps.client, name);
      } catch (error) {
        throw storageFailure(error, deps.log, 'deleting');
      }
      if (!deleted) throw new ApiError('DW_REFERENCE_NOT_FOUND', `no reference dataset named "${name}"`);
      deps.log.info('reference dataset deleted', { dataset: name });
      return reply.code(204).send();
    });
  });
}

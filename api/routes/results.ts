// Analyzer results per model, shaped for the UI and for alerting: window summaries plus a
// time series per column (drift) or metric (performance).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { driftSeries, performanceSeries, windowSummaries, type ResultFilter } from '../../analyzer/service/result-queries.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { ApiError } from '../errors.js';
import { parseTimeParameter } from './query-parameters.js';

const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 256 }) });

const commonQuery = {
  monitor: Type.Optional(Type.String({ description: 'Only this monitor' })),
  version: Type.Optional(Type.String({ description: 'Only monitors of this model version' })),
  segment: Type.Optional(Type.String({ description: '"name" for every value of a segment, "name=value" for one; omitted: the whole traffic' })),
  from: Type.Optional(Type.String({ description: 'Windows starting at or after (RFC 3339 or epoch ms)' })),
  to: Type.Optional(Type.String({ description: 'Windows starting before (RFC 3339 or epoch ms)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 168, description: 'Newest windows per series' })),
};

interface CommonQuery {
  monitor?: string;
  version?: string;
  segment?: string;
  from?: string;
  to?: string;
  limit?: number;
}

function filterOf(model: string, query: CommonQuery, column: string | undefined): ResultFilter {
  const filter: ResultFilter = { modelId: model, limit: query.limit ?? 168 };
  if (query.monitor !== undefined) filter.monitorId = query.monitor;
  if (query.version !== undefined) filter.modelVersion = query.version;
  if (query.segment !== undefined) {
    const separator = query.segment.indexOf('=');
    filter.segment = separator < 0 ? { name: query.segment } : { name: query.segment.slice(0, separator), value: query.segment.slice(separator + 1) };
    if (filter.segment.name === '') throw new ApiError('DW_BAD_REQUEST', 'segment: give a segment name, or name=value');
  }
  if (query.from !== undefined) filter.from = parseTimeParameter(query.from, 'from');
  if (query.to !== undefined) filter.to = parseTimeParameter(query.to, 'to');
  if (column !== undefined) filter.column = column;
  return filter;
}

export function registerResultRoutes(app: FastifyInstance, deps: { clickhouse: ClickHouseClient }): void {
  app.get('/v1/models/:model/drift', {
    config: { scope: 'read' },
    schema: {
      tags: ['results'],
      summary: 'Drift and data quality over time: window summaries and a series per column',
      params: ModelParams,
      querystring: Type.Object({
        ...commonQuery,
        feature: Type.Optional(Type.String({ description: 'Only this column (a feature, "prediction" or "score")' })),
        histograms: Type.Optional(Type.Boolean({ default: false, description: 'Include reference and current histograms of every point' })),
      }),
    },
  }, async (request) => {
    const { model } = request.params as { model: string };
    const query = request.query as CommonQuery & { feature?: string; histograms?: boolean };
    const filter = filterOf(model, query, query.feature);
    const [windows, series] = await Promise.all([windowSummaries(deps.clickhouse, filter), driftSeries(deps.clickhouse, filter, query.histograms ?? false)]);
    return { model_id: model, windows, series };
  });

  app.get('/v1/models/:model/performance', {
    config: { scope: 'read' },
    schema: {
      tags: ['results'],
      summary: 'Accuracy over time from joined labels: a series per metric with label coverage and decay against the reference',
      params: ModelParams,
      querystring: Type.Object({ ...commonQuery, metric: Type.Optional(Type.String({ description: 'Only this metric (accuracy, f1, roc_auc, mae, ...)' })) }),
    },
  }, async (request) => {
    const { model } = request.params as { model: string };
    const query = request.query as CommonQuery & { metric?: string };
    const filter = filterOf(model, query, query.metric);
    return { model_id: model, series: await performanceSeries(deps.clickhouse, filter) };
  });
}

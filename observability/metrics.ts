// Prometheus metrics of one process, served by GET /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly eventsIngested = new Counter({
    name: 'driftwatch_events_ingested_total',
    help: 'Events written to ClickHouse, by kind and source',
    labelNames: ['kind', 'source'] as const,
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'driftwatch_events_rejected_total',
    help: 'Events set aside (dead-letter topic or HTTP error), by kind, source and reason',
    labelNames: ['kind', 'source', 'reason'] as const,
    registers: [this.registry],
  });

  readonly batchSeconds = new Histogram({
    name: 'driftwatch_ingest_batch_seconds',
    help: 'Time to decode, write and commit one consumed batch',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'driftwatch_ingest_batch_rows',
    help: 'Rows per ClickHouse insert',
    labelNames: ['kind'] as const,
    buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000],
    registers: [this.registry],
  });

  readonly storageRetries = new Counter({
    name: 'driftwatch_storage_retries_total',
    help: 'ClickHouse writes retried after a transient failure',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'driftwatch_consumer_lag',
    help: 'Messages behind the partition high watermark after the last committed batch',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly analysisRuns = new Counter({
    name: 'driftwatch_analysis_runs_total',
    help: 'Analysis jobs handled by this instance, by outcome (succeeded, failed attempt, skipped as already done)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly analysisSeconds = new Histogram({
    name: 'driftwatch_analysis_run_seconds',
    help: 'Time to analyse and store one window (all its segments)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly windowsBehind = new Gauge({
    name: 'driftwatch_analysis_windows_behind',
    help: 'Complete windows within catch_up that have no successful analysis yet (at the last scheduler sweep)',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'driftwatch_alert_deliveries_total',
    help: 'Alert notifications handled per channel kind, by outcome (delivered, failed after its attempts, skipped: channel disabled)',
    labelNames: ['channel_kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly notificationLatency = new Histogram({
    name: 'driftwatch_alert_notification_latency_seconds',
    help: 'From the end of the analysed window to the channel accepting the notification',
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'driftwatch_' });
  }
}

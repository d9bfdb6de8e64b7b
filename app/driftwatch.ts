// One binary, several roles: the same start-up code runs the API, the ingest consumers,
// or both, so ingest scales out as more consumers in the group.
// Each role's modules are imported when the role starts: an ingest-only process would
// otherwise load the API server, the analyzer and the alert channels first (measured: the
// imports took ~0.7 s of its ~1.5 s start-up).
import type { FastifyInstance } from 'fastify';
import type { NotificationDispatcher } from '../alerting/delivery/dispatcher.js';
import type { NotificationMessage } from '../alerting/delivery/notification-message.js';
import type { JobRunner } from '../analyzer/service/job-runner.js';
import type { AnalysisScheduler } from '../analyzer/service/scheduler.js';
import type { Monitor } from '../analyzer/monitors/index.js';
import type { DriftwatchConfig } from '../config/config.js';
import { isLoopbackHost } from '../config/config.js';
import type { DecodePool } from '../ingest/decode-pool.js';
import type { KafkaIngest } from '../ingest/kafka-ingest.js';
import { KafkaAdapter } from '../messaging/kafka.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { createClickHouse, type ClickHouseClient } from '../storage/clickhouse.js';
import { migrate } from '../storage/migrate.js';
import { missingHeapFlags } from './node-flags.js';

export interface RunningDriftwatch {
  /** Where the API listens, when the api role runs. */
  url: string | undefined;
  stop(): Promise<void>;
}

export async function startDriftwatch(config: DriftwatchConfig, log: Logger): Promise<RunningDriftwatch> {
  // Decode workers load their modules while migrations and the Kafka set-up run: started
  // with the consumers, they held up the first batch by ~0.17 s (measured).
  const decodePool = config.roles.has('ingest') ? new (await import('../ingest/decode-pool.js')).DecodePool(config.ingest.decodeWorkers) : undefined;
  try {
    return await startRoles(config, log, decodePool);
  } catch (error) {
    await decodePool?.close(); // its threads would keep a process that failed to start alive
    throw error;
  }
}

async function startRoles(config: DriftwatchConfig, log: Logger, decodePool: DecodePool | undefined): Promise<RunningDriftwatch> {
  const missing = missingHeapFlags(config.roles, process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length > 0) log.warn('node was started without the heap flags Driftwatch is tuned for (see app/node-flags.ts)', { missing });
  const applied = await migrate(config.clickhouse);
  if (applied.length > 0) log.info('migrations applied', { versions: applied });

  const metrics = new Metrics();
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: config.kafka.clientId }, log);
  const { topics } = config.kafka;
  await kafka.ensureTopics([topics.predictions, topics.features, topics.labels, topics.dlq, topics.jobs, topics.notifications], config.kafka.topicPartitions);
  // Monitors and rules declared in the config file are written by the processes that use
  // them; an ingest-only process (scaled out for throughput) leaves them to those.
  const usesDefinitions = config.roles.has('analyzer') || config.roles.has('alerting') || config.roles.has('api');
  if (usesDefinitions) {
    const [{ syncConfigMonitors }, { syncConfigRules }] = await Promise.all([import('../analyzer/service/monitor-store.js'), import('../alerting/store/rule-store.js')]);
    const configMonitors = await syncConfigMonitors(clickhouse, config.monitors);
    if (configMonitors.written + configMonitors.deleted > 0) log.info('monitors from the config file synchronised', { ...configMonitors, declared: config.monitors.length });
    const configRules = await syncConfigRules(clickhouse, config.rules);
    if (configRules.written + configRules.deleted > 0) log.info('alert rules from the config file synchronised', { ...configRules, declared: config.rules.length });
  }
  // Fixed references of monitors as code are frozen now, in the background, by a process that
  // analyses (the first analysis would otherwise); an ingest-only process leaves it to them.
  const freezeOnRegistration = referenceFreezer(clickhouse, log);
  const configFreezes = config.roles.has('analyzer') ? Promise.all(config.monitors.map(freezeOnRegistration)) : Promise.resolve();

  let ingest: KafkaIngest | undefined;
  if (decodePool !== undefined) {
    const [{ EventWriter }, { KafkaIngest }] = await Promise.all([import('../ingest/event-writer.js'), import('../ingest/kafka-ingest.js')]);
    const writer = new EventWriter(clickhouse, { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs });
    ingest = new KafkaIngest({ config, kafka, writer, decodePool, metrics, log });
    await ingest.start();
    log.info('ingest consumers started', { group: config.kafka.groupId, topics: [topics.predictions, topics.features, topics.labels] });
  }

  let runner: JobRunner | undefined;
  let scheduler: AnalysisScheduler | undefined;
  let alertCatchUp: NodeJS.Timeout | undefined;
  let catchUpRunning: Promise<unknown> | undefined;
  if (config.roles.has('analyzer')) {
    const [{ datasetLookup }, { enqueueJobs, JobRunner }, { AnalysisScheduler }, { catchUp, evaluateWindow, EvaluationQueue }, { encodeNotificationMessage }] = await Promise.all([
      import('../analyzer/references/reference-store.js'), import('../analyzer/service/job-runner.js'), import('../analyzer/service/scheduler.js'),
      import('../alerting/service/evaluator.js'), import('../alerting/delivery/notification-message.js'),
    ]);
    // One evaluation at a time in this process: the hooks of finished runs and the catch-up.
    const evaluations = new EvaluationQueue();
    const publicUrl = config.http.publicUrl;
    const publish = (messages: NotificationMessage[]) => kafka.send(topics.notifications, messages.map(encodeNotificationMessage));
    runner = new JobRunner({
      client: clickhouse,
      kafka,
      settings: {
        jobsTopic: topics.jobs,
        groupId: config.analyzer.groupId,
        maxAttempts: config.analyzer.maxAttempts,
        retryInitialMs: config.analyzer.retryInitialMs,
        instance: config.analyzer.instance,
      },
      findDataset: datasetLookup(clickhouse),
      log,
      afterWindowStored: async ({ monitor, window, runId }) => {
        await evaluations.run(() => evaluateWindow({ client: clickhouse, monitor, window, runId, now: Date.now(), publicUrl, publish }));
      },
      metrics: {
        runFinished: (status, durationMs) => {
          metrics.analysisRuns.inc({ status });
          if (status !== 'skipped') metrics.analysisSeconds.observe(durationMs / 1000);
        },
      },
    });
    await runner.start();
    scheduler = new AnalysisScheduler({
      client: clickhouse,
      enqueue: (jobs) => enqueueJobs(kafka, topics.jobs, jobs),
      log,
      defaultMonitors: config.analyzer.defaultMonitors,
      sweepIntervalMs: config.analyzer.sweepIntervalMs,
      onBacklog: (windows) => metrics.windowsBehind.set(windows),
    });
    await scheduler.start();
    // Windows whose evaluation hook failed, or whose process died between storing results
    // and evaluating them, are evaluated here (each stored run exactly once, by the ledger).
    const sweepAlerts = () => {
      catchUpRunning ??= evaluations.run(() => catchUp({ client: clickhouse, now: Date.now(), publicUrl, publish, log }))
        .then((evaluated) => { if (evaluated > 0) log.info('alert catch-up evaluated stored windows', { evaluated }); })
        .catch((error: unknown) => log.error('alert catch-up failed', { error: (error as Error).message }))
        .finally(() => { catchUpRunning = undefined; });
    };
    alertCatchUp = setInterval(sweepAlerts, config.analyzer.sweepIntervalMs);
    alertCatchUp.unref();
    log.info('analyzer started', { group: config.analyzer.groupId, jobs_topic: topics.jobs, instance: config.analyzer.instance });
  }

  // One retraining service per process: approvals (api) and firing alerts (alerting) of a
  // run are serialised within it.
  const needsRetraining = config.roles.has('alerting') || config.roles.has('api');
  const retraining = needsRetraining ? (await import('../alerting/delivery/from-config.js')).retrainingServiceFrom(config, clickhouse, log) : undefined;
  let dispatcher: NotificationDispatcher | undefined;
  if (config.roles.has('alerting') && retraining !== undefined) {
    const [{ buildChannel }, { NotificationDispatcher }, { channelSettings }] = await Promise.all([
      import('../alerting/delivery/channel-factory.js'), import('../alerting/delivery/dispatcher.js'), import('../alerting/delivery/from-config.js'),
    ]);
    const settings = channelSettings(config, log);
    dispatcher = new NotificationDispatcher({
      client: clickhouse,
      settings: {
        topic: topics.notifications,
        groupId: config.alerting.groupId,
        instance: config.analyzer.instance,
        retryPolicy: config.alerting.retryPolicy,
        autoDisableAfter: config.alerting.autoDisableAfter,
      },
      buildChannel: (definition) => buildChannel(definition, settings),
      retraining,
      log,
      metrics: {
        delivered: (channelKind, status, latencyMs) => {
          metrics.deliveries.inc({ channel_kind: channelKind, status });
          if (latencyMs !== null) metrics.notificationLatency.observe(latencyMs / 1000);
        },
      },
    });
    await dispatcher.start(kafka);
    log.info('alert dispatcher started', { group: config.alerting.groupId, topic: topics.notifications });
  }

  let api: FastifyInstance | undefined;
  let url: string | undefined;
  if (config.roles.has('api') && retraining !== undefined) {
    const { buildApi } = await import('../api/server.js');
    api = await buildApi({ config, clickhouse, kafka, metrics, log, retraining, onMonitorSaved: (monitor) => void freezeOnRegistration(monitor) });
    url = await api.listen({ host: config.http.host, port: config.http.port });
    if (config.auth.tokens.length === 0) {
      log.warn('no API tokens configured: the API is unauthenticated and bound to loopback only', { host: config.http.host, loopback: isLoopbackHost(config.http.host) });
    }
    log.info('API listening', { url, docs: `${url}/docs` });
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Shutdown checklist: stop intake, drain the batch in flight (written + committed), close clients.
    stopping ??= (async () => {
      await api?.close();
      await configFreezes;
      await scheduler?.stop();
      clearInterval(alertCatchUp);
      await catchUpRunning;
      await runner?.stop();
      await dispatcher?.stop();
      await ingest?.stop();
      await decodePool?.close();
      await kafka.close();
      await clickhouse.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { url, stop };
}

/** Freezes a monitor's fixed reference in the background; failures are logged, the first analysis freezes it then. */
function referenceFreezer(client: ClickHouseClient, log: Logger): (monitor: Monitor) => Promise<void> {
  return (monitor) => Promise.all([import('../analyzer/service/window-analysis.js'), import('../analyzer/references/reference-store.js')])
    .then(([{ freezeReferenceAtRegistration }, { datasetLookup }]) => freezeReferenceAtRegistration({ client, findDataset: datasetLookup(client), nowMs: Date.now() }, monitor))
    .then((outcome) => { if (outcome === 'frozen') log.info('reference bins frozen at registration', { monitor_id: monitor.id }); })
    .catch((error: unknown) => log.warn('freezing the reference at registration failed; the first analysis will', { monitor_id: monitor.id, error: (error as Error).message }));
}

// An analyzer process for the crash test: runs the job runner with the configuration from
// its environment, announces each analysis it starts on stdout, and then stalls inside it
// (as a slow or hung analysis would) until the test kills it.
import { getReferenceDataset } from '../../analyzer/references/reference-store.js';
import { JobRunner } from '../../analyzer/service/job-runner.js';
import { loadConfig } from '../../config/config.js';
import { KafkaAdapter } from '../../messaging/kafka.js';
import { createLogger } from '../../observability/logger.js';
import { createClickHouse } from '../../storage/clickhouse.js';

const config = loadConfig(process.env, undefined);
const log = createLogger('error');
const client = createClickHouse(config.clickhouse);
const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: 'analyzer-child' }, log);
const runner = new JobRunner({
  client,
  kafka,
  settings: { jobsTopic: config.kafka.topics.jobs, groupId: config.analyzer.groupId, maxAttempts: 1, retryInitialMs: 10, instance: 'child' },
  findDataset: async (name) => {
    const dataset = await getReferenceDataset(client, name);
    return dataset === null ? null : { uploadId: dataset.upload_id };
  },
  log,
  beforeAnalysis: async (job) => {
    process.stdout.write(`ANALYSIS_STARTED ${job.jobId}\n`);
    await new Promise(() => undefined);
  },
});
await runner.start();
process.stdout.write('RUNNER_READY\n');

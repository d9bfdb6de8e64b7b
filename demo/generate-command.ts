// `driftwatch generate`: demo traffic into Kafka, as a serving stack would send it.
import { loadConfig } from '../config/config.js';
import { KafkaAdapter } from '../messaging/kafka.js';
import { createLogger } from '../observability/logger.js';
import { TrafficGenerator } from './traffic.js';

const HELP = `Usage: driftwatch generate [options]
  --model ID            model id (default credit-risk)
  --version V           model version (default v1)
  --rate N              predictions per second, live (default 20)
  --count N             stop after N live predictions (default: run until stopped)
  --backfill-hours H    first send H hours of history, one prediction per 10 s (default 0)
  --drift-after S       live traffic drifts after S seconds (default 600; -1 never)
  --label-share F       share of predictions that get a label (default 0.3)
  --seed N              PRNG seed (default 42)
`;

interface GenerateOptions {
  model: string; version: string; rate: number; count: number; backfillHours: number; driftAfter: number; labelShare: number; seed: number;
}

function parseOptions(args: string[]): GenerateOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!name.startsWith('--') || value === undefined) throw new Error(`expected --option value pairs, got "${name}"`);
    values.set(name.slice(2), value);
  }
  const number = (name: string, fallback: number) => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number, got "${raw}"`);
    return parsed;
  };
  return {
    model: values.get('model') ?? 'credit-risk',
    version: values.get('version') ?? 'v1',
    rate: number('rate', 20),
    count: number('count', Number.POSITIVE_INFINITY),
    backfillHours: number('backfill-hours', 0),
    driftAfter: number('drift-after', 600),
    labelShare: number('label-share', 0.3),
    seed: number('seed', 42),
  };
}

export async function runGenerateCommand(args: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write(HELP);
    return 0;
  }
  let options: GenerateOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    io.stderr.write(`driftwatch generate: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel, { command: 'generate' });
  const kafka = new KafkaAdapter({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-generator` }, log);
  const { topics } = config.kafka;
  await kafka.ensureTopics([topics.predictions, topics.features, topics.labels, topics.dlq], config.kafka.topicPartitions);
  const traffic = new TrafficGenerator({ modelId: options.model, modelVersion: options.version, numericFeatures: 8, categoricalFeatures: 3, driftShift: 1, seed: options.seed });
  let stopped = false;
  const stop = () => { stopped = true; };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const send = async (timestampsMs: number[], drifting: boolean) => {
    const predictions = timestampsMs.map((timestampMs) => traffic.prediction(timestampMs, drifting));
    const labels = predictions.filter(() => Math.random() < options.labelShare).map((p) => traffic.label(p, Number(p.timestamp), drifting));
    await kafka.send(topics.predictions, predictions.map((p) => ({ key: p.event_id, value: JSON.stringify(p) })));
    await kafka.send(topics.labels, labels.map((l) => ({ key: l.event_id, value: JSON.stringify(l) })));
    return predictions.length;
  };

  try {
    if (options.backfillHours > 0) {
      const start = Date.now() - options.backfillHours * 3_600_000;
      let sent = 0;
      for (let t = start; t < Date.now() && !stopped; t += 10_000 * 500) {
        sent += await send(Array.from({ length: 500 }, (_, i) => t + i * 10_000).filter((ms) => ms < Date.now()), false);
      }
      io.stdout.write(`backfilled ${sent} predictions over ${options.backfillHours} h\n`);
    }
    const began = Date.now();
    let sent = 0;
    while (!stopped && sent < options.count) {
      const drifting = options.driftAfter >= 0 && Date.now() - began > options.driftAfter * 1000;
      const n = Math.max(1, Math.min(options.count - sent, Math.round(options.rate)));
      sent += await send(Array.from({ length: n }, () => Date.now()), drifting);
      if (sent < options.count) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    io.stdout.write(`sent ${sent} live predictions\n`);
    return 0;
  } finally {
    await kafka.close();
  }
}

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { MonitorDefinitionError, parseMonitorList, type Monitor } from '../analyzer/monitors/index.js';
import { parseRuleList, RuleDefinitionError, type Rule } from '../alerting/rules/index.js';
import {
  ConfigError, asBoolean, asEnum, asIdentifier, asInteger, asOptionalString, asString, asStringList, asTopicName, asUrl,
  type SettingSpec,
} from './settings.js';

export { ConfigError } from './settings.js';

export const ROLES = ['ingest', 'analyzer', 'alerting', 'api'] as const;
export type Role = (typeof ROLES)[number];
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiToken {
  token: string;
  scopes: Set<Scope>;
}

export interface DriftwatchConfig {
  roles: Set<Role>;
  http: { host: string; port: number; bodyLimitBytes: number; publicUrl: string };
  auth: { tokens: ApiToken[] };
  clickhouse: { url: string; database: string; username: string; password: string; requestTimeoutMs: number };
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    topicPartitions: number;
    topics: { predictions: string; features: string; labels: string; dlq: string; jobs: string; notifications: string };
  };
  ingest: {
    maxMessageBytes: number;
    maxFutureSkewMs: number;
    maxBytesPerPartition: number;
    partitionsConsumedConcurrently: number;
    retryInitialMs: number;
    retryMaxMs: number;
    decodeWorkers: number;
  };
  analyzer: {
    groupId: string;
    maxAttempts: number;
    retryInitialMs: number;
    sweepIntervalMs: number;
    defaultMonitors: boolean;
    instance: string;
  };
  alerting: {
    groupId: string;
    slackApiUrl: string;
    /** Outgoing webhook and retraining URLs: host allow-list and whether private addresses are allowed. */
    urlPolicy: { allowedHosts: string[]; allowPrivate: boolean };
    deliveryTimeoutMs: number;
    retryPolicy: { initialMs: number; maxMs: number; maxAttempts: number };
    autoDisableAfter: number;
  };
  /** Monitors declared in the config file ("monitors as code"). */
  monitors: Monitor[];
  /** Alert rules declared in the config file ("rules as code"). */
  rules: Rule[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Feed built-in synthetic traffic (the demo and the Docker try-out). */
  demo: boolean;
}

const MIB = 1024 * 1024;

export const parseRoles = (raw: unknown): Set<Role> => {
  const roles = asStringList(raw);
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new ConfigError(`unknown role "${role}"; roles are ${ROLES.join(', ')}`);
  }
  return new Set(roles as Role[]);
};

/** `token:scope+scope,token2:scope` or, in the config file, [{token, scopes: [...]}]. */
export const parseTokens = (raw: unknown): ApiToken[] => {
  if (raw === undefined || raw === null || raw === '') return [];
  const entries: Array<{ token: unknown; scopes: unknown }> = typeof raw === 'string'
    ? raw.split(',').filter((part) => part.trim() !== '').map((part) => {
      const separator = part.lastIndexOf(':');
      if (separator < 0) throw new ConfigError('each entry must look like token:scope+scope');
      return { token: part.slice(0, separator).trim(), scopes: part.slice(separator + 1).split('+') };
    })
    : Array.isArray(raw) ? raw : (() => { throw new ConfigError('must be "token:scope+scope,..." or an array'); })();
  return entries.map(({ token, scopes }) => {
    if (typeof token !== 'string' || token.length < 16) throw new ConfigError('every token must be a string of at least 16 characters');
    if (!Array.isArray(scopes) || scopes.length === 0) throw new ConfigError('every token needs at least one scope');
    const set = new Set<Scope>();
    for (const scope of scopes) {
      const name = String(scope).trim();
      if (!(SCOPES as readonly string[]).includes(name)) throw new ConfigError(`unknown scope "${name}"; scopes are ${SCOPES.join(', ')}`);
      set.add(name as Scope);
    }
    return { token, scopes: set };
  });
};

// The order here is the order of the README's configuration table.
const SPECS = {
  roles: { key: 'roles', env: 'DRIFTWATCH_ROLES', default: new Set<Role>(ROLES), parse: parseRoles, doc: 'roles this process runs: ingest, analyzer, alerting (deliveries), api' },
  host: { key: 'http.host', env: 'HOST', default: '127.0.0.1', parse: asString, doc: 'API bind address; non-loopback requires tokens' },
  port: { key: 'http.port', env: 'PORT', default: 8080, parse: asInteger(0, 65535), doc: 'API port' },
  bodyLimit: { key: 'http.bodyLimitBytes', env: 'DRIFTWATCH_HTTP_BODY_LIMIT_BYTES', default: 32 * MIB, parse: asInteger(1024, 1024 * MIB), doc: 'largest accepted request body' },
  publicUrl: { key: 'http.publicUrl', env: 'DRIFTWATCH_PUBLIC_URL', default: 'http://127.0.0.1:8080', parse: asUrl(['http:', 'https:']), doc: 'base URL of the UI as users reach it; alert notifications link to it' },
  tokens: { key: 'auth.tokens', env: 'DRIFTWATCH_API_TOKENS', default: [] as ApiToken[], parse: parseTokens, doc: 'bearer tokens: token:scope+scope,... (scopes ingest, read, admin)' },
  chUrl: { key: 'clickhouse.url', env: 'DRIFTWATCH_CLICKHOUSE_URL', default: 'http://127.0.0.1:18123', parse: asUrl(['http:', 'https:']), doc: 'ClickHouse HTTP endpoint' },
  chDatabase: { key: 'clickhouse.database', env: 'DRIFTWATCH_CLICKHOUSE_DATABASE', default: 'driftwatch', parse: asIdentifier, doc: 'ClickHouse database (created if missing)' },
  chUser: { key: 'clickhouse.username', env: 'DRIFTWATCH_CLICKHOUSE_USER', default: 'default', parse: asString, doc: 'ClickHouse user' },
  chPassword: { key: 'clickhouse.password', env: 'DRIFTWATCH_CLICKHOUSE_PASSWORD', default: '', parse: asOptionalString, doc: 'ClickHouse password' },
  chTimeout: { key: 'clickhouse.requestTimeoutMs', env: 'DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS', default: 30_000, parse: asInteger(100, 3_600_000), doc: 'ClickHouse request timeout' },
  brokers: { key: 'kafka.brokers', env: 'DRIFTWATCH_KAFKA_BROKERS', default: ['127.0.0.1:19092'], parse: asStringList, doc: 'Kafka bootstrap brokers, comma-separated' },
  clientId: { key: 'kafka.clientId', env: 'DRIFTWATCH_KAFKA_CLIENT_ID', default: 'driftwatch', parse: asString, doc: 'Kafka client id' },
  groupId: { key: 'kafka.groupId', env: 'DRIFTWATCH_KAFKA_GROUP_ID', default: 'driftwatch-ingest', parse: asString, doc: 'consumer group of the ingest role' },
  partitions: { key: 'kafka.topicPartitions', env: 'DRIFTWATCH_KAFKA_TOPIC_PARTITIONS', default: 3, parse: asInteger(1, 1000), doc: 'partitions of topics Driftwatch creates' },
  topicPredictions: { key: 'kafka.topics.predictions', env: 'DRIFTWATCH_TOPIC_PREDICTIONS', default: 'driftwatch.predictions', parse: asTopicName, doc: 'prediction log topic' },
  topicFeatures: { key: 'kafka.topics.features', env: 'DRIFTWATCH_TOPIC_FEATURES', default: 'driftwatch.features', parse: asTopicName, doc: 'feature log topic' },
  topicLabels: { key: 'kafka.topics.labels', env: 'DRIFTWATCH_TOPIC_LABELS', default: 'driftwatch.labels', parse: asTopicName, doc: 'ground-truth label topic' },
  topicDlq: { key: 'kafka.topics.dlq', env: 'DRIFTWATCH_TOPIC_DLQ', default: 'driftwatch.dlq', parse: asTopicName, doc: 'dead-letter topic' },
  topicJobs: { key: 'kafka.topics.jobs', env: 'DRIFTWATCH_TOPIC_JOBS', default: 'driftwatch.analysis-jobs', parse: asTopicName, doc: 'analysis jobs topic (windows to analyse), read by the analyzer group' },
  topicNotifications: { key: 'kafka.topics.notifications', env: 'DRIFTWATCH_TOPIC_NOTIFICATIONS', default: 'driftwatch.alert-notifications', parse: asTopicName, doc: 'alert notifications to deliver, read by the alerting group' },
  maxMessage: { key: 'ingest.maxMessageBytes', env: 'DRIFTWATCH_MAX_MESSAGE_BYTES', default: MIB, parse: asInteger(256, 64 * MIB), doc: 'larger events are rejected as oversize' },
  futureSkew: { key: 'ingest.maxFutureSkewMs', env: 'DRIFTWATCH_MAX_FUTURE_SKEW_MS', default: 86_400_000, parse: asInteger(0, 366 * 86_400_000), doc: 'events further in the future are rejected' },
  fetchBytes: { key: 'ingest.maxBytesPerPartition', env: 'DRIFTWATCH_MAX_BYTES_PER_PARTITION', default: 4 * MIB, parse: asInteger(64 * 1024, 256 * MIB), doc: 'Kafka fetch size per partition: bounds one batch' },
  concurrency: { key: 'ingest.partitionsConsumedConcurrently', env: 'DRIFTWATCH_PARTITIONS_CONCURRENTLY', default: 3, parse: asInteger(1, 64), doc: 'batches in flight at once (with the fetch size, bounds memory)' },
  retryInitial: { key: 'ingest.retryInitialMs', env: 'DRIFTWATCH_RETRY_INITIAL_MS', default: 200, parse: asInteger(1, 60_000), doc: 'first delay when ClickHouse is unavailable' },
  retryMax: { key: 'ingest.retryMaxMs', env: 'DRIFTWATCH_RETRY_MAX_MS', default: 10_000, parse: asInteger(1, 600_000), doc: 'largest delay between retries' },
  decodeWorkers: { key: 'ingest.decodeWorkers', env: 'DRIFTWATCH_DECODE_WORKERS', default: 1, parse: asInteger(0, 64), doc: 'worker threads that parse, validate and encode consumed events (0 = on the consumer thread)' },
  analyzerGroup: { key: 'analyzer.groupId', env: 'DRIFTWATCH_ANALYZER_GROUP_ID', default: 'driftwatch-analyzer', parse: asString, doc: 'consumer group of the analyzer role' },
  analyzerAttempts: { key: 'analyzer.maxAttempts', env: 'DRIFTWATCH_ANALYZER_MAX_ATTEMPTS', default: 3, parse: asInteger(1, 100), doc: 'attempts at a window before its job is left failed (the scheduler enqueues it again later)' },
  analyzerRetry: { key: 'analyzer.retryInitialMs', env: 'DRIFTWATCH_ANALYZER_RETRY_INITIAL_MS', default: 2000, parse: asInteger(1, 600_000), doc: 'first delay between attempts at a failing window (doubling)' },
  analyzerSweep: { key: 'analyzer.sweepIntervalMs', env: 'DRIFTWATCH_ANALYZER_SWEEP_MS', default: 60_000, parse: asInteger(100, 3_600_000), doc: 'how often the scheduler looks for missed windows, late labels, new models' },
  defaultMonitors: { key: 'analyzer.defaultMonitors', env: 'DRIFTWATCH_DEFAULT_MONITORS', default: true, parse: asBoolean, doc: 'give every newly seen model a default monitor (hourly, trailing 7 days)' },
  instance: { key: 'analyzer.instance', env: 'DRIFTWATCH_INSTANCE', default: '', parse: asOptionalString, doc: 'name of this instance in run records (default: host name and pid)' },
  alertingGroup: { key: 'alerting.groupId', env: 'DRIFTWATCH_ALERTING_GROUP_ID', default: 'driftwatch-alerting', parse: asString, doc: 'consumer group of the alerting role (deliveries)' },
  slackApiUrl: { key: 'alerting.slackApiUrl', env: 'DRIFTWATCH_SLACK_API_URL', default: 'https://slack.com/api/', parse: asUrl(['http:', 'https:']), doc: 'Slack Web API base URL' },
  allowedHosts: { key: 'alerting.allowedHosts', env: 'DRIFTWATCH_OUTGOING_ALLOWED_HOSTS', default: ['*'], parse: asStringList, doc: 'hosts webhooks and retraining requests may go to: names, *.domain, or * for any' },
  allowPrivate: { key: 'alerting.allowPrivateAddresses', env: 'DRIFTWATCH_OUTGOING_ALLOW_PRIVATE', default: false, parse: asBoolean, doc: 'allow webhooks to private and loopback addresses (refused by default)' },
  deliveryTimeout: { key: 'alerting.deliveryTimeoutMs', env: 'DRIFTWATCH_DELIVERY_TIMEOUT_MS', default: 10_000, parse: asInteger(100, 600_000), doc: 'one delivery attempt, connect to answer' },
  deliveryAttempts: { key: 'alerting.maxAttempts', env: 'DRIFTWATCH_DELIVERY_MAX_ATTEMPTS', default: 5, parse: asInteger(1, 100), doc: 'attempts per delivery where a retry is safe' },
  deliveryRetry: { key: 'alerting.retryInitialMs', env: 'DRIFTWATCH_DELIVERY_RETRY_INITIAL_MS', default: 1000, parse: asInteger(1, 600_000), doc: 'first delay between delivery attempts (doubling)' },
  deliveryRetryMax: { key: 'alerting.retryMaxMs', env: 'DRIFTWATCH_DELIVERY_RETRY_MAX_MS', default: 60_000, parse: asInteger(1, 3_600_000), doc: 'largest delay between delivery attempts' },
  disableAfter: { key: 'alerting.autoDisableAfter', env: 'DRIFTWATCH_CHANNEL_DISABLE_AFTER', default: 5, parse: asInteger(1, 1000), doc: 'consecutive failed deliveries that disable a channel until re-enabled' },
  logLevel: { key: 'logLevel', env: 'DRIFTWATCH_LOG_LEVEL', default: 'info' as DriftwatchConfig['logLevel'], parse: asEnum(['debug', 'info', 'warn', 'error'] as const), doc: 'log level' },
  demo: { key: 'demo', env: 'DRIFTWATCH_DEMO', default: false, parse: asBoolean, doc: 'also send synthetic demo traffic (driftwatch generate) from this process' },
} satisfies Record<string, SettingSpec<unknown>>;

export const SETTINGS: ReadonlyArray<SettingSpec<unknown>> = Object.values(SPECS);

type Specs = typeof SPECS;
type Values = { [K in keyof Specs]: Specs[K]['default'] };

function lookup(file: Record<string, unknown>, dottedKey: string): unknown {
  let node: unknown = file;
  for (const part of dottedKey.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

function parseConfigMonitors(value: unknown, configPath: string | undefined): Monitor[] {
  if (value === undefined) return [];
  try {
    return parseMonitorList(value, 'monitors');
  } catch (error) {
    if (error instanceof MonitorDefinitionError) throw new ConfigError(`config file ${configPath}: ${error.message}`);
    throw error;
  }
}

function parseConfigRules(value: unknown, configPath: string | undefined): Rule[] {
  if (value === undefined) return [];
  try {
    return parseRuleList(value, 'rules');
  } catch (error) {
    if (error instanceof RuleDefinitionError) throw new ConfigError(`config file ${configPath}: ${error.message}`);
    throw error;
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses the configuration once at start-up: defaults, then the JSON file named by
 * `configPath` (or DRIFTWATCH_CONFIG), then the environment. Throws ConfigError naming
 * the offending key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, configPath = env.DRIFTWATCH_CONFIG): DriftwatchConfig {
  const file = configPath ? readConfigFile(configPath) : {};
  const values = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(SPECS) as Array<[string, SettingSpec<unknown>]>) {
    const fromEnv = env[spec.env];
    const fromFile = lookup(file, spec.key);
    const [raw, source] = fromEnv !== undefined && fromEnv !== ''
      ? [fromEnv, `environment variable ${spec.env}`]
      : fromFile !== undefined ? [fromFile, `config key "${spec.key}" in ${configPath}`] : [undefined, ''];
    if (raw === undefined) {
      values[name] = spec.default;
      continue;
    }
    try {
      values[name] = spec.parse(raw);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${source}: ${error.message}`);
      throw error;
    }
  }
  const v = values as Values;
  if (v.tokens.length === 0 && !isLoopbackHost(v.host)) {
    throw new ConfigError(`HOST=${v.host} is not a loopback address and DRIFTWATCH_API_TOKENS is empty: refusing to serve an unauthenticated API beyond this machine. Set tokens or bind to 127.0.0.1.`);
  }
  if (v.deliveryRetryMax < v.deliveryRetry) throw new ConfigError('DRIFTWATCH_DELIVERY_RETRY_MAX_MS must not be smaller than DRIFTWATCH_DELIVERY_RETRY_INITIAL_MS');
  if (v.retryMax < v.retryInitial) throw new ConfigError('DRIFTWATCH_RETRY_MAX_MS must not be smaller than DRIFTWATCH_RETRY_INITIAL_MS');
  return {
    roles: v.roles,
    http: { host: v.host, port: v.port, bodyLimitBytes: v.bodyLimit, publicUrl: v.publicUrl },
    auth: { tokens: v.tokens },
    clickhouse: { url: v.chUrl, database: v.chDatabase, username: v.chUser, password: v.chPassword, requestTimeoutMs: v.chTimeout },
    kafka: {
      brokers: v.brokers,
      clientId: v.clientId,
      groupId: v.groupId,
      topicPartitions: v.partitions,
      topics: { predictions: v.topicPredictions, features: v.topicFeatures, labels: v.topicLabels, dlq: v.topicDlq, jobs: v.topicJobs, notifications: v.topicNotifications },
    },
    ingest: {
      maxMessageBytes: v.maxMessage,
      maxFutureSkewMs: v.futureSkew,
      maxBytesPerPartition: v.fetchBytes,
      partitionsConsumedConcurrently: v.concurrency,
      retryInitialMs: v.retryInitial,
      retryMaxMs: v.retryMax,
      decodeWorkers: v.decodeWorkers,
    },
    analyzer: {
      groupId: v.analyzerGroup,
      maxAttempts: v.analyzerAttempts,
      retryInitialMs: v.analyzerRetry,
      sweepIntervalMs: v.analyzerSweep,
      defaultMonitors: v.defaultMonitors,
      instance: v.instance || `${hostname()}:${process.pid}`,
    },
    alerting: {
      groupId: v.alertingGroup,
      slackApiUrl: v.slackApiUrl,
      urlPolicy: { allowedHosts: v.allowedHosts, allowPrivate: v.allowPrivate },
      deliveryTimeoutMs: v.deliveryTimeout,
      retryPolicy: { initialMs: v.deliveryRetry, maxMs: v.deliveryRetryMax, maxAttempts: v.deliveryAttempts },
      autoDisableAfter: v.disableAfter,
    },
    monitors: parseConfigMonitors(file.monitors, configPath),
    rules: parseConfigRules(file.rules, configPath),
    logLevel: v.logLevel,
    demo: v.demo,
  };
}

// config/config.ts: defaults, then the JSON file, then the environment; every error names the key.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, isLoopbackHost, loadConfig, SETTINGS, type DriftwatchConfig } from '../../config/config.js';

const MIB = 1024 * 1024;
const TOKEN = 'tok-0123456789abcdef';
const TOKEN2 = 'tok2-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-config-test-'));

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function configFile(content: unknown): string {
  fileCounter += 1;
  const path = join(dir, `config-${fileCounter}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Loads with only `env` (never the real process environment). */
const load = (env: NodeJS.ProcessEnv = {}, path?: string) => loadConfig(env, path);

function assertConfigError(fn: () => unknown, ...patterns: Array<string | RegExp>): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const pattern of patterns) {
      if (typeof pattern === 'string') assert.ok(error.message.includes(pattern), `"${error.message}" should contain "${pattern}"`);
      else assert.match(error.message, pattern);
    }
    return true;
  });
}

test('defaults: with no environment and no file', () => {
  const config = load();
  const expected: DriftwatchConfig = {
    roles: new Set(['ingest', 'analyzer', 'alerting', 'api']),
    http: { host: '127.0.0.1', port: 8080, bodyLimitBytes: 32 * MIB, publicUrl: 'http://127.0.0.1:8080' },
    auth: { tokens: [] },
    clickhouse: { url: 'http://127.0.0.1:18123', database: 'driftwatch', username: 'default', password: '', requestTimeoutMs: 30_000 },
    kafka: {
      brokers: ['127.0.0.1:19092'],
      clientId: 'driftwatch',
      groupId: 'driftwatch-ingest',
      topicPartitions: 3,
      topics: { predictions: 'driftwatch.predictions', features: 'driftwatch.features', labels: 'driftwatch.labels', dlq: 'driftwatch.dlq', jobs: 'driftwatch.analysis-jobs', notifications: 'driftwatch.alert-notifications' },
    },
    ingest: { maxMessageBytes: MIB, maxFutureSkewMs: 86_400_000, maxBytesPerPartition: 4 * MIB, partitionsConsumedConcurrently: 3, retryInitialMs: 200, retryMaxMs: 10_000, decodeWorkers: 1 },
    analyzer: { groupId: 'driftwatch-analyzer', maxAttempts: 3, retryInitialMs: 2000, sweepIntervalMs: 60_000, defaultMonitors: true, instance: `${hostname()}:${process.pid}` },
    alerting: {
      groupId: 'driftwatch-alerting', slackApiUrl: 'https://slack.com/api/', urlPolicy: { allowedHosts: ['*'], allowPrivate: false },
      deliveryTimeoutMs: 10_000, retryPolicy: { initialMs: 1000, maxMs: 60_000, maxAttempts: 5 }, autoDisableAfter: 5,
    },
    monitors: [],
    rules: [],
    logLevel: 'info',
    demo: false,
  };
  assert.deepEqual(config, expected);
});

test('every setting has a distinct environment variable and config key', () => {
  assert.equal(new Set(SETTINGS.map((setting) => setting.env)).size, SETTINGS.length);
  assert.equal(new Set(SETTINGS.map((setting) => setting.key)).size, SETTINGS.length);
});

const ENV_OVERRIDES: Array<{ env: string; value: string; read: (config: DriftwatchConfig) => unknown; expected: unknown }> = [
  { env: 'DRIFTWATCH_ROLES', value: 'ingest', read: (c) => [...c.roles], expected: ['ingest'] },
  { env: 'DRIFTWATCH_ROLES', value: ' api , ingest ,', read: (c) => [...c.roles].sort(), expected: ['api', 'ingest'] },
  { env: 'HOST', value: '::1', read: (c) => c.http.host, expected: '::1' },
  { env: 'PORT', value: '9090', read: (c) => c.http.port, expected: 9090 },
  { env: 'PORT', value: '0', read: (c) => c.http.port, expected: 0 },
  { env: 'PORT', value: ' 65535 ', read: (c) => c.http.port, expected: 65535 },
  { env: 'DRIFTWATCH_HTTP_BODY_LIMIT_BYTES', value: '1024', read: (c) => c.http.bodyLimitBytes, expected: 1024 },
  { env: 'DRIFTWATCH_API_TOKENS', value: `${TOKEN}:ingest+read, ${TOKEN2}:admin`, read: (c) => c.auth.tokens.map((t) => [t.token, [...t.scopes]]), expected: [[TOKEN, ['ingest', 'read']], [TOKEN2, ['admin']]] },
  { env: 'DRIFTWATCH_API_TOKENS', value: `a:b:c-0123456789abc:read`, read: (c) => c.auth.tokens.map((t) => t.token), expected: ['a:b:c-0123456789abc'] },
  { env: 'DRIFTWATCH_CLICKHOUSE_URL', value: 'https://ch.example.com:8443/', read: (c) => c.clickhouse.url, expected: 'https://ch.example.com:8443' },
  { env: 'DRIFTWATCH_CLICKHOUSE_DATABASE', value: 'dw_prod_2', read: (c) => c.clickhouse.database, expected: 'dw_prod_2' },
  { env: 'DRIFTWATCH_CLICKHOUSE_USER', value: 'writer', read: (c) => c.clickhouse.username, expected: 'writer' },
  { env: 'DRIFTWATCH_CLICKHOUSE_PASSWORD', value: 's3cret:with,comma', read: (c) => c.clickhouse.password, expected: 's3cret:with,comma' },
  { env: 'DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS', value: '100', read: (c) => c.clickhouse.requestTimeoutMs, expected: 100 },
  { env: 'DRIFTWATCH_KAFKA_BROKERS', value: 'k1:9092, k2:9092,,', read: (c) => c.kafka.brokers, expected: ['k1:9092', 'k2:9092'] },
  { env: 'DRIFTWATCH_KAFKA_CLIENT_ID', value: 'dw-1', read: (c) => c.kafka.clientId, expected: 'dw-1' },
  { env: 'DRIFTWATCH_KAFKA_GROUP_ID', value: 'group-x', read: (c) => c.kafka.groupId, expected: 'group-x' },
  { env: 'DRIFTWATCH_KAFKA_TOPIC_PARTITIONS', value: '12', read: (c) => c.kafka.topicPartitions, expected: 12 },
  { env: 'DRIFTWATCH_TOPIC_PREDICTIONS', value: 'ml.preds-v1_x', read: (c) => c.kafka.topics.predictions, expected: 'ml.preds-v1_x' },
  { env: 'DRIFTWATCH_TOPIC_FEATURES', value: 'f', read: (c) => c.kafka.topics.features, expected: 'f' },
  { env: 'DRIFTWATCH_TOPIC_LABELS', value: 'l', read: (c) => c.kafka.topics.labels, expected: 'l' },
  { env: 'DRIFTWATCH_TOPIC_DLQ', value: 'd'.repeat(249), read: (c) => c.kafka.topics.dlq, expected: 'd'.repeat(249) },
  { env: 'DRIFTWATCH_MAX_MESSAGE_BYTES', value: '256', read: (c) => c.ingest.maxMessageBytes, expected: 256 },
  { env: 'DRIFTWATCH_MAX_FUTURE_SKEW_MS', value: '0', read: (c) => c.ingest.maxFutureSkewMs, expected: 0 },
  { env: 'DRIFTWATCH_MAX_BYTES_PER_PARTITION', value: String(64 * 1024), read: (c) => c.ingest.maxBytesPerPartition, expected: 64 * 1024 },
  { env: 'DRIFTWATCH_PARTITIONS_CONCURRENTLY', value: '64', read: (c) => c.ingest.partitionsConsumedConcurrently, expected: 64 },
  { env: 'DRIFTWATCH_RETRY_INITIAL_MS', value: '10000', read: (c) => c.ingest.retryInitialMs, expected: 10_000 },
  { env: 'DRIFTWATCH_RETRY_MAX_MS', value: '600000', read: (c) => c.ingest.retryMaxMs, expected: 600_000 },
  { env: 'DRIFTWATCH_TOPIC_NOTIFICATIONS', value: 'alerts.out', read: (c) => c.kafka.topics.notifications, expected: 'alerts.out' },
  { env: 'DRIFTWATCH_ALERTING_GROUP_ID', value: 'ag-2', read: (c) => c.alerting.groupId, expected: 'ag-2' },
  { env: 'DRIFTWATCH_SLACK_API_URL', value: 'http://127.0.0.1:9999/api/', read: (c) => c.alerting.slackApiUrl, expected: 'http://127.0.0.1:9999/api' },
  { env: 'DRIFTWATCH_OUTGOING_ALLOWED_HOSTS', value: 'hooks.example.com, *.corp.example', read: (c) => c.alerting.urlPolicy.allowedHosts, expected: ['hooks.example.com', '*.corp.example'] },
  { env: 'DRIFTWATCH_OUTGOING_ALLOW_PRIVATE', value: 'true', read: (c) => c.alerting.urlPolicy.allowPrivate, expected: true },
  { env: 'DRIFTWATCH_DELIVERY_TIMEOUT_MS', value: '2500', read: (c) => c.alerting.deliveryTimeoutMs, expected: 2500 },
  { env: 'DRIFTWATCH_DELIVERY_MAX_ATTEMPTS', value: '1', read: (c) => c.alerting.retryPolicy.maxAttempts, expected: 1 },
  { env: 'DRIFTWATCH_DELIVERY_RETRY_INITIAL_MS', value: '50', read: (c) => c.alerting.retryPolicy.initialMs, expected: 50 },
  { env: 'DRIFTWATCH_DELIVERY_RETRY_MAX_MS', value: '90000', read: (c) => c.alerting.retryPolicy.maxMs, expected: 90_000 },
  { env: 'DRIFTWATCH_CHANNEL_DISABLE_AFTER', value: '3', read: (c) => c.alerting.autoDisableAfter, expected: 3 },
  { env: 'DRIFTWATCH_LOG_LEVEL', value: 'debug', read: (c) => c.logLevel, expected: 'debug' },
  { env: 'DRIFTWATCH_DEMO', value: 'true', read: (c) => c.demo, expected: true },
  { env: 'DRIFTWATCH_DEMO', value: '1', read: (c) => c.demo, expected: true },
  { env: 'DRIFTWATCH_DEMO', value: 'false', read: (c) => c.demo, expected: false },
  { env: 'DRIFTWATCH_DEMO', value: '0', read: (c) => c.demo, expected: false },
];

for (const { env, value, read, expected } of ENV_OVERRIDES) {
  test(`environment: ${env}=${value.length > 40 ? `${value.slice(0, 20)}...` : value}`, () => {
    assert.deepEqual(read(load({ [env]: value })), expected);
  });
}

test('an empty environment variable counts as unset', () => {
  assert.equal(load({ PORT: '' }).http.port, 8080);
  assert.equal(load({ PORT: '' }, configFile({ http: { port: 7070 } })).http.port, 7070);
});

test('config file: nested keys set every section', () => {
  const path = configFile({
    roles: ['api'],
    http: { host: '0.0.0.0', port: 9000, bodyLimitBytes: 2048, publicUrl: 'https://driftwatch.example.com/' },
    auth: { tokens: [{ token: TOKEN, scopes: ['read', ' admin '] }] },
    clickhouse: { url: 'http://ch:8123', database: 'dw', username: 'u', password: 'p', requestTimeoutMs: 5000 },
    kafka: { brokers: ['k1:9092', 'k2:9092'], clientId: 'c', groupId: 'g', topicPartitions: 6, topics: { predictions: 'p', features: 'f', labels: 'l', dlq: 'd', jobs: 'j', notifications: 'n' } },
    ingest: { maxMessageBytes: 4096, maxFutureSkewMs: 1000, maxBytesPerPartition: 65_536, partitionsConsumedConcurrently: 4, retryInitialMs: 50, retryMaxMs: 50, decodeWorkers: 3 },
    analyzer: { groupId: 'ag', maxAttempts: 5, retryInitialMs: 10, sweepIntervalMs: 1000, defaultMonitors: false, instance: 'node-a' },
    alerting: {
      groupId: 'alg', slackApiUrl: 'http://slack.local/api/', allowedHosts: ['hooks.example.com'], allowPrivateAddresses: true,
      deliveryTimeoutMs: 3000, maxAttempts: 2, retryInitialMs: 5, retryMaxMs: 10, autoDisableAfter: 7,
    },
    logLevel: 'warn',
    demo: true,
    unrelated: { ignored: true },
  });
  const config = load({}, path);
  assert.deepEqual(config, {
    roles: new Set(['api']),
    http: { host: '0.0.0.0', port: 9000, bodyLimitBytes: 2048, publicUrl: 'https://driftwatch.example.com' },
    auth: { tokens: [{ token: TOKEN, scopes: new Set(['read', 'admin']) }] },
    clickhouse: { url: 'http://ch:8123', database: 'dw', username: 'u', password: 'p', requestTimeoutMs: 5000 },
    kafka: { brokers: ['k1:9092', 'k2:9092'], clientId: 'c', groupId: 'g', topicPartitions: 6, topics: { predictions: 'p', features: 'f', labels: 'l', dlq: 'd', jobs: 'j', notifications: 'n' } },
    ingest: { maxMessageBytes: 4096, maxFutureSkewMs: 1000, maxBytesPerPartition: 65_536, partitionsConsumedConcurrently: 4, retryInitialMs: 50, retryMaxMs: 50, decodeWorkers: 3 },
    analyzer: { groupId: 'ag', maxAttempts: 5, retryInitialMs: 10, sweepIntervalMs: 1000, defaultMonitors: false, instance: 'node-a' },
    alerting: {
      groupId: 'alg', slackApiUrl: 'http://slack.local/api', urlPolicy: { allowedHosts: ['hooks.example.com'], allowPrivate: true },
      deliveryTimeoutMs: 3000, retryPolicy: { initialMs: 5, maxMs: 10, maxAttempts: 2 }, autoDisableAfter: 7,
    },
    monitors: [],
    rules: [],
    logLevel: 'warn',
    demo: true,
  });
});

test('config file: keys it does not set keep their defaults; integers may be strings', () => {
  const config = load({}, configFile({ http: { port: '7000' } }));
  assert.equal(config.http.port, 7000);
  assert.equal(config.http.host, '127.0.0.1');
  assert.equal(config.clickhouse.database, 'driftwatch');
});

test('the environment beats the file, key by key', () => {
  const path = configFile({ http: { port: 9000, host: '127.0.0.2' }, kafka: { brokers: ['file:9092'] }, logLevel: 'warn' });
  const config = load({ PORT: '9100', DRIFTWATCH_KAFKA_BROKERS: 'env:9092' }, path);
  assert.equal(config.http.port, 9100);
  assert.deepEqual(config.kafka.brokers, ['env:9092']);
  assert.equal(config.http.host, '127.0.0.2', 'from the file');
  assert.equal(config.logLevel, 'warn', 'from the file');
});

test('DRIFTWATCH_CONFIG names the file when no path is passed', () => {
  const path = configFile({ http: { port: 9555 } });
  assert.equal(loadConfig({ DRIFTWATCH_CONFIG: path }).http.port, 9555);
});

const ENV_ERRORS: Array<{ name: string; env: NodeJS.ProcessEnv; patterns: Array<string | RegExp> }> = [
  { name: 'a port above 65535', env: { PORT: '65536' }, patterns: ['environment variable PORT', 'between 0 and 65535'] },
  { name: 'a negative port', env: { PORT: '-1' }, patterns: ['environment variable PORT', 'between 0 and 65535'] },
  { name: 'a port that is not a number', env: { PORT: 'http' }, patterns: ['environment variable PORT', 'must be an integer'] },
  { name: 'a fractional port', env: { PORT: '80.5' }, patterns: ['environment variable PORT', 'must be an integer'] },
  { name: 'a port in exponent form', env: { PORT: '8e3' }, patterns: ['environment variable PORT', 'must be an integer'] },
  { name: 'a URL without a scheme', env: { DRIFTWATCH_CLICKHOUSE_URL: '127.0.0.1:18123' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_URL', /must (be a URL|use http: or https:)/] },
  { name: 'not a URL', env: { DRIFTWATCH_CLICKHOUSE_URL: 'not a url' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_URL', 'must be a URL such as http://127.0.0.1:18123, got "not a url"'] },
  { name: 'a URL with another scheme', env: { DRIFTWATCH_CLICKHOUSE_URL: 'ftp://ch:21' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_URL', 'must use http: or https:, got "ftp:"'] },
  { name: 'an unknown role', env: { DRIFTWATCH_ROLES: 'ingest,alerts' }, patterns: ['environment variable DRIFTWATCH_ROLES', 'unknown role "alerts"'] },
  { name: 'no role at all', env: { DRIFTWATCH_ROLES: ' , ' }, patterns: ['environment variable DRIFTWATCH_ROLES', 'must not be empty'] },
  { name: 'an unknown scope', env: { DRIFTWATCH_API_TOKENS: `${TOKEN}:ingest+write` }, patterns: ['environment variable DRIFTWATCH_API_TOKENS', 'unknown scope "write"'] },
  { name: 'a token without scopes', env: { DRIFTWATCH_API_TOKENS: TOKEN }, patterns: ['environment variable DRIFTWATCH_API_TOKENS', 'token:scope+scope'] },
  { name: 'an empty scope', env: { DRIFTWATCH_API_TOKENS: `${TOKEN}:` }, patterns: ['environment variable DRIFTWATCH_API_TOKENS', 'unknown scope ""'] },
  { name: 'a short token', env: { DRIFTWATCH_API_TOKENS: 'short-token:admin' }, patterns: ['environment variable DRIFTWATCH_API_TOKENS', 'at least 16 characters'] },
  { name: 'a 15-character token', env: { DRIFTWATCH_API_TOKENS: `${'t'.repeat(15)}:admin` }, patterns: ['environment variable DRIFTWATCH_API_TOKENS', 'at least 16 characters'] },
  { name: 'a database name that needs quoting', env: { DRIFTWATCH_CLICKHOUSE_DATABASE: 'dw-prod' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_DATABASE', 'must match'] },
  { name: 'a database name with an injection', env: { DRIFTWATCH_CLICKHOUSE_DATABASE: 'x;DROP DATABASE y' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_DATABASE'] },
  { name: 'a topic name with a space', env: { DRIFTWATCH_TOPIC_PREDICTIONS: 'my topic' }, patterns: ['environment variable DRIFTWATCH_TOPIC_PREDICTIONS', 'Kafka topic name'] },
  { name: 'a topic name with a slash', env: { DRIFTWATCH_TOPIC_DLQ: 'a/b' }, patterns: ['environment variable DRIFTWATCH_TOPIC_DLQ', 'Kafka topic name'] },
  { name: 'a topic name of 250 characters', env: { DRIFTWATCH_TOPIC_LABELS: 'l'.repeat(250) }, patterns: ['environment variable DRIFTWATCH_TOPIC_LABELS', 'at most 249'] },
  { name: 'an unknown log level', env: { DRIFTWATCH_LOG_LEVEL: 'verbose' }, patterns: ['environment variable DRIFTWATCH_LOG_LEVEL', 'must be one of debug, info, warn, error'] },
  { name: 'a message limit below 256', env: { DRIFTWATCH_MAX_MESSAGE_BYTES: '255' }, patterns: ['environment variable DRIFTWATCH_MAX_MESSAGE_BYTES', 'between 256 and'] },
  { name: 'zero partitions', env: { DRIFTWATCH_KAFKA_TOPIC_PARTITIONS: '0' }, patterns: ['environment variable DRIFTWATCH_KAFKA_TOPIC_PARTITIONS', 'between 1 and 1000'] },
  { name: 'a timeout below 100 ms', env: { DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS: '99' }, patterns: ['environment variable DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS', 'between 100 and'] },
  { name: 'a demo flag that is not a boolean', env: { DRIFTWATCH_DEMO: 'yes' }, patterns: ['environment variable DRIFTWATCH_DEMO', 'must be true/false or 1/0'] },
  { name: 'retry max below retry initial', env: { DRIFTWATCH_RETRY_INITIAL_MS: '500', DRIFTWATCH_RETRY_MAX_MS: '499' }, patterns: ['DRIFTWATCH_RETRY_MAX_MS', 'DRIFTWATCH_RETRY_INITIAL_MS'] },
  { name: 'retry max below the default initial delay', env: { DRIFTWATCH_RETRY_MAX_MS: '100' }, patterns: ['DRIFTWATCH_RETRY_MAX_MS must not be smaller than DRIFTWATCH_RETRY_INITIAL_MS'] },
];

for (const { name, env, patterns } of ENV_ERRORS) {
  test(`error names the key: ${name}`, () => {
    assertConfigError(() => load(env), ...patterns);
  });
}

const FILE_ERRORS: Array<{ name: string; content: unknown; patterns: Array<string | RegExp> }> = [
  { name: 'a port given as a float', content: { http: { port: 80.5 } }, patterns: ['config key "http.port" in', 'must be an integer'] },
  { name: 'a port given as a boolean', content: { http: { port: true } }, patterns: ['config key "http.port"', 'must be an integer'] },
  { name: 'a port out of range', content: { http: { port: 70000 } }, patterns: ['config key "http.port"', 'between 0 and 65535'] },
  { name: 'an unknown role', content: { roles: ['api', 'web'] }, patterns: ['config key "roles"', 'unknown role "web"'] },
  { name: 'roles as an object', content: { roles: { api: true } }, patterns: ['config key "roles"', 'comma-separated list or an array'] },
  { name: 'brokers holding a number', content: { kafka: { brokers: ['k:9092', 9092] } }, patterns: ['config key "kafka.brokers"', 'only strings'] },
  { name: 'a token entry with an unknown scope', content: { auth: { tokens: [{ token: TOKEN, scopes: ['superuser'] }] } }, patterns: ['config key "auth.tokens"', 'unknown scope "superuser"'] },
  { name: 'a token entry without scopes', content: { auth: { tokens: [{ token: TOKEN, scopes: [] }] } }, patterns: ['config key "auth.tokens"', 'at least one scope'] },
  { name: 'a token that is not a string', content: { auth: { tokens: [{ token: 1234567890123456789, scopes: ['read'] }] } }, patterns: ['config key "auth.tokens"', 'at least 16 characters'] },
  { name: 'tokens as an object', content: { auth: { tokens: { token: TOKEN } } }, patterns: ['config key "auth.tokens"', 'an array'] },
  { name: 'a bad URL', content: { clickhouse: { url: 'ch:8123' } }, patterns: ['config key "clickhouse.url"'] },
  { name: 'an empty user name', content: { clickhouse: { username: '' } }, patterns: ['config key "clickhouse.username"', 'non-empty string'] },
  { name: 'a password that is a number', content: { clickhouse: { password: 1234 } }, patterns: ['config key "clickhouse.password"', 'must be a string'] },
  { name: 'a demo flag given as a number', content: { demo: 1 }, patterns: ['config key "demo"', 'must be true/false or 1/0'] },
  { name: 'a bad topic name', content: { kafka: { topics: { features: 'features!' } } }, patterns: ['config key "kafka.topics.features"', 'Kafka topic name'] },
];

for (const { name, content, patterns } of FILE_ERRORS) {
  test(`config file error names the key and the file: ${name}`, () => {
    const path = configFile(content);
    assertConfigError(() => load({}, path), ...patterns, path);
  });
}

test('config file: an unreadable file, a directory, invalid JSON and a non-object are refused with the path', () => {
  const missing = join(dir, 'does-not-exist.json');
  assertConfigError(() => load({}, missing), `cannot read config file ${missing}`, 'ENOENT');
  const directory = join(dir, 'a-directory.json');
  mkdirSync(directory);
  assertConfigError(() => load({}, directory), `cannot read config file ${directory}`);
  const broken = configFile('{"http": {"port": 80,}}');
  assertConfigError(() => load({}, broken), `config file ${broken} is not valid JSON`);
  const empty = configFile('');
  assertConfigError(() => load({}, empty), `config file ${empty} is not valid JSON`);
  for (const content of ['[]', 'null', '42', '"text"']) {
    const path = configFile(content);
    assertConfigError(() => load({}, path), `config file ${path} must hold a JSON object`);
  }
});

test('an error in the file is reported even when the environment sets another key', () => {
  const path = configFile({ http: { port: 'eighty' } });
  assertConfigError(() => load({ HOST: '127.0.0.1' }, path), 'config key "http.port"');
  // ...but a valid environment value replaces an invalid file value for the same key.
  assert.equal(load({ PORT: '81' }, path).http.port, 81);
});

const NON_LOOPBACK = ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', 'localhost.example.com', '128.0.0.1'];

for (const host of NON_LOOPBACK) {
  test(`HOST=${host} without tokens is refused; with a token it is allowed`, () => {
    assertConfigError(() => load({ HOST: host }), `HOST=${host}`, 'DRIFTWATCH_API_TOKENS', 'not a loopback address');
    assert.equal(load({ HOST: host, DRIFTWATCH_API_TOKENS: `${TOKEN}:read` }).http.host, host);
  });
}

test('a non-loopback host from the file without tokens is refused too', () => {
  assertConfigError(() => load({}, configFile({ http: { host: '0.0.0.0' } })), 'not a loopback address');
});

const LOOPBACK = ['127.0.0.1', '127.0.0.2', '127.255.255.254', '127.1.2.3', 'localhost', '::1'];

for (const host of LOOPBACK) {
  test(`HOST=${host} is loopback: allowed without tokens`, () => {
    assert.equal(isLoopbackHost(host), true);
    assert.equal(load({ HOST: host }).http.host, host);
  });
}

test('isLoopbackHost: look-alikes are not loopback', () => {
  for (const host of ['127.0.0.1.example.com', 'x127.0.0.1', '127.0.0', '0:0:0:0:0:0:0:2', 'localhost:8080', '']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('retry max equal to retry initial is allowed', () => {
  const config = load({ DRIFTWATCH_RETRY_INITIAL_MS: '500', DRIFTWATCH_RETRY_MAX_MS: '500' });
  assert.deepEqual([config.ingest.retryInitialMs, config.ingest.retryMaxMs], [500, 500]);
});

test('monitors declared in the config file are parsed, and a bad one names its field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-monitors-'));
  try {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ monitors: [{ id: 'fraud-hourly', model_id: 'fraud', reference: { type: 'trailing', length: '1d', offset: '0s' } }] }));
    const config = loadConfig({}, good);
    assert.deepEqual(config.monitors.map((monitor) => [monitor.id, monitor.modelId, monitor.window]), [['fraud-hourly', 'fraud', '1h']]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ monitors: [{ id: 'ok', model_id: 'a' }, { id: 'x', model_id: 'b', reference: { type: 'trailing', length: '7 days' } }] }));
    assert.throws(() => loadConfig({}, bad), (error: unknown) => error instanceof ConfigError && /monitors\[1\]\.reference\.length/.test(error.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rules declared in the config file are parsed (presets too), and a bad one names its field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-rules-'));
  try {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ rules: [{ preset: 'any_feature_drifts', params: { model_id: 'fraud' } }, { id: 'share', name: 'Share', metric: 'drift_share', condition: { operator: '>', threshold: 0.5 } }] }));
    const config = loadConfig({}, good);
    assert.deepEqual(config.rules.map((rule) => [rule.id, rule.metric, rule.modelId]), [['any_feature_drifts.fraud', 'drifted', 'fraud'], ['share', 'drift_share', null]]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ id: 'x', name: 'X', metric: 'ks_p_value', condition: { operator: '<', threshold: 5 } }] }));
    assert.throws(() => loadConfig({}, bad), (error: unknown) => error instanceof ConfigError && /rules\[0\]\.condition\.threshold/.test(error.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

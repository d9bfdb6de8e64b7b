// alerting/delivery/definitions.ts: channels (slack, email, webhook), subscriptions and
// retraining targets with their defaults and every error by field path and exact message,
// the `where` prefix, and the write-only secrets (redactSecrets, keepStoredSecrets).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cooldownMs, DeliveryDefinitionError, keepStoredSecrets, parseChannel, parseRetrainingTarget, parseSubscription,
  redactSecrets, type ChannelDefinition, type RetrainingTargetDefinition, type SubscriptionDefinition,
} from '../../alerting/delivery/definitions.js';
import { RuleDefinitionError } from '../../alerting/rules/definition.js';

const H = 3_600_000;

const SLACK = { id: 'ops-slack', kind: 'slack', channel: 'C0123ABC', token: 'xoxb-secret-1' };
const EMAIL = {
  id: 'ops-mail', kind: 'email', host: 'smtp.example.com', port: 587, security: 'starttls',
  username: 'driftwatch', password: 'smtp-secret', from: 'Driftwatch <dw@example.com>', to: ['ml@example.com', 'oncall@example.com'],
};
const WEBHOOK = { id: 'ops-hook', kind: 'webhook', url: 'https://hooks.example.com/driftwatch', secret: 'hmac-secret' };

/** A copy of `record` without `key` (a present-but-undefined key is not the same as a missing one). */
function without(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** Asserts the thrown error is a DeliveryDefinitionError naming `field` with `problem`. */
function assertDefinitionError(run: () => unknown, field: string, problem: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DeliveryDefinitionError, `expected DeliveryDefinitionError, got ${String(error)}`);
    assert.ok(error instanceof RuleDefinitionError, 'API code maps RuleDefinitionError subclasses to one error shape');
    assert.equal(error.name, 'DeliveryDefinitionError');
    assert.equal(error.field, field);
    if (typeof problem === 'string') {
      assert.equal(error.problem, problem);
      assert.equal(error.message, `${field}: ${problem}`);
    } else {
      assert.match(error.problem, problem);
    }
    return true;
  });
}

// ---------------------------------------------------------------------------------------
// Channels

test('valid channels get enabled and send_resolved defaults', async (t) => {
  const rows: Array<{ name: string; input: Record<string, unknown>; expected: ChannelDefinition }> = [
    { name: 'slack', input: SLACK, expected: { ...SLACK, kind: 'slack', enabled: true, send_resolved: true } },
    { name: 'email with credentials', input: EMAIL, expected: { ...EMAIL, kind: 'email', security: 'starttls', enabled: true, send_resolved: true } },
    {
      name: 'email through a local relay without credentials',
      input: { id: 'relay', kind: 'email', host: 'localhost', port: 25, security: 'none', from: 'dw@example.com', to: ['ml@example.com'] },
      expected: { id: 'relay', kind: 'email', host: 'localhost', port: 25, security: 'none', from: 'dw@example.com', to: ['ml@example.com'], enabled: true, send_resolved: true },
    },
    { name: 'webhook', input: WEBHOOK, expected: { ...WEBHOOK, kind: 'webhook', enabled: true, send_resolved: true } },
    { name: 'webhook over plain http', input: { ...WEBHOOK, url: 'HTTP://hooks.internal/dw' }, expected: { ...WEBHOOK, kind: 'webhook', url: 'HTTP://hooks.internal/dw', enabled: true, send_resolved: true } },
    {
      name: 'explicit false flags are kept',
      input: { ...SLACK, name: 'Ops channel', enabled: false, send_resolved: false },
      expected: { ...SLACK, kind: 'slack', name: 'Ops channel', enabled: false, send_resolved: false },
    },
    { name: 'port 1', input: { ...EMAIL, port: 1 }, expected: { ...EMAIL, kind: 'email', security: 'starttls', port: 1, enabled: true, send_resolved: true } },
    { name: 'port 65535', input: { ...EMAIL, port: 65535 }, expected: { ...EMAIL, kind: 'email', security: 'starttls', port: 65535, enabled: true, send_resolved: true } },
  ];
  for (const row of rows) await t.test(row.name, () => assert.deepEqual(parseChannel(row.input), row.expected));
});

test('parseChannel does not change its input', () => {
  const input = structuredClone(SLACK);
  parseChannel(input);
  assert.deepEqual(input, SLACK);
});

const SLACK_FIELDS = 'id, name, enabled, send_resolved, kind, channel, token';
const EMAIL_FIELDS = 'id, name, enabled, send_resolved, kind, host, port, security, username, password, from, to';
const WEBHOOK_FIELDS = 'id, name, enabled, send_resolved, kind, url, secret';

const CHANNEL_ERRORS: Array<{ name: string; input: unknown; where?: string; field: string; problem: string }> = [
  { name: 'not an object', input: 'slack', field: 'channel', problem: 'must be an object' },
  { name: 'null', input: null, field: 'channel', problem: 'must be an object' },
  { name: 'an array', input: [SLACK], field: 'channel', problem: 'must be an object' },
  { name: 'missing kind', input: without(SLACK, 'kind'), field: 'kind', problem: 'must be one of slack, email, webhook (got nothing)' },
  { name: 'unknown kind', input: { ...SLACK, kind: 'teams' }, field: 'kind', problem: 'must be one of slack, email, webhook (got "teams")' },
  { name: 'kind not text', input: { ...SLACK, kind: 1 }, field: 'kind', problem: 'must be one of slack, email, webhook (got 1)' },
  { name: 'kind in capitals', input: { ...SLACK, kind: 'Slack' }, field: 'kind', problem: 'must be one of slack, email, webhook (got "Slack")' },
  { name: 'missing id', input: without(SLACK, 'id'), field: 'id', problem: 'is required' },
  { name: 'bad id', input: { ...SLACK, id: 'ops slack' }, field: 'id', problem: 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got "ops slack")' },
  { name: 'empty name', input: { ...SLACK, name: '' }, field: 'name', problem: 'must not be empty' },
  { name: 'enabled as text', input: { ...SLACK, enabled: 'yes' }, field: 'enabled', problem: 'must be true or false (got "yes")' },
  { name: 'send_resolved as a number', input: { ...SLACK, send_resolved: 0 }, field: 'send_resolved', problem: 'must be true or false (got 0)' },
  // Slack
  { name: 'slack: missing token', input: without(SLACK, 'token'), field: 'token', problem: 'is required' },
  { name: 'slack: empty token', input: { ...SLACK, token: '' }, field: 'token', problem: 'must not be empty' },
  { name: 'slack: missing channel', input: without(SLACK, 'channel'), field: 'channel', problem: 'is required' },
  { name: 'slack: unknown field', input: { ...SLACK, webhook_url: 'https://hooks.slack.com/x' }, field: 'webhook_url', problem: `is not a known field (known: ${SLACK_FIELDS})` },
  { name: 'slack: a field of another kind', input: { ...SLACK, secret: 'x' }, field: 'secret', problem: `is not a known field (known: ${SLACK_FIELDS})` },
  // Email
  { name: 'email: port 0', input: { ...EMAIL, port: 0 }, field: 'port', problem: 'must be >= 1 (got 0)' },
  { name: 'email: port 65536', input: { ...EMAIL, port: 65536 }, field: 'port', problem: 'must be <= 65535 (got 65536)' },
  { name: 'email: fractional port', input: { ...EMAIL, port: 58.7 }, field: 'port', problem: 'must be an integer (got 58.7)' },
  { name: 'email: port as text', input: { ...EMAIL, port: '587' }, field: 'port', problem: 'must be an integer (got "587")' },
  { name: 'email: missing port', input: without(EMAIL, 'port'), field: 'port', problem: 'is required' },
  { name: 'email: unknown security', input: { ...EMAIL, security: 'ssl' }, field: 'security', problem: 'must be one of tls, starttls, none (got "ssl")' },
  { name: 'email: username without password', input: without(EMAIL, 'password'), field: 'password', problem: 'username and password go together' },
  { name: 'email: password without username', input: without(EMAIL, 'username'), field: 'username', problem: 'username and password go together' },
  { name: 'email: no recipients', input: { ...EMAIL, to: [] }, field: 'to', problem: 'must have at least 1 item (omit the field instead of sending [])' },
  { name: 'email: recipients not a list', input: { ...EMAIL, to: 'ml@example.com' }, field: 'to', problem: 'must be an array (got "ml@example.com")' },
  { name: 'email: repeated recipient', input: { ...EMAIL, to: ['a@example.com', 'b@example.com', 'a@example.com'] }, field: 'to[2]', problem: 'repeats item [0] (got "a@example.com")' },
  { name: 'email: empty recipient', input: { ...EMAIL, to: ['a@example.com', ''] }, field: 'to[1]', problem: 'must not be empty' },
  { name: 'email: unknown field', input: { ...EMAIL, cc: ['x@example.com'] }, field: 'cc', problem: `is not a known field (known: ${EMAIL_FIELDS})` },
  // Webhook
  { name: 'webhook: ftp url', input: { ...WEBHOOK, url: 'ftp://hooks.example.com/dw' }, field: 'url', problem: 'must be an http:// or https:// URL' },
  { name: 'webhook: url without scheme', input: { ...WEBHOOK, url: 'hooks.example.com/dw' }, field: 'url', problem: 'must be an http:// or https:// URL' },
  { name: 'webhook: javascript url', input: { ...WEBHOOK, url: 'javascript:alert(1)//http://x' }, field: 'url', problem: 'must be an http:// or https:// URL' },
  { name: 'webhook: missing secret', input: without(WEBHOOK, 'secret'), field: 'secret', problem: 'is required' },
  { name: 'webhook: empty url', input: { ...WEBHOOK, url: '' }, field: 'url', problem: 'must not be empty' },
  { name: 'webhook: unknown field', input: { ...WEBHOOK, headers: {} }, field: 'headers', problem: `is not a known field (known: ${WEBHOOK_FIELDS})` },
  // The `where` prefix
  { name: 'prefix: missing token', input: without(SLACK, 'token'), where: 'channels[2]', field: 'channels[2].token', problem: 'is required' },
  { name: 'prefix: kind', input: { ...SLACK, kind: 'sms' }, where: 'channels[2]', field: 'channels[2].kind', problem: 'must be one of slack, email, webhook (got "sms")' },
  { name: 'prefix: whole channel', input: 42, where: 'channels[2]', field: 'channels[2]', problem: 'must be an object' },
  { name: 'prefix: repeated recipient', input: { ...EMAIL, to: ['a@example.com', 'a@example.com'] }, where: 'channels[0]', field: 'channels[0].to[1]', problem: 'repeats item [0] (got "a@example.com")' },
  { name: 'prefix: webhook url', input: { ...WEBHOOK, url: 'ws://x' }, where: 'delivery.channels[1]', field: 'delivery.channels[1].url', problem: 'must be an http:// or https:// URL' },
  { name: 'prefix: email pair', input: without(EMAIL, 'username'), where: 'channels[3]', field: 'channels[3].username', problem: 'username and password go together' },
];

test('invalid channels name the field', async (t) => {
  for (const row of CHANNEL_ERRORS) {
    await t.test(row.name, () => assertDefinitionError(() => parseChannel(row.input, row.where), row.field, row.problem));
  }
});

// ---------------------------------------------------------------------------------------
// Subscriptions

test('valid subscriptions get their defaults', async (t) => {
  const rows: Array<{ name: string; input: Record<string, unknown>; expected: SubscriptionDefinition }> = [
    {
      name: 'minimal: every model, info and up, enabled',
      input: { id: 'all-to-slack', channel_id: 'ops-slack' },
      expected: { id: 'all-to-slack', channel_id: 'ops-slack', models: [], min_severity: 'info', enabled: true },
    },
    {
      name: 'everything given',
      input: { id: 'fraud-critical', channel_id: 'ops-mail', models: ['fraud', 'churn/v2'], min_severity: 'critical', enabled: false },
      expected: { id: 'fraud-critical', channel_id: 'ops-mail', models: ['fraud', 'churn/v2'], min_severity: 'critical', enabled: false },
    },
    {
      name: 'an empty model list stays empty (every model)',
      input: { id: 's', channel_id: 'c', models: [], min_severity: 'warning' },
      expected: { id: 's', channel_id: 'c', models: [], min_severity: 'warning', enabled: true },
    },
    {
      name: 'id characters at the edge of the pattern',
      input: { id: 'A.z_0:9-', channel_id: 'x'.repeat(128) },
      expected: { id: 'A.z_0:9-', channel_id: 'x'.repeat(128), models: [], min_severity: 'info', enabled: true },
    },
  ];
  for (const row of rows) await t.test(row.name, () => assert.deepEqual(parseSubscription(row.input), row.expected));
});

const SUBSCRIPTION = { id: 'fraud-critical', channel_id: 'ops-slack' };
const SUBSCRIPTION_FIELDS = 'id, channel_id, models, min_severity, enabled';
const ID_PROBLEM = (got: string) => `must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got ${got})`;

const SUBSCRIPTION_ERRORS: Array<{ name: string; input: unknown; where?: string; field: string; problem: string }> = [
  { name: 'not an object', input: null, field: 'definition', problem: 'must be an object (got null)' },
  { name: 'unknown severity', input: { ...SUBSCRIPTION, min_severity: 'page' }, field: 'min_severity', problem: 'must be one of info, warning, critical (got "page")' },
  { name: 'severity in capitals', input: { ...SUBSCRIPTION, min_severity: 'Critical' }, field: 'min_severity', problem: 'must be one of info, warning, critical (got "Critical")' },
  { name: 'id with a space', input: { ...SUBSCRIPTION, id: 'fraud critical' }, field: 'id', problem: ID_PROBLEM('"fraud critical"') },
  { name: 'id with a slash', input: { ...SUBSCRIPTION, id: 'fraud/critical' }, field: 'id', problem: ID_PROBLEM('"fraud/critical"') },
  { name: 'empty id', input: { ...SUBSCRIPTION, id: '' }, field: 'id', problem: ID_PROBLEM('""') },
  { name: 'id of 129 characters', input: { ...SUBSCRIPTION, id: 'a'.repeat(129) }, field: 'id', problem: ID_PROBLEM(`"${'a'.repeat(76)}...`) },
  { name: 'bad channel id', input: { ...SUBSCRIPTION, channel_id: 'ops#slack' }, field: 'channel_id', problem: ID_PROBLEM('"ops#slack"') },
  { name: 'missing channel', input: { id: 's' }, field: 'channel_id', problem: 'is required' },
  { name: 'models not a list', input: { ...SUBSCRIPTION, models: 'fraud' }, field: 'models', problem: 'must be an array (got "fraud")' },
  { name: 'bad model id', input: { ...SUBSCRIPTION, models: ['fraud', '-x'] }, field: 'models[1]', problem: 'must match ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ (got "-x")' },
  { name: 'repeated model', input: { ...SUBSCRIPTION, models: ['fraud', 'fraud'] }, field: 'models[1]', problem: 'repeats item [0] (got "fraud")' },
  { name: 'enabled as text', input: { ...SUBSCRIPTION, enabled: 'false' }, field: 'enabled', problem: 'must be true or false (got "false")' },
  { name: 'unknown field', input: { ...SUBSCRIPTION, channel: 'ops-slack' }, field: 'channel', problem: `is not a known field (known: ${SUBSCRIPTION_FIELDS})` },
  { name: 'prefix', input: { ...SUBSCRIPTION, min_severity: 'high' }, where: 'subscriptions[4]', field: 'subscriptions[4].min_severity', problem: 'must be one of info, warning, critical (got "high")' },
  { name: 'prefix on the whole subscription', input: [], where: 'subscriptions[0]', field: 'subscriptions[0]', problem: 'must be an object (got an array)' },
];

test('invalid subscriptions name the field', async (t) => {
  for (const row of SUBSCRIPTION_ERRORS) {
    await t.test(row.name, () => assertDefinitionError(() => parseSubscription(row.input, row.where), row.field, row.problem));
  }
});

// ---------------------------------------------------------------------------------------
// Retraining targets

const GITHUB_TARGET = { id: 'gh-retrain', target: { kind: 'github', repository: 'acme/fraud-model', token: 'ghp_secret' } };
const AIRFLOW_TARGET = {
  id: 'af-retrain', name: 'Airflow retrain DAG', cooldown: '6h', require_approval: true,
  target: { kind: 'airflow', base_url: 'https://airflow.example.com', dag_id: 'retrain_fraud', auth: { username: 'driftwatch', password: 'af-secret' } },
};
const KUBEFLOW_TARGET = {
  id: 'kf-retrain',
  target: {
    kind: 'kubeflow', base_url: 'https://kubeflow.example.com/pipeline', pipeline_id: 'p-1', pipeline_version_id: 'pv-1',
    experiment_id: 'e-1', token: 'kf-secret', parameters_template: { model: '{{ model_id }}', context: '{{ context }}' },
  },
};
const WEBHOOK_TARGET = {
  id: 'wh-retrain', cooldown: '0s',
  target: { kind: 'webhook', url: 'http://ml.internal:8080/retrain', token: 'wh-token', secret: 'wh-secret', body_template: { model: 'model {{ model_id }}' } },
};

test('valid retraining targets, one per preset, with defaults', async (t) => {
  const rows: Array<{ name: string; input: Record<string, unknown>; expected: RetrainingTargetDefinition; ms: number }> = [
    {
      name: 'github: cooldown 24h and no approval by default, no name key',
      input: GITHUB_TARGET,
      expected: { id: 'gh-retrain', target: { kind: 'github', repository: 'acme/fraud-model', token: 'ghp_secret' }, cooldown: '24h', require_approval: false },
      ms: 24 * H,
    },
    {
      name: 'airflow with basic auth, name, cooldown and approval',
      input: AIRFLOW_TARGET,
      expected: { id: 'af-retrain', name: 'Airflow retrain DAG', target: AIRFLOW_TARGET.target as RetrainingTargetDefinition['target'], cooldown: '6h', require_approval: true },
      ms: 6 * H,
    },
    {
      name: 'airflow with a token',
      input: { id: 'af2', cooldown: '90m', target: { kind: 'airflow', base_url: 'https://airflow.example.com/prefix', dag_id: 'd.a-g_1', auth: { token: 'af-token' } } },
      expected: { id: 'af2', target: { kind: 'airflow', base_url: 'https://airflow.example.com/prefix', dag_id: 'd.a-g_1', auth: { token: 'af-token' } }, cooldown: '90m', require_approval: false },
      ms: 90 * 60_000,
    },
    {
      name: 'kubeflow',
      input: KUBEFLOW_TARGET,
      expected: { id: 'kf-retrain', target: KUBEFLOW_TARGET.target as RetrainingTargetDefinition['target'], cooldown: '24h', require_approval: false },
      ms: 24 * H,
    },
    {
      name: 'webhook with cooldown 0s',
      input: WEBHOOK_TARGET,
      expected: { id: 'wh-retrain', target: WEBHOOK_TARGET.target as RetrainingTargetDefinition['target'], cooldown: '0s', require_approval: false },
      ms: 0,
    },
    {
      name: 'cooldown in weeks',
      input: { ...GITHUB_TARGET, cooldown: '2w' },
      expected: { id: 'gh-retrain', target: { kind: 'github', repository: 'acme/fraud-model', token: 'ghp_secret' }, cooldown: '2w', require_approval: false },
      ms: 14 * 24 * H,
    },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const parsed = parseRetrainingTarget(row.input);
      assert.deepEqual(parsed, row.expected);
      assert.equal(cooldownMs(parsed), row.ms);
    });
  }
});

test('cooldownMs of a hand-built definition', async (t) => {
  const rows: Array<{ cooldown: string; ms: number }> = [
    { cooldown: '30s', ms: 30_000 },
    { cooldown: '15m', ms: 900_000 },
    { cooldown: '24h', ms: 86_400_000 },
    { cooldown: '7d', ms: 604_800_000 },
    { cooldown: '1w', ms: 604_800_000 },
    { cooldown: '0s', ms: 0 },
    // Not reachable through parseRetrainingTarget; a bad stored value counts as no cooldown.
    { cooldown: '1 day', ms: 0 },
  ];
  for (const row of rows) {
    await t.test(row.cooldown, () => {
      const definition: RetrainingTargetDefinition = { id: 't', target: { kind: 'github', repository: 'a/b' }, cooldown: row.cooldown, require_approval: false };
      assert.equal(cooldownMs(definition), row.ms);
    });
  }
});

const TARGET_FIELDS = 'id, name, target, cooldown, require_approval';

const TARGET_ERRORS: Array<{ name: string; input: unknown; where?: string; field: string; problem: string | RegExp }> = [
  { name: 'not an object', input: 'github', field: 'definition', problem: 'must be an object (got "github")' },
  { name: 'missing target', input: { id: 't' }, field: 'target', problem: 'is required' },
  { name: 'target kind missing', input: { id: 't', target: { repository: 'acme/x' } }, field: 'target.kind', problem: 'is required' },
  { name: 'unknown target kind', input: { id: 't', target: { kind: 'jenkins' } }, field: 'target.kind', problem: 'must be one of github, airflow, kubeflow, webhook (got "jenkins")' },
  { name: 'bad id', input: { ...GITHUB_TARGET, id: 'gh retrain' }, field: 'id', problem: ID_PROBLEM('"gh retrain"') },
  { name: 'cooldown as words', input: { ...GITHUB_TARGET, cooldown: '1 day' }, field: 'cooldown', problem: 'must be a duration such as "4h" (got "1 day"): an integer and one of s, m, h, d, w' },
  { name: 'cooldown without unit', input: { ...GITHUB_TARGET, cooldown: '3600' }, field: 'cooldown', problem: 'must be a duration such as "4h" (got "3600"): an integer and one of s, m, h, d, w' },
  { name: 'cooldown as a number', input: { ...GITHUB_TARGET, cooldown: 3600 }, field: 'cooldown', problem: 'must be a string (got 3600)' },
  { name: 'require_approval as text', input: { ...GITHUB_TARGET, require_approval: 'yes' }, field: 'require_approval', problem: 'must be true or false (got "yes")' },
  { name: 'unknown field', input: { ...GITHUB_TARGET, retries: 3 }, field: 'retries', problem: `is not a known field (known: ${TARGET_FIELDS})` },
  // Preset checks, under target.
  { name: 'github: repository without owner', input: { id: 't', target: { kind: 'github', repository: 'fraud-model' } }, field: 'target.repository', problem: 'must be "owner/repo"' },
  { name: 'github: repository as a URL', input: { id: 't', target: { kind: 'github', repository: 'https://github.com/acme/x' } }, field: 'target.repository', problem: 'must be "owner/repo"' },
  { name: 'github: missing repository', input: { id: 't', target: { kind: 'github' } }, field: 'target.repository', problem: 'must be a non-empty string' },
  { name: 'github: token with a newline', input: { id: 't', target: { kind: 'github', repository: 'a/b', token: 'ghp_x\r\nX-Evil: 1' } }, field: 'target.token', problem: 'must be non-empty visible ASCII without spaces' },
  { name: 'github: api_url with a query', input: { id: 't', target: { kind: 'github', repository: 'a/b', api_url: 'https://ghe.example.com/api/v3?x=1' } }, field: 'target.api_url', problem: 'must not have a query' },
  { name: 'airflow: base_url not http', input: { id: 't', target: { kind: 'airflow', base_url: 'ftp://airflow', dag_id: 'd' } }, field: 'target.base_url', problem: 'must be an http(s) URL' },
  { name: 'airflow: bad dag id', input: { id: 't', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'retrain fraud' } }, field: 'target.dag_id', problem: 'may contain only letters, digits, "_", "." and "-"' },
  { name: 'airflow: username with a colon', input: { id: 't', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'd', auth: { username: 'a:b', password: 'p' } } }, field: 'target.auth.username', problem: 'must not contain ":" (HTTP Basic)' },
  { name: 'airflow: empty password', input: { id: 't', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'd', auth: { username: 'a', password: '' } } }, field: 'target.auth.password', problem: 'must be a non-empty string' },
  { name: 'kubeflow: missing pipeline_version_id', input: { id: 't', target: { kind: 'kubeflow', base_url: 'https://kf', pipeline_id: 'p' } }, field: 'target.pipeline_version_id', problem: 'must be a non-empty string' },
  { name: 'kubeflow: parameters not an object', input: { id: 't', target: { kind: 'kubeflow', base_url: 'https://kf', pipeline_id: 'p', pipeline_version_id: 'v', parameters_template: ['x'] } }, field: 'target.parameters_template', problem: 'must be an object of parameter name to value' },
  { name: 'webhook: url not http', input: { id: 't', target: { kind: 'webhook', url: 'file:///etc/passwd' } }, field: 'target.url', problem: 'must be an http(s) URL' },
  { name: 'webhook: url with credentials', input: { id: 't', target: { kind: 'webhook', url: 'https://u:p@ml.example.com/retrain' } }, field: 'target.url', problem: 'must not contain credentials; use the auth settings' },
  { name: 'webhook: unknown placeholder', input: { id: 't', target: { kind: 'webhook', url: 'https://ml.example.com', body_template: { m: '{{ model }}' } } }, field: 'target.body_template.m', problem: /^unknown placeholder \{\{ model \}\}; use one of model_id, / },
  // The `where` prefix, for the schema and for the preset checks.
  { name: 'prefix: github repository', input: { id: 't', target: { kind: 'github', repository: 'acme' } }, where: 'retraining_targets[1]', field: 'retraining_targets[1].target.repository', problem: 'must be "owner/repo"' },
  { name: 'prefix: cooldown', input: { ...GITHUB_TARGET, cooldown: '1 day' }, where: 'retraining_targets[0]', field: 'retraining_targets[0].cooldown', problem: 'must be a duration such as "4h" (got "1 day"): an integer and one of s, m, h, d, w' },
  { name: 'prefix: nested auth', input: { id: 't', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'd', auth: { username: 'a:b', password: 'p' } } }, where: 'targets[2]', field: 'targets[2].target.auth.username', problem: 'must not contain ":" (HTTP Basic)' },
];

test('invalid retraining targets name the field', async (t) => {
  for (const row of TARGET_ERRORS) {
    await t.test(row.name, () => assertDefinitionError(() => parseRetrainingTarget(row.input, row.where), row.field, row.problem));
  }
});

// ---------------------------------------------------------------------------------------
// Write-only secrets

const AIRFLOW_TOKEN_TARGET = { id: 'af-token', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'd', auth: { token: 'af-token-secret' } } };
const KUBEFLOW_NO_TOKEN = { id: 'kf-open', target: { kind: 'kubeflow', base_url: 'https://kf', pipeline_id: 'p', pipeline_version_id: 'v' } };

test('redactSecrets removes exactly the secrets of each kind and lists them', async (t) => {
  const rows: Array<{ name: string; kind: string; input: Record<string, unknown>; expected: Record<string, unknown>; secrets: string[] }> = [
    { name: 'slack token', kind: 'slack', input: SLACK, expected: { id: 'ops-slack', kind: 'slack', channel: 'C0123ABC' }, secrets: ['token'] },
    { name: 'email password, username kept', kind: 'email', input: EMAIL, expected: without(EMAIL, 'password'), secrets: ['password'] },
    {
      name: 'email without credentials: nothing to remove', kind: 'email',
      input: without(without(EMAIL, 'password'), 'username'), expected: without(without(EMAIL, 'password'), 'username'), secrets: [],
    },
    { name: 'webhook secret, url kept', kind: 'webhook', input: WEBHOOK, expected: { id: 'ops-hook', kind: 'webhook', url: 'https://hooks.example.com/driftwatch' }, secrets: ['secret'] },
    {
      name: 'github token', kind: 'retraining_target', input: GITHUB_TARGET,
      expected: { id: 'gh-retrain', target: { kind: 'github', repository: 'acme/fraud-model' } }, secrets: ['target.token'],
    },
    {
      name: 'webhook target token and secret, in SECRET_FIELDS order', kind: 'retraining_target', input: WEBHOOK_TARGET,
      expected: { id: 'wh-retrain', cooldown: '0s', target: { kind: 'webhook', url: 'http://ml.internal:8080/retrain', body_template: { model: 'model {{ model_id }}' } } },
      secrets: ['target.token', 'target.secret'],
    },
    {
      name: 'airflow basic auth: nested password, username kept', kind: 'retraining_target', input: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { username: 'driftwatch' } } }, secrets: ['target.auth.password'],
    },
    {
      name: 'airflow token auth: nested token', kind: 'retraining_target', input: AIRFLOW_TOKEN_TARGET,
      expected: { id: 'af-token', target: { kind: 'airflow', base_url: 'https://airflow', dag_id: 'd', auth: {} } }, secrets: ['target.auth.token'],
    },
    { name: 'kubeflow without a token', kind: 'retraining_target', input: KUBEFLOW_NO_TOKEN, expected: KUBEFLOW_NO_TOKEN, secrets: [] },
    { name: 'slack rules on a webhook body remove nothing', kind: 'slack', input: WEBHOOK, expected: WEBHOOK, secrets: [] },
    { name: 'an unknown kind removes nothing', kind: 'subscription', input: { id: 's', channel_id: 'c', token: 'x' }, expected: { id: 's', channel_id: 'c', token: 'x' }, secrets: [] },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const before = structuredClone(row.input);
      const result = redactSecrets(row.kind, row.input);
      assert.deepEqual(result, { definition: row.expected, secrets: row.secrets });
      assert.deepEqual(row.input, before, 'the input is not mutated');
      assert.notEqual(result.definition, row.input, 'a copy, not the input');
    });
  }
});

test('redactSecrets returns a deep copy: changing it leaves the input alone', () => {
  const input = structuredClone(AIRFLOW_TARGET);
  const { definition } = redactSecrets('retraining_target', input);
  ((definition.target as Record<string, unknown>).auth as Record<string, unknown>).username = 'changed';
  assert.equal(input.target.auth.username, 'driftwatch');
  assert.equal(input.target.auth.password, 'af-secret');
});

test('keepStoredSecrets: omitted kept, provided replaces, null removes', async (t) => {
  const rows: Array<{ name: string; kind: string; incoming: Record<string, unknown>; stored: unknown; expected: Record<string, unknown> }> = [
    { name: 'slack: omitted token kept', kind: 'slack', incoming: { ...without(SLACK, 'token'), channel: 'C999' }, stored: SLACK, expected: { ...SLACK, channel: 'C999' } },
    { name: 'slack: a new token replaces the stored one', kind: 'slack', incoming: { ...SLACK, token: 'xoxb-secret-2' }, stored: SLACK, expected: { ...SLACK, token: 'xoxb-secret-2' } },
    { name: 'slack: null removes the token', kind: 'slack', incoming: { ...SLACK, token: null }, stored: SLACK, expected: without(SLACK, 'token') },
    { name: 'email: omitted password kept', kind: 'email', incoming: { ...without(EMAIL, 'password'), port: 465, security: 'tls' }, stored: EMAIL, expected: { ...EMAIL, port: 465, security: 'tls' } },
    { name: 'email: null removes the password', kind: 'email', incoming: { ...EMAIL, password: null }, stored: EMAIL, expected: without(EMAIL, 'password') },
    { name: 'webhook: omitted secret kept', kind: 'webhook', incoming: without(WEBHOOK, 'secret'), stored: WEBHOOK, expected: WEBHOOK },
    { name: 'no stored secret: nothing added', kind: 'email', incoming: without(EMAIL, 'password'), stored: without(EMAIL, 'password'), expected: without(EMAIL, 'password') },
    { name: 'nothing stored', kind: 'slack', incoming: without(SLACK, 'token'), stored: null, expected: without(SLACK, 'token') },
    { name: 'stored is not an object', kind: 'slack', incoming: without(SLACK, 'token'), stored: 'xoxb', expected: without(SLACK, 'token') },
    {
      name: 'retraining: nested password kept', kind: 'retraining_target',
      incoming: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, dag_id: 'other', auth: { username: 'driftwatch' } } },
      stored: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, dag_id: 'other' } },
    },
    {
      name: 'retraining: nested password replaced', kind: 'retraining_target',
      incoming: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { username: 'driftwatch', password: 'new' } } },
      stored: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { username: 'driftwatch', password: 'new' } } },
    },
    {
      name: 'retraining: without an auth object nothing nested is restored', kind: 'retraining_target',
      incoming: { ...AIRFLOW_TARGET, target: without(AIRFLOW_TARGET.target, 'auth') },
      stored: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: without(AIRFLOW_TARGET.target, 'auth') },
    },
    {
      name: 'retraining: webhook token kept, secret removed', kind: 'retraining_target',
      incoming: { ...WEBHOOK_TARGET, target: { ...without(WEBHOOK_TARGET.target, 'token'), secret: null } },
      stored: WEBHOOK_TARGET,
      expected: { ...WEBHOOK_TARGET, target: without(WEBHOOK_TARGET.target, 'secret') },
    },
    // A secret stays with the destination it was given for.
    { name: 'webhook: a new url drops the stored secret', kind: 'webhook', incoming: { ...without(WEBHOOK, 'secret'), url: 'https://attacker.example/x' }, stored: WEBHOOK, expected: { ...without(WEBHOOK, 'secret'), url: 'https://attacker.example/x' } },
    { name: 'email: a new host drops the stored password', kind: 'email', incoming: { ...without(EMAIL, 'password'), host: 'smtp.other.example' }, stored: EMAIL, expected: { ...without(EMAIL, 'password'), host: 'smtp.other.example' } },
    { name: 'a new kind drops the stored secret', kind: 'webhook', incoming: { ...without(WEBHOOK, 'secret') }, stored: { ...SLACK, id: WEBHOOK.id, secret: 'was-slack' }, expected: without(WEBHOOK, 'secret') },
    {
      name: 'retraining: github token not carried to a webhook target', kind: 'retraining_target',
      incoming: { id: GITHUB_TARGET.id, target: { kind: 'webhook', url: 'https://attacker.example/x' } },
      stored: GITHUB_TARGET,
      expected: { id: GITHUB_TARGET.id, target: { kind: 'webhook', url: 'https://attacker.example/x' } },
    },
    {
      name: 'retraining: a new base_url drops the stored password', kind: 'retraining_target',
      incoming: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, base_url: 'https://airflow.other.example', auth: { username: 'driftwatch' } } },
      stored: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, base_url: 'https://airflow.other.example', auth: { username: 'driftwatch' } } },
    },
    {
      name: 'retraining: switching airflow auth to a token does not keep the password', kind: 'retraining_target',
      incoming: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { token: 'airflow-token' } } },
      stored: AIRFLOW_TARGET,
      expected: { ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { token: 'airflow-token' } } },
    },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const before = structuredClone(row.incoming);
      assert.deepEqual(keepStoredSecrets(row.kind, row.incoming, row.stored), row.expected);
      assert.deepEqual(row.incoming, before, 'the incoming body is not mutated');
    });
  }
});

test('keepStoredSecrets returns a non-object input as it is', async (t) => {
  const rows: Array<{ name: string; incoming: unknown }> = [
    { name: 'null', incoming: null },
    { name: 'undefined', incoming: undefined },
    { name: 'text', incoming: 'xoxb' },
    { name: 'a number', incoming: 42 },
    { name: 'an array', incoming: [SLACK] },
  ];
  for (const row of rows) await t.test(row.name, () => assert.equal(keepStoredSecrets('slack', row.incoming, SLACK), row.incoming));
});

test('a kept secret passes the parser again', () => {
  const merged = keepStoredSecrets('slack', without(SLACK, 'token'), SLACK);
  assert.deepEqual(parseChannel(merged), { ...SLACK, kind: 'slack', enabled: true, send_resolved: true });
});

test('parseRetrainingTarget refuses fields a preset does not take and secrets that are not strings', () => {
  assertDefinitionError(() => parseRetrainingTarget({ ...GITHUB_TARGET, target: { ...GITHUB_TARGET.target, Token: 'ghp_misspelt' } }), 'target.Token', /is not a field of the github preset/);
  assertDefinitionError(() => parseRetrainingTarget({ ...GITHUB_TARGET, target: { ...GITHUB_TARGET.target, token: 12345 } }), 'target.token', 'must be a string');
  assertDefinitionError(() => parseRetrainingTarget({ ...GITHUB_TARGET, target: { ...GITHUB_TARGET.target, token: null } }), 'target.token', 'must be a string');
  assertDefinitionError(() => parseRetrainingTarget({ ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: 'abc' } }), 'target.auth', /must be an object/);
  assertDefinitionError(() => parseRetrainingTarget({ ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: null } }), 'target.auth', /must be an object/);
  assertDefinitionError(() => parseRetrainingTarget({ ...AIRFLOW_TARGET, target: { ...AIRFLOW_TARGET.target, auth: { username: 'u', pasword: 'p' } } }), 'target.auth.pasword', /is not a field of auth/);
});

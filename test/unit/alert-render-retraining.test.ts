// alerting/render/retraining.ts: the four presets as a table of exact requests (method,
// URL, headers, body shape per each API's documented request), secrets kept out of bodies,
// the JSON template (typed substitution, no injection, unknown names rejected), and config
// errors naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertNotification } from '../../alerting/notification.js';
import {
  GITHUB_CLIENT_PAYLOAD_MAX_KEYS, RetrainingConfigError, TEMPLATE_VARIABLE_NAMES, airflowDagRunId, renderJsonTemplate,
  retrainingContext, retrainingRequest, templateVariables, validateRetrainingTarget,
  type RetrainingContext, type RetrainingTarget, type RetrainingTriggerInput,
} from '../../alerting/render/retraining.js';
import { verifyWebhookSignature } from '../../alerting/render/webhook.js';
import { may2024Notification } from '../helpers/notification.js';

const notification = (overrides: Partial<AlertNotification> = {}): AlertNotification => may2024Notification({
  items: [
    { column: 'age', metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: { ks_p_value: 1e-7 } },
    { column: 'age', metric: 'ks_p_value', value: 1e-7, operator: '<', threshold: 0.01, details: {} },
    { column: 'amount', metric: 'psi', value: Number.NaN, operator: '>', threshold: 0.2, details: { psi: Number.POSITIVE_INFINITY } },
    { column: null, metric: 'drift_share', value: 0.6, operator: '>=', threshold: 0.5, details: {} },
  ],
  ...overrides,
});

const INPUT: RetrainingTriggerInput = {
  notification: notification(),
  triggerRunId: 'trg-0001',
  callbackUrl: 'https://driftwatch.example.com/v1/retraining/trg-0001/callback',
  callbackToken: 'cb-token-abc',
  nowSeconds: 1714568700,
};

const SECRETS = ['ghp_secretToken123', 'p@ss:wörd', 'airflow-bearer-xyz', 'kfp-token-789', 'hook-bearer-456', 'hook-signing-secret'];

test('the retraining context: 10 top-level keys, unique drifted features, finite numbers', () => {
  const context = retrainingContext(INPUT);
  assert.deepEqual(Object.keys(context), [
    'schema_version', 'trigger_run_id', 'model', 'window', 'reference', 'drifted_features', 'metrics', 'alert', 'link', 'callback',
  ]);
  assert.ok(Object.keys(context).length <= GITHUB_CLIENT_PAYLOAD_MAX_KEYS);
  assert.deepEqual(context.drifted_features, ['age', 'amount']);
  assert.deepEqual(context.model, { id: 'fraud', version: 'v3', monitor_id: 'fraud-default', segment: null });
  assert.deepEqual(context.window, { start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T13:00:00.000Z' });
  assert.equal(context.metrics[2]!.value, null);
  assert.equal(context.metrics[2]!.details.psi, null);
  assert.deepEqual(context.callback, { url: INPUT.callbackUrl, token: 'cb-token-abc' });
  assert.deepEqual(Object.keys(templateVariables(context)), [...TEMPLATE_VARIABLE_NAMES]);
});

interface PresetCase {
  name: string;
  target: RetrainingTarget;
  url: string;
  headers: Record<string, string>;
  deduplication: 'target' | 'idempotency-key' | 'none';
  body: (body: Record<string, unknown>, context: RetrainingContext) => void;
}

const PRESETS: PresetCase[] = [
  {
    name: 'GitHub repository_dispatch with defaults',
    target: { kind: 'github', repository: 'acme/fraud-model', token: 'ghp_secretToken123' },
    url: 'https://api.github.com/repos/acme/fraud-model/dispatches',
    headers: {
      Accept: 'application/vnd.github+json',
      'Content-Type': 'application/json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'driftwatch',
      Authorization: 'Bearer ghp_secretToken123',
    },
    deduplication: 'none',
    body: (body, context) => {
      assert.deepEqual(Object.keys(body), ['event_type', 'client_payload']);
      assert.equal(body.event_type, 'driftwatch-retrain');
      assert.deepEqual(body.client_payload, context);
      assert.ok(Object.keys(body.client_payload as object).length <= 10, 'GitHub allows at most 10 top-level client_payload keys');
    },
  },
  {
    name: 'GitHub Enterprise with an event type and no token',
    target: { kind: 'github', repository: 'ml-team/models.v2_x', event_type: 'retrain-fraud', api_url: 'https://github.example.com/api/v3/' },
    url: 'https://github.example.com/api/v3/repos/ml-team/models.v2_x/dispatches',
    headers: { Accept: 'application/vnd.github+json', 'Content-Type': 'application/json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'driftwatch' },
    deduplication: 'none',
    body: (body) => assert.equal(body.event_type, 'retrain-fraud'),
  },
  {
    name: 'Airflow with HTTP Basic behind a path prefix',
    target: { kind: 'airflow', base_url: 'https://airflow.example.com/prefix/', dag_id: 'retrain_fraud.v2', auth: { username: 'admin', password: 'p@ss:wörd' } },
    url: 'https://airflow.example.com/prefix/api/v1/dags/retrain_fraud.v2/dagRuns',
    // printf '%s' 'admin:p@ss:wörd' | base64
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Basic YWRtaW46cEBzczp3w7ZyZA==' },
    deduplication: 'target',
    body: (body, context) => {
      assert.deepEqual(Object.keys(body), ['dag_run_id', 'conf']);
      assert.equal(body.dag_run_id, 'driftwatch__trg-0001');
      assert.deepEqual(body.conf, context);
    },
  },
  {
    name: 'Airflow with a bearer token',
    target: { kind: 'airflow', base_url: 'http://airflow.internal:8080', dag_id: 'retrain', auth: { token: 'airflow-bearer-xyz' } },
    url: 'http://airflow.internal:8080/api/v1/dags/retrain/dagRuns',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Bearer airflow-bearer-xyz' },
    deduplication: 'target',
    body: (body) => assert.equal(body.dag_run_id, 'driftwatch__trg-0001'),
  },
  {
    name: 'Kubeflow Pipelines v2beta1 with an experiment',
    target: { kind: 'kubeflow', base_url: 'https://kubeflow.example.com/pipeline', pipeline_id: 'p-123', pipeline_version_id: 'pv-456', experiment_id: 'e-789', token: 'kfp-token-789' },
    url: 'https://kubeflow.example.com/pipeline/apis/v2beta1/runs',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Bearer kfp-token-789' },
    deduplication: 'none',
    body: (body, context) => {
      assert.deepEqual(Object.keys(body), ['display_name', 'description', 'experiment_id', 'pipeline_version_reference', 'runtime_config']);
      assert.equal(body.display_name, 'driftwatch-retrain fraud trg-0001');
      assert.equal(body.experiment_id, 'e-789');
      assert.deepEqual(body.pipeline_version_reference, { pipeline_id: 'p-123', pipeline_version_id: 'pv-456' });
      const parameters = (body.runtime_config as { parameters: Record<string, unknown> }).parameters;
      assert.deepEqual(Object.keys(parameters), ['driftwatch_context']);
      assert.deepEqual(JSON.parse(parameters.driftwatch_context as string), context);
    },
  },
  {
    name: 'Kubeflow with flat parameters from a template, no experiment',
    target: {
      kind: 'kubeflow', base_url: 'https://kubeflow.example.com', pipeline_id: 'p', pipeline_version_id: 'v',
      parameters_template: { model: '{{ model_id }}', features: '{{ drifted_features }}', window: '{{ window_start }}/{{ window_end }}', epochs: 5 },
    },
    url: 'https://kubeflow.example.com/apis/v2beta1/runs',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    deduplication: 'none',
    body: (body) => {
      assert.equal('experiment_id' in body, false);
      assert.deepEqual(body.runtime_config, {
        parameters: { model: 'fraud', features: ['age', 'amount'], window: '2024-05-01T12:00:00.000Z/2024-05-01T13:00:00.000Z', epochs: 5 },
      });
    },
  },
  {
    name: 'generic webhook, default body, bearer token',
    target: { kind: 'webhook', url: 'https://ci.example.com/hooks/retrain?project=fraud', token: 'hook-bearer-456' },
    url: 'https://ci.example.com/hooks/retrain?project=fraud',
    headers: { 'Content-Type': 'application/json', 'X-Driftwatch-Idempotency-Key': 'trg-0001', Authorization: 'Bearer hook-bearer-456' },
    deduplication: 'idempotency-key',
    body: (body, context) => assert.deepEqual(body, context),
  },
];

for (const c of PRESETS) {
  test(`preset: ${c.name}`, () => {
    const request = retrainingRequest(c.target, INPUT);
    const context = retrainingContext(INPUT);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, c.url);
    assert.deepEqual(request.headers, c.headers);
    assert.equal(request.deduplication, c.deduplication);
    c.body(JSON.parse(request.body) as Record<string, unknown>, context);
    for (const secret of SECRETS) assert.ok(!request.body.includes(secret), `body leaks ${secret}`);
  });
}

test('generic webhook: a template, with a signature receivers can verify', () => {
  const target: RetrainingTarget = {
    kind: 'webhook',
    url: 'https://ci.example.com/hooks/retrain',
    secret: 'hook-signing-secret',
    body_template: {
      ref: 'main',
      inputs: {
        model: '{{ model_id }}',
        version: '{{model_version}}',
        features: '{{ drifted_features }}',
        segment: '{{ segment }}',
        message: 'retrain {{ model_id }} ({{ severity }}): {{ drifted_features }} {{ segment }}',
        callback: ['{{ callback_url }}', '{{ callback_token }}'],
        literal: 'no placeholder {here}',
        n: 3,
        on: true,
        nothing: null,
      },
    },
  };
  // A "__proto__" key written as data, the way JSON.parse produces it from a config file.
  const parsedTarget = { ...target, body_template: JSON.parse(JSON.stringify(target.body_template).replace('{"ref"', '{"__proto__":"{{ rule_name }}","ref"')) as unknown };
  const request = retrainingRequest(parsedTarget as RetrainingTarget, INPUT);
  const body = JSON.parse(request.body) as Record<string, unknown>;
  assert.deepEqual(body.inputs, {
    model: 'fraud',
    version: 'v3',
    features: ['age', 'amount'],
    segment: null,
    message: 'retrain fraud (critical): ["age","amount"] ',
    callback: [INPUT.callbackUrl, 'cb-token-abc'],
    literal: 'no placeholder {here}',
    n: 3,
    on: true,
    nothing: null,
  });
  assert.ok(Object.hasOwn(body, '__proto__'), '"__proto__" stays a plain key');
  assert.equal(Object.getOwnPropertyDescriptor(body, '__proto__')?.value, 'any-feature-drifts');
  assert.equal(request.headers['X-Driftwatch-Idempotency-Key'], 'trg-0001');
  const verification = verifyWebhookSignature('hook-signing-secret', request.headers['X-Driftwatch-Signature'], request.body, 1714568700);
  assert.deepEqual(verification, { ok: true, timestampSeconds: 1714568700 });
  assert.ok(!request.body.includes('hook-signing-secret'));
});

test('template values are data: quotes and braces in a model id cannot change the document', () => {
  const hostile = '", "evil": "yes", "x": "{{ callback_token }}';
  const input = { ...INPUT, notification: notification({ modelId: hostile }) };
  const request = retrainingRequest({ kind: 'webhook', url: 'https://ci.example.com/h', body_template: { model: '{{ model_id }}', text: 'm={{ model_id }}' } }, input);
  assert.deepEqual(JSON.parse(request.body), { model: hostile, text: `m=${hostile}` });
});

const TEMPLATE_ERRORS: Array<{ name: string; template: unknown; field: string }> = [
  { name: 'unknown placeholder', template: { a: '{{ nope }}' }, field: 'body_template.a' },
  { name: 'unknown placeholder inside text', template: { a: ['x', 'hello {{ model }}'] }, field: 'body_template.a[1]' },
  { name: 'an expression is not a name', template: { a: '{{ model_id + 1 }}' }, field: 'body_template.a' },
  { name: 'non-finite number', template: { a: Number.NaN }, field: 'body_template.a' },
  { name: 'a function', template: { a: () => 1 }, field: 'body_template.a' },
  { name: 'a Date object', template: { a: new Date(0) }, field: 'body_template.a' },
  { name: 'too deep', template: JSON.parse(`${'['.repeat(40)}1${']'.repeat(40)}`) as unknown, field: 'body_template' },
];

for (const c of TEMPLATE_ERRORS) {
  test(`template error: ${c.name}`, () => {
    assert.throws(
      () => validateRetrainingTarget({ kind: 'webhook', url: 'https://x.example.com', body_template: c.template as never }),
      (error: unknown) => error instanceof RetrainingConfigError && error.field.startsWith(c.field),
    );
  });
}

test('renderJsonTemplate: a whole-string placeholder keeps the JSON type', () => {
  const variables = { n: 3, list: ['a'], obj: { k: 1 }, nil: null, s: 'x' };
  assert.deepEqual(renderJsonTemplate(['{{ n }}', '{{ list }}', '{{ obj }}', '{{ nil }}', '{{ s }}', ' {{ n }}'], variables), [3, ['a'], { k: 1 }, null, 'x', ' 3']);
});

const CONFIG_ERRORS: Array<{ name: string; target: unknown; field: string }> = [
  { name: 'repository without owner', target: { kind: 'github', repository: 'fraud-model' }, field: 'repository' },
  { name: 'repository with a path', target: { kind: 'github', repository: 'acme/fraud/../x' }, field: 'repository' },
  { name: 'event_type over 100 characters', target: { kind: 'github', repository: 'a/b', event_type: 'e'.repeat(101) }, field: 'event_type' },
  { name: 'token with a line break', target: { kind: 'github', repository: 'a/b', token: 'abc\r\nX-Evil: 1' }, field: 'token' },
  { name: 'Airflow base_url not http(s)', target: { kind: 'airflow', base_url: 'ftp://airflow.example.com', dag_id: 'd' }, field: 'base_url' },
  { name: 'Airflow base_url with credentials', target: { kind: 'airflow', base_url: 'https://u:p@airflow.example.com', dag_id: 'd' }, field: 'base_url' },
  { name: 'Airflow base_url with a query', target: { kind: 'airflow', base_url: 'https://airflow.example.com/?x=1', dag_id: 'd' }, field: 'base_url' },
  { name: 'Airflow dag_id with a slash', target: { kind: 'airflow', base_url: 'https://a.example.com', dag_id: '../dags' }, field: 'dag_id' },
  { name: 'Airflow username with a colon', target: { kind: 'airflow', base_url: 'https://a.example.com', dag_id: 'd', auth: { username: 'a:b', password: 'p' } }, field: 'auth.username' },
  { name: 'Kubeflow without pipeline_version_id', target: { kind: 'kubeflow', base_url: 'https://k.example.com', pipeline_id: 'p' }, field: 'pipeline_version_id' },
  { name: 'Kubeflow parameters that are not an object', target: { kind: 'kubeflow', base_url: 'https://k.example.com', pipeline_id: 'p', pipeline_version_id: 'v', parameters_template: ['x'] }, field: 'parameters_template' },
  { name: 'webhook URL relative', target: { kind: 'webhook', url: '/hooks/retrain' }, field: 'url' },
  { name: 'webhook URL with a fragment', target: { kind: 'webhook', url: 'https://x.example.com/#frag' }, field: 'url' },
  { name: 'unknown preset', target: { kind: 'jenkins', url: 'https://x.example.com' }, field: 'kind' },
];

for (const c of CONFIG_ERRORS) {
  test(`config error: ${c.name}`, () => {
    assert.throws(
      () => retrainingRequest(c.target as RetrainingTarget, INPUT),
      (error: unknown) => error instanceof RetrainingConfigError && error.field === c.field && error.message.startsWith(`${c.field}: `),
    );
  });
}

test('a signing webhook needs the signing time', () => {
  const { nowSeconds: _, ...withoutTime } = INPUT;
  assert.throws(() => retrainingRequest({ kind: 'webhook', url: 'https://x.example.com', secret: 's' }, withoutTime), RangeError);
});

test('Airflow dag_run_id: allowed characters only, at most 250', () => {
  const cases: Array<{ id: string; expected: string }> = [
    { id: 'trg-0001', expected: 'driftwatch__trg-0001' },
    { id: '550e8400-e29b-41d4-a716-446655440000', expected: 'driftwatch__550e8400-e29b-41d4-a716-446655440000' },
    { id: 'run/1 2?x', expected: 'driftwatch__run_1_2_x' },
    { id: 'a.b~c:d+e', expected: 'driftwatch__a.b~c:d+e' },
  ];
  for (const c of cases) assert.equal(airflowDagRunId(c.id), c.expected);
  assert.equal(airflowDagRunId('x'.repeat(400)).length, 250);
});

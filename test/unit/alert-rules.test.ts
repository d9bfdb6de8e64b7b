// alerting/rules/definition.ts, presets.ts and template.ts: the rule contract, its defaults,
// every validation error (by field path and exact message), the JSON round trip, the six
// presets and preset references, and the annotation templates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accuracyDropped, anyFeatureDrifts, datasetDriftShareAbove, expandPreset, missingValuesAbove, parseRule, parseRuleList,
  parseTemplate, predictionDrifts, PRESET_NAMES, PRESETS, renderTemplate, RULE_METRICS, RuleDefinitionError, RuleSchema,
  ruleToJson, scopeOfMetric, TEMPLATE_VARIABLES, trafficVolumeCollapsed, type Rule, type TemplateContext,
} from '../../alerting/rules/index.js';

const H = 3_600_000;
const MINIMAL = { id: 'fraud-psi', name: 'PSI above 0.2', metric: 'psi', condition: { operator: '>', threshold: 0.2 } };

const MINIMAL_RULE: Rule = {
  id: 'fraud-psi',
  name: 'PSI above 0.2',
  enabled: true,
  modelId: null,
  modelVersion: null,
  monitorId: null,
  segment: null,
  scope: 'column',
  metric: 'psi',
  valueField: null,
  columns: null,
  columnRoles: null,
  condition: { operator: '>', threshold: 0.2 },
  minLabels: null,
  severity: 'warning',
  for: 0,
  keepFiringFor: 0,
  noDataResolveAfter: null,
  repeatIntervalMs: 4 * H,
  labels: {},
  annotations: { summary: '{{ rule_name }} on model {{ model_id }}', description: '{{ items }}', runbookUrl: null },
  retrain: null,
};

test('a minimal rule gets every default', () => {
  assert.deepEqual(parseRule(MINIMAL), MINIMAL_RULE);
});

const VALID: Array<{ name: string; input: Record<string, unknown>; expected: Partial<Rule> }> = [
  { name: 'targets', input: { model_id: 'fraud/v', model_version: 'v3', monitor_id: 'hourly' }, expected: { modelId: 'fraud/v', modelVersion: 'v3', monitorId: 'hourly' } },
  { name: 'every value of a segment', input: { segment: { name: 'country' } }, expected: { segment: { name: 'country', value: null } } },
  { name: 'one segment value', input: { segment: { name: 'country', value: 'DE' } }, expected: { segment: { name: 'country', value: 'DE' } } },
  { name: 'columns and roles', input: { columns: ['amount', 'prediction'], column_roles: ['feature', 'prediction'] }, expected: { columns: ['amount', 'prediction'], columnRoles: ['feature', 'prediction'] } },
  { name: 'a scope that agrees', input: { scope: 'column' }, expected: { scope: 'column' } },
  { name: 'a window metric', input: { metric: 'drift_share', condition: { operator: '>=', threshold: 0.5 } }, expected: { scope: 'window', metric: 'drift_share', condition: { operator: '>=', threshold: 0.5 } } },
  { name: 'volume collapse', input: { metric: 'volume_change', condition: { operator: '<=', threshold: -0.8 } }, expected: { scope: 'window', metric: 'volume_change', condition: { operator: '<=', threshold: -0.8 } } },
  { name: 'accuracy value by default', input: { metric: 'accuracy', condition: { operator: '<', threshold: 0.9 } }, expected: { scope: 'performance', metric: 'accuracy', valueField: 'value', condition: { operator: '<', threshold: 0.9 } } },
  {
    name: 'accuracy decay with min labels', input: { metric: 'accuracy', value_field: 'decay', min_labels: 200, condition: { operator: '>=', threshold: 0.05 } },
    expected: { scope: 'performance', metric: 'accuracy', valueField: 'decay', minLabels: 200, condition: { operator: '>=', threshold: 0.05 } },
  },
  { name: 'a negative decay threshold (improvement)', input: { metric: 'rmse', value_field: 'relative_decay', condition: { operator: '<', threshold: -0.5 } }, expected: { scope: 'performance', metric: 'rmse', valueField: 'relative_decay', condition: { operator: '<', threshold: -0.5 } } },
  { name: 'label coverage', input: { metric: 'label_coverage', condition: { operator: '<', threshold: 0.1 } }, expected: { scope: 'performance', metric: 'label_coverage', valueField: null, condition: { operator: '<', threshold: 0.1 } } },
  { name: 'drifted == 1', input: { metric: 'drifted', condition: { operator: '==', threshold: 1 } }, expected: { metric: 'drifted', condition: { operator: '==', threshold: 1 } } },
  {
    name: 'timing', input: { for: 3, keep_firing_for: 2, no_data_resolve_after: 24, repeat_interval: '1d' },
    expected: { for: 3, keepFiringFor: 2, noDataResolveAfter: 24, repeatIntervalMs: 24 * H },
  },
  { name: 'the shortest repeat interval', input: { repeat_interval: '60s' }, expected: { repeatIntervalMs: 60_000 } },
  { name: 'the longest repeat interval', input: { repeat_interval: '90d' }, expected: { repeatIntervalMs: 90 * 24 * H } },
  { name: 'severity, disabled, retrain', input: { severity: 'critical', enabled: false, retrain: 'retrain-fraud' }, expected: { severity: 'critical', enabled: false, retrain: 'retrain-fraud' } },
  {
    name: 'labels and templates using them',
    input: { labels: { team: 'risk', _x: '' }, annotations: { summary: '{{labels.team}}: {{ columns }}', description: '', runbook_url: 'https://runbooks.example/{{ rule_id }}' } },
    expected: { labels: { team: 'risk', _x: '' }, annotations: { summary: '{{labels.team}}: {{ columns }}', description: '', runbookUrl: 'https://runbooks.example/{{ rule_id }}' } },
  },
];

test('valid rules', async (t) => {
  for (const row of VALID) {
    await t.test(row.name, () => {
      const rule = parseRule({ ...MINIMAL, ...row.input });
      assert.deepEqual(rule, { ...MINIMAL_RULE, ...row.expected });
      assert.equal(rule.scope, scopeOfMetric(rule.metric));
      assert.deepEqual(parseRule(ruleToJson(rule)), rule, 'ruleToJson parses to the same rule');
      assert.deepEqual(ruleToJson(parseRule(ruleToJson(rule))), ruleToJson(rule));
    });
  }
});

test('ruleToJson writes every default out', () => {
  assert.deepEqual(ruleToJson(parseRule(MINIMAL)), {
    id: 'fraud-psi', name: 'PSI above 0.2', enabled: true, scope: 'column', metric: 'psi', condition: { operator: '>', threshold: 0.2 },
    severity: 'warning', for: 0, keep_firing_for: 0, repeat_interval: '4h', labels: {},
    annotations: { summary: '{{ rule_name }} on model {{ model_id }}', description: '{{ items }}' },
  });
});

const ERRORS: Array<{ name: string; input: unknown; field: string; message: string }> = [
  { name: 'not an object', input: 'psi > 0.2', field: 'rule', message: 'must be an object (got "psi > 0.2")' },
  { name: 'missing condition', input: { id: 'a', name: 'A', metric: 'psi' }, field: 'condition', message: 'is required' },
  { name: 'missing threshold', input: { ...MINIMAL, condition: { operator: '>' } }, field: 'condition.threshold', message: 'is required' },
  { name: 'unknown field', input: { ...MINIMAL, threshold: 1 }, field: 'threshold', message: 'is not a known field (known: id, name, enabled, model_id, model_version, monitor_id, segment, scope, metric, value_field, columns, column_roles, condition, min_labels, severity, for, keep_firing_for, no_data_resolve_after, repeat_interval, labels, annotations, retrain)' },
  { name: 'bad id', input: { ...MINIMAL, id: 'a b' }, field: 'id', message: 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got "a b")' },
  { name: 'empty name', input: { ...MINIMAL, name: '' }, field: 'name', message: 'must not be empty' },
  { name: 'unknown metric', input: { ...MINIMAL, metric: 'kl' }, field: 'metric', message: `must be one of ${RULE_METRICS.join(', ')} (got "kl")` },
  { name: 'unknown operator', input: { ...MINIMAL, condition: { operator: '=>', threshold: 1 } }, field: 'condition.operator', message: 'must be one of >, >=, <, <=, ==, != (got "=>")' },
  { name: 'threshold as text', input: { ...MINIMAL, condition: { operator: '>', threshold: '0.2' } }, field: 'condition.threshold', message: 'must be a number (got "0.2")' },
  { name: 'infinite threshold', input: { ...MINIMAL, condition: { operator: '>', threshold: Infinity } }, field: 'condition.threshold', message: 'must be a finite number (got Infinity)' },
  { name: 'NaN threshold', input: { ...MINIMAL, condition: { operator: '>', threshold: NaN } }, field: 'condition.threshold', message: 'must be a finite number (got NaN)' },
  { name: 'p-value above 1', input: { ...MINIMAL, metric: 'ks_p_value', condition: { operator: '<', threshold: 5 } }, field: 'condition.threshold', message: 'must be between 0 and 1 for ks_p_value (got 5)' },
  { name: 'negative share', input: { ...MINIMAL, metric: 'missing_share', condition: { operator: '>', threshold: -0.1 } }, field: 'condition.threshold', message: 'must be between 0 and 1 for missing_share (got -0.1)' },
  { name: 'drifted 0.5', input: { ...MINIMAL, metric: 'drifted', condition: { operator: '>=', threshold: 0.5 } }, field: 'condition.threshold', message: 'must be 0 or 1 for drifted (got 0.5)' },
  { name: 'negative psi', input: { ...MINIMAL, condition: { operator: '>', threshold: -1 } }, field: 'condition.threshold', message: 'must be at least 0 for psi (got -1)' },
  { name: 'volume below -1', input: { ...MINIMAL, metric: 'volume_change', condition: { operator: '<', threshold: -2 } }, field: 'condition.threshold', message: 'must be at least -1 (-1 is no traffic at all, 0 the expected volume) for volume_change (got -2)' },
  { name: 'accuracy value above 1', input: { ...MINIMAL, metric: 'accuracy', condition: { operator: '<', threshold: 90 } }, field: 'condition.threshold', message: 'must be between 0 and 1 for accuracy (got 90)' },
  { name: 'negative mae', input: { ...MINIMAL, metric: 'mae', condition: { operator: '>', threshold: -3 } }, field: 'condition.threshold', message: 'must be at least 0 for mae (got -3)' },
  { name: 'scope disagrees', input: { ...MINIMAL, scope: 'window' }, field: 'scope', message: 'must be "column" for metric psi (got "window"), or be omitted' },
  { name: 'value_field on psi', input: { ...MINIMAL, value_field: 'decay' }, field: 'value_field', message: 'applies to the model-quality metrics (accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, mape) only; metric is psi' },
  { name: 'value_field on label coverage', input: { ...MINIMAL, metric: 'label_coverage', value_field: 'decay' }, field: 'value_field', message: 'applies to the model-quality metrics (accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, mape) only; metric is label_coverage' },
  { name: 'unknown value_field', input: { ...MINIMAL, metric: 'accuracy', value_field: 'delta' }, field: 'value_field', message: 'must be one of value, decay, relative_decay (got "delta")' },
  { name: 'columns on a window metric', input: { ...MINIMAL, metric: 'drift_share', columns: ['a'] }, field: 'columns', message: 'applies to column metrics only; drift_share is a window metric' },
  { name: 'column_roles on performance', input: { ...MINIMAL, metric: 'f1', column_roles: ['feature'] }, field: 'column_roles', message: 'applies to column metrics only; f1 is a performance metric' },
  { name: 'empty columns', input: { ...MINIMAL, columns: [] }, field: 'columns', message: 'must have at least 1 item (omit the field instead of sending [])' },
  { name: 'repeated column', input: { ...MINIMAL, columns: ['a', 'b', 'a'] }, field: 'columns[2]', message: 'repeats item [0] (got "a")' },
  { name: 'unknown role', input: { ...MINIMAL, column_roles: ['label'] }, field: 'column_roles[0]', message: 'must be one of feature, prediction, score (got "label")' },
  { name: 'min_labels on psi', input: { ...MINIMAL, min_labels: 10 }, field: 'min_labels', message: 'applies to the model-quality metrics (accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, mape) only; metric is psi' },
  { name: 'min_labels 0', input: { ...MINIMAL, metric: 'accuracy', condition: { operator: '<', threshold: 0.9 }, min_labels: 0 }, field: 'min_labels', message: 'must be >= 1 (got 0)' },
  { name: 'fractional for', input: { ...MINIMAL, for: 1.5 }, field: 'for', message: 'must be an integer (got 1.5)' },
  { name: 'negative keep_firing_for', input: { ...MINIMAL, keep_firing_for: -1 }, field: 'keep_firing_for', message: 'must be >= 0 (got -1)' },
  { name: 'no_data_resolve_after 0', input: { ...MINIMAL, no_data_resolve_after: 0 }, field: 'no_data_resolve_after', message: 'must be >= 1 (got 0)' },
  { name: 'unknown severity', input: { ...MINIMAL, severity: 'page' }, field: 'severity', message: 'must be one of info, warning, critical (got "page")' },
  { name: 'repeat interval as words', input: { ...MINIMAL, repeat_interval: '4 hours' }, field: 'repeat_interval', message: 'must be a duration such as "4h" (got "4 hours"): an integer and one of s, m, h, d, w' },
  { name: 'repeat interval too short', input: { ...MINIMAL, repeat_interval: '30s' }, field: 'repeat_interval', message: 'must be at least 1m and at most 90d (got "30s")' },
  { name: 'repeat interval too long', input: { ...MINIMAL, repeat_interval: '13w' }, field: 'repeat_interval', message: 'must be at least 1m and at most 90d (got "13w")' },
  { name: 'segment value without name', input: { ...MINIMAL, segment: { value: 'DE' } }, field: 'segment.name', message: 'is required' },
  { name: 'bad model id', input: { ...MINIMAL, model_id: '-x' }, field: 'model_id', message: 'must match ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ (got "-x")' },
  { name: 'label value not text', input: { ...MINIMAL, labels: { team: 1 } }, field: 'labels.team', message: 'must be a string (got 1)' },
  { name: 'bad label name', input: { ...MINIMAL, labels: { 'team-name': 'x' } }, field: 'labels.team-name', message: 'is not a valid label name: use letters, digits and _, not starting with a digit' },
  { name: 'reserved label', input: { ...MINIMAL, labels: { severity: 'x' } }, field: 'labels.severity', message: 'is reserved: every alert carries rule_id, rule_name, model_id, model_version, monitor_id, severity, metric, column, segment_name, segment_value already' },
  {
    name: 'unknown template variable', input: { ...MINIMAL, annotations: { summary: 'drift on {{ model }}' } }, field: 'annotations.summary',
    message: `uses the unknown variable {{ model }} (known: ${TEMPLATE_VARIABLES.join(', ')}, labels.<name> of the rule's labels (it has none))`,
  },
  {
    name: 'unknown label in a template', input: { ...MINIMAL, labels: { team: 'risk' }, annotations: { description: '{{ labels.owner }}' } }, field: 'annotations.description',
    message: `uses {{ labels.owner }}, but the rule has no label "owner" (known: ${TEMPLATE_VARIABLES.join(', ')}, labels.team)`,
  },
  {
    name: 'an expression in a template', input: { ...MINIMAL, annotations: { summary: '{{ model_id + 1 }}' } }, field: 'annotations.summary',
    message: 'has a "{{" at character 1 that does not open a placeholder such as {{ model_id }} (got "{{ model_id + 1 }}")',
  },
  { name: 'runbook without scheme', input: { ...MINIMAL, annotations: { runbook_url: 'runbooks/drift' } }, field: 'annotations.runbook_url', message: 'must start with http:// or https:// and a host (got "runbooks/drift")' },
  { name: 'runbook host from a template', input: { ...MINIMAL, annotations: { runbook_url: 'https://{{ model_id }}.example' } }, field: 'annotations.runbook_url', message: 'must start with http:// or https:// and a host (got "https://{{ model_id }}.example")' },
  { name: 'empty summary', input: { ...MINIMAL, annotations: { summary: '' } }, field: 'annotations.summary', message: 'must not be empty' },
  { name: 'unknown annotation', input: { ...MINIMAL, annotations: { title: 'x' } }, field: 'annotations.title', message: 'is not a known field (known: summary, description, runbook_url)' },
];

test('invalid rules name the field', async (t) => {
  for (const row of ERRORS) {
    await t.test(row.name, () => {
      assert.throws(() => parseRule(row.input), (error: unknown) => {
        assert.ok(error instanceof RuleDefinitionError);
        assert.equal(error.field, row.field);
        assert.equal(error.problem, row.message);
        assert.equal(error.message, `${row.field}: ${row.message}`);
        return true;
      });
    });
  }
});

test('parseRule with a prefix, and parseRuleList', async (t) => {
  const cases: Array<{ name: string; run: () => unknown; message: string }> = [
    { name: 'prefix', run: () => parseRule({ ...MINIMAL, for: -1 }, 'rules[3]'), message: 'rules[3].for: must be >= 0 (got -1)' },
    { name: 'prefix on the whole rule', run: () => parseRule(null, 'rules[3]'), message: 'rules[3]: must be an object (got null)' },
    { name: 'not a list', run: () => parseRuleList({}, 'rules'), message: 'rules: must be an array of rule definitions (got an object)' },
    { name: 'an element', run: () => parseRuleList([MINIMAL, { ...MINIMAL, id: 'b', metric: 'x' }], 'rules'), message: `rules[1].metric: must be one of ${RULE_METRICS.join(', ')} (got "x")` },
    { name: 'repeated id', run: () => parseRuleList([MINIMAL, { ...MINIMAL, id: 'b' }, MINIMAL], 'config.rules'), message: 'config.rules[2].id: repeats the id of config.rules[0] ("fraud-psi"); rule ids must be unique' },
    { name: 'preset params under the prefix', run: () => parseRuleList([{ preset: 'dataset_drift_share_above', params: { threshold: 2 } }], 'rules'), message: 'rules[0].params.threshold: must be <= 1 (got 2)' },
  ];
  for (const row of cases) await t.test(row.name, () => assert.throws(row.run, { name: 'RuleDefinitionError', message: row.message }));
  await t.test('a valid list', () => {
    assert.deepEqual(parseRuleList([MINIMAL, { ...MINIMAL, id: 'b' }], 'rules').map((rule) => rule.id), ['fraud-psi', 'b']);
  });
});

// ---------------------------------------------------------------------------------------
// Presets

test('presets build valid rules', async (t) => {
  const cases: Array<{ name: string; json: unknown; expected: Partial<Rule> }> = [
    {
      name: 'any feature drifts', json: anyFeatureDrifts({ model_id: 'fraud' }),
      expected: { id: 'any_feature_drifts.fraud', modelId: 'fraud', scope: 'column', metric: 'drifted', columnRoles: ['feature'], columns: null, condition: { operator: '==', threshold: 1 }, severity: 'warning' },
    },
    { name: 'any feature drifts, no params', json: anyFeatureDrifts(), expected: { id: 'any_feature_drifts', modelId: null } },
    { name: 'any of some features drifts', json: anyFeatureDrifts({ columns: ['amount'], severity: 'info' }), expected: { columns: ['amount'], severity: 'info' } },
    { name: 'dataset drift share above', json: datasetDriftShareAbove({ threshold: 0.3 }), expected: { scope: 'window', metric: 'drift_share', condition: { operator: '>', threshold: 0.3 }, name: 'Dataset drift share above 0.3' } },
    {
      name: 'accuracy dropped', json: accuracyDropped({ by: 0.05, min_labels: 200 }),
      expected: { scope: 'performance', metric: 'accuracy', valueField: 'decay', condition: { operator: '>=', threshold: 0.05 }, minLabels: 200 },
    },
    {
      name: 'rmse dropped relative, default min labels', json: accuracyDropped({ by: 0.2, metric: 'rmse', relative: true }),
      expected: { metric: 'rmse', valueField: 'relative_decay', minLabels: 100, name: 'rmse dropped by 0.2 (relative)' },
    },
    { name: 'missing values above', json: missingValuesAbove({ threshold: 0.1 }), expected: { metric: 'missing_share', columnRoles: ['feature'], condition: { operator: '>', threshold: 0.1 } } },
    { name: 'prediction drifts', json: predictionDrifts(), expected: { metric: 'drifted', columnRoles: ['prediction', 'score'], columns: null } },
    {
      name: 'traffic volume collapsed', json: trafficVolumeCollapsed({ drop: 0.8, model_id: 'fraud/eu' }),
      expected: { id: 'traffic_volume_collapsed.fraud_eu', metric: 'volume_change', condition: { operator: '<=', threshold: -0.8 }, severity: 'critical', name: 'Traffic volume down 80% or more' },
    },
  ];
  for (const row of cases) {
    await t.test(row.name, () => {
      const rule = parseRule(row.json);
      for (const [field, value] of Object.entries(row.expected)) assert.deepEqual(rule[field as keyof Rule], value, field);
      assert.deepEqual(parseRule(ruleToJson(rule)), rule);
    });
  }
  await t.test('the catalogue has the six presets', () => {
    assert.deepEqual(PRESET_NAMES, ['any_feature_drifts', 'dataset_drift_share_above', 'accuracy_dropped', 'missing_values_above', 'prediction_drifts', 'traffic_volume_collapsed']);
    for (const name of PRESET_NAMES) assert.ok(PRESETS[name].title.length > 0);
  });
});

test('preset references in JSON', async (t) => {
  await t.test('params and overrides', () => {
    const rule = parseRule({
      preset: 'accuracy_dropped', params: { by: 0.05, min_labels: 500, model_id: 'fraud' },
      id: 'fraud-accuracy', severity: 'critical', for: 2, labels: { team: 'risk' }, annotations: { runbook_url: 'https://runbooks.example/accuracy' },
    });
    assert.equal(rule.id, 'fraud-accuracy');
    assert.equal(rule.severity, 'critical');
    assert.equal(rule.for, 2);
    assert.equal(rule.minLabels, 500);
    assert.deepEqual(rule.labels, { team: 'risk' });
    // annotations merge key by key: the preset's summary stays.
    assert.deepEqual(rule.annotations, { summary: 'Model {{ model_id }}: {{ rule_name }}', description: '{{ items }}', runbookUrl: 'https://runbooks.example/accuracy' });
  });
  await t.test('no params', () => assert.equal(parseRule({ preset: 'prediction_drifts' }).id, 'prediction_drifts'));
  await t.test('is the same as the function', () => {
    assert.deepEqual(parseRule({ preset: 'missing_values_above', params: { threshold: 0.2, columns: ['age'] } }), parseRule(missingValuesAbove({ threshold: 0.2, columns: ['age'] })));
  });
  await t.test('expandPreset leaves checking to parseRule', () => {
    assert.deepEqual(expandPreset({ preset: 'dataset_drift_share_above', params: { threshold: 0.5 }, metric: 'psi' }).metric, 'psi');
  });
  const errors: Array<{ name: string; input: unknown; message: string }> = [
    { name: 'unknown preset', input: { preset: 'drift' }, message: 'preset: must be one of any_feature_drifts, dataset_drift_share_above, accuracy_dropped, missing_values_above, prediction_drifts, traffic_volume_collapsed (got "drift")' },
    { name: 'missing param', input: { preset: 'accuracy_dropped', params: {} }, message: 'params.by: is required' },
    { name: 'param out of range', input: { preset: 'accuracy_dropped', params: { by: 0 } }, message: 'params.by: must be > 0 (got 0)' },
    { name: 'unknown param', input: { preset: 'prediction_drifts', params: { threshold: 1 } }, message: 'params.threshold: is not a known field (known: model_id, model_version, monitor_id, severity)' },
    { name: 'params not an object', input: { preset: 'prediction_drifts', params: [] }, message: 'params: must be an object' },
    { name: 'missing share of 1', input: { preset: 'missing_values_above', params: { threshold: 1 } }, message: 'params.threshold: must be < 1 (got 1)' },
    { name: 'volume drop above 1', input: { preset: 'traffic_volume_collapsed', params: { drop: 1.5 } }, message: 'params.drop: must be <= 1 (got 1.5)' },
    { name: 'an override checked as a rule', input: { preset: 'prediction_drifts', for: -1 }, message: 'for: must be >= 0 (got -1)' },
    { name: 'an override that breaks the preset', input: { preset: 'dataset_drift_share_above', params: { threshold: 0.5 }, columns: ['a'] }, message: 'columns: applies to column metrics only; drift_share is a window metric' },
  ];
  for (const row of errors) await t.test(row.name, () => assert.throws(() => parseRule(row.input), { name: 'RuleDefinitionError', message: row.message }));
});

// ---------------------------------------------------------------------------------------
// Templates

const CONTEXT: TemplateContext = {
  rule_id: 'fraud-psi', rule_name: 'PSI above 0.2', severity: 'warning', kind: 'firing', model_id: 'fraud', model_version: '',
  monitor_id: 'hourly', segment: 'country=DE', metric: 'psi', operator: '>', threshold: '0.2', items_count: '2', columns: 'amount, age',
  items: 'amount: psi = 0.31 (rule: > 0.2)', window_start: '2026-11-01T10:00:00Z', window_end: '2026-11-01T11:00:00Z', firing_since: '',
  reference: 'previous 7d', link: 'http://ui/models/fraud', labels: { team: 'risk' },
};

test('templates render', async (t) => {
  const rows: Array<[string, string]> = [
    ['{{ model_id }}', 'fraud'],
    ['{{model_id}}/{{  monitor_id  }}', 'fraud/hourly'],
    ['no placeholders', 'no placeholders'],
    ['', ''],
    ['{{ items_count }} columns of {{ model_id }} drifted: {{ columns }}', '2 columns of fraud drifted: amount, age'],
    ['team {{ labels.team }}', 'team risk'],
    ['version "{{ model_version }}"', 'version ""'],
    ['}} and { and {x}', '}} and { and {x}'],
    ['<b>{{ model_id }}</b>', '<b>fraud</b>'],
  ];
  for (const [source, expected] of rows) await t.test(JSON.stringify(source), () => assert.equal(renderTemplate(source, CONTEXT), expected));
  await t.test('values are not templates themselves', () => {
    assert.equal(renderTemplate('{{ columns }}', { ...CONTEXT, columns: '{{ rule_id }}' }), '{{ rule_id }}');
  });
});

test('template errors', () => {
  const rows: Array<[string, RegExp]> = [
    ['{{ nope }}', /uses the unknown variable \{\{ nope \}\}/],
    ['{{ labels.team }}', /the rule has no label "team"/],
    ['{{ model_id', /does not open a placeholder/],
    ['{{ }}', /does not open a placeholder/],
    ['{{ constructor.name }}', /does not open a placeholder|unknown variable/],
    ['{{ __proto__ }}', /unknown variable/],
    ['{{ model_id | upper }}', /does not open a placeholder/],
  ];
  for (const [source, message] of rows) assert.throws(() => parseTemplate(source, []), { name: 'TemplateError', message }, source);
  assert.deepEqual(parseTemplate('a {{ model_id }} b {{ labels.x }}', ['x']), [{ text: 'a ' }, { variable: 'model_id' }, { text: ' b ' }, { label: 'x' }]);
});

test('RuleSchema is plain JSON schema for the API docs', () => {
  const schema = JSON.parse(JSON.stringify(RuleSchema)) as { required: string[]; properties: Record<string, unknown> };
  assert.deepEqual(schema.required, ['id', 'name', 'metric', 'condition']);
  assert.ok('keep_firing_for' in schema.properties);
});

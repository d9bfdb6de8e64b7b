// alerting/rules/evaluate.ts: which results a rule watches, the instances it touches in one
// analysed window, breached / not breached / no data / absent, and the figures it reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DriftPoint, DriftSeries, PerformancePoint, PerformanceSeries, WindowSummaryView } from '../../analyzer/service/result-queries.js';
import type { ComparisonOperator } from '../../alerting/notification.js';
import {
  compare, evaluateRule, groupKey, instanceKey, observationsFromViews, parseRule, ruleApplies,
  type ColumnObservation, type InstanceEvaluation, type ModelObservation, type PerformanceObservation,
} from '../../alerting/rules/index.js';

const WINDOW_START = '2026-11-01T10:00:00.000Z';
const WINDOW_END = '2026-11-01T11:00:00.000Z';
const AT = Date.parse(WINDOW_START);

function summary(overrides: Partial<WindowSummaryView> = {}): WindowSummaryView {
  return {
    monitor_id: 'hourly', model_version: null, segment: null, window_start: WINDOW_START, window_end: WINDOW_END,
    status: 'ok', message: '', reference: { kind: 'trailing', description: 'the previous 7d', from: null, to: null, count: 70_000 },
    current_count: 1000, expected_count: 1000, volume_change: 0, tested_columns: 4, drifted_columns: 1, drift_share: 0.25,
    dataset_drifted: false, run_id: 'run-1', computed_at: WINDOW_END, ...overrides,
  };
}

const NO_METRICS: DriftPoint['metrics'] = {
  psi: null, jensen_shannon: null, ks_statistic: null, ks_p_value: null, chi_square_statistic: null, chi_square_p_value: null, wasserstein: null,
  wasserstein_normed: null, p_value: null, adjusted_p_value: null, missing_share: null, reference_missing_share: null, out_of_range_share: null, unseen_share: null,
};

function column(name: string, metrics: Partial<DriftPoint['metrics']>, options: { drifted?: boolean; role?: string; kind?: string } = {}): ColumnObservation {
  return {
    column: name, role: options.role ?? 'feature', kind: options.kind ?? 'numeric',
    point: {
      window_start: WINDOW_START, window_end: WINDOW_END, drifted: options.drifted ?? false, effects_passed: options.drifted ? ['psi'] : [],
      reference_count: 70_000, current_count: 1000, metrics: { ...NO_METRICS, ...metrics }, ks_method: null, notes: [],
    },
  };
}

function performance(metric: string, point: Partial<PerformancePoint>): PerformanceObservation {
  return {
    metric, task: 'classification',
    point: {
      window_start: WINDOW_START, window_end: WINDOW_END, status: 'ok', value: 0.9, reference_value: 0.95, decay: 0.05, relative_decay: 0.05 / 0.95,
      prediction_count: 1000, labeled_count: 400, label_coverage: 0.4, reference_labeled_count: 5000, note: '', ...point,
    },
  };
}

const COLUMNS = [
  column('amount', { psi: 0.31, ks_p_value: 0.001, adjusted_p_value: 0.004, missing_share: 0.02 }, { drifted: true }),
  column('age', { psi: 0.05, ks_p_value: 0.4, adjusted_p_value: 0.8, missing_share: 0.3 }),
  column('country', { psi: 0.12, chi_square_p_value: 0.2, missing_share: 0 }, { kind: 'categorical' }),
  column('prediction', { psi: 0.4, ks_p_value: 0.0001 }, { role: 'prediction', drifted: true }),
  column('score', { psi: null, ks_p_value: null }, { role: 'score' }),
];

function observation(overrides: Partial<ModelObservation> = {}): ModelObservation {
  return { modelId: 'fraud', summary: summary(), columns: COLUMNS, performance: [performance('accuracy', {}), performance('roc_auc', { value: 0.7, decay: 0.2 })], ...overrides };
}

const rule = (json: Record<string, unknown>) => parseRule({ id: 'r', name: 'R', ...json });
const GROUP = { ruleId: 'r', modelId: 'fraud', modelVersion: null, monitorId: 'hourly', segment: null };

/** [column, value, breached, noData?] per instance, in order. */
function outcomes(instances: InstanceEvaluation[]): Array<[string | null, number | null, boolean | null]> {
  return instances.map((instance) => [instance.column, instance.value, instance.breached]);
}

test('compare', () => {
  const rows: Array<[number, ComparisonOperator, number, boolean]> = [
    [1, '>', 0, true], [0, '>', 0, false], [0, '>=', 0, true], [-1, '>=', 0, false], [-1, '<', 0, true], [0, '<', 0, false],
    [0, '<=', 0, true], [1, '<=', 0, false], [1, '==', 1, true], [0.1 + 0.2, '==', 0.3, false], [0, '!=', 1, true], [1, '!=', 1, false],
  ];
  for (const [value, operator, threshold, expected] of rows) assert.equal(compare(value, operator, threshold), expected, `${value} ${operator} ${threshold}`);
});

test('which results a rule watches', async (t) => {
  const segmented = summary({ segment: { name: 'country', value: 'DE' } });
  const rows: Array<{ name: string; rule: Record<string, unknown>; summary?: WindowSummaryView; modelId?: string; applies: boolean }> = [
    { name: 'any model', rule: {}, applies: true },
    { name: 'the model', rule: { model_id: 'fraud' }, applies: true },
    { name: 'another model', rule: { model_id: 'churn' }, applies: false },
    { name: 'a version vs the all-versions monitor', rule: { model_version: 'v2' }, applies: false },
    { name: 'the version', rule: { model_version: 'v2' }, summary: summary({ model_version: 'v2' }), applies: true },
    { name: 'any version watches one version', rule: {}, summary: summary({ model_version: 'v2' }), applies: true },
    { name: 'the monitor', rule: { monitor_id: 'hourly' }, applies: true },
    { name: 'another monitor', rule: { monitor_id: 'daily' }, applies: false },
    { name: 'no segment: whole traffic only', rule: {}, summary: segmented, applies: false },
    { name: 'a segment name: every value', rule: { segment: { name: 'country' } }, summary: segmented, applies: true },
    { name: 'a segment value', rule: { segment: { name: 'country', value: 'DE' } }, summary: segmented, applies: true },
    { name: 'another segment value', rule: { segment: { name: 'country', value: 'FR' } }, summary: segmented, applies: false },
    { name: 'another segment', rule: { segment: { name: 'channel' } }, summary: segmented, applies: false },
    { name: 'a segment rule vs the whole traffic', rule: { segment: { name: 'country' } }, applies: false },
    { name: 'disabled', rule: { enabled: false }, applies: false },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const parsed = rule({ metric: 'psi', condition: { operator: '>', threshold: 0.2 }, ...row.rule });
      const observed = observation({ summary: row.summary ?? summary(), modelId: row.modelId ?? 'fraud' });
      assert.equal(ruleApplies(parsed, observed), row.applies);
      assert.equal(evaluateRule(parsed, observed) === null, !row.applies);
    });
  }
});

test('column rules', async (t) => {
  const psi = { metric: 'psi', condition: { operator: '>', threshold: 0.2 } };
  const rows: Array<{ name: string; rule: Record<string, unknown>; observation?: ModelObservation; tracked?: string[]; expected: Array<[string | null, number | null, boolean | null]> }> = [
    {
      name: 'every column, every role', rule: psi,
      expected: [['amount', 0.31, true], ['age', 0.05, false], ['country', 0.12, false], ['prediction', 0.4, true], ['score', null, null]],
    },
    { name: 'features only', rule: { ...psi, column_roles: ['feature'] }, expected: [['amount', 0.31, true], ['age', 0.05, false], ['country', 0.12, false]] },
    { name: 'prediction and score', rule: { ...psi, column_roles: ['prediction', 'score'] }, expected: [['prediction', 0.4, true], ['score', null, null]] },
    { name: 'named columns', rule: { ...psi, columns: ['age', 'amount'] }, expected: [['amount', 0.31, true], ['age', 0.05, false]] },
    {
      name: 'a named column missing from an analysed window is absent (not breached)', rule: { ...psi, columns: ['age', 'income'] },
      expected: [['age', 0.05, false], ['income', null, false]],
    },
    {
      name: 'a tracked column missing from an analysed window is absent', rule: { ...psi, column_roles: ['feature'] }, tracked: ['amount', 'zip'],
      expected: [['amount', 0.31, true], ['age', 0.05, false], ['country', 0.12, false], ['zip', null, false]],
    },
    {
      name: 'a window without column results: tracked columns have no data', rule: psi, tracked: ['amount'],
      observation: observation({ summary: summary({ status: 'insufficient_data', message: 'too few events' }), columns: [] }),
      expected: [['amount', null, null]],
    },
    { name: 'a window without column results and nothing tracked: no instances', rule: psi, observation: observation({ columns: [] }), expected: [] },
    { name: 'drifted == 1', rule: { metric: 'drifted', condition: { operator: '==', threshold: 1 }, column_roles: ['feature'] }, expected: [['amount', 1, true], ['age', 0, false], ['country', 0, false]] },
    { name: 'missing share', rule: { metric: 'missing_share', condition: { operator: '>', threshold: 0.1 }, column_roles: ['feature'] }, expected: [['amount', 0.02, false], ['age', 0.3, true], ['country', 0, false]] },
    {
      name: 'a metric a categorical column does not have is no data', rule: { metric: 'ks_p_value', condition: { operator: '<', threshold: 0.01 }, columns: ['amount', 'country'] },
      expected: [['amount', 0.001, true], ['country', null, null]],
    },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const evaluation = evaluateRule(rule(row.rule), row.observation ?? observation(), row.tracked)!;
      assert.deepEqual(outcomes(evaluation.instances), row.expected);
      for (const instance of evaluation.instances) {
        assert.equal(instance.key, instanceKey(GROUP, instance.column));
        if (instance.breached === null) assert.equal(typeof instance.noData, 'string');
        else assert.equal(instance.noData, null);
      }
    });
  }
  await t.test('the evaluation: group, window, reference', () => {
    const evaluation = evaluateRule(rule(psi), observation())!;
    assert.deepEqual(evaluation.group, GROUP);
    assert.equal(evaluation.groupKey, groupKey(GROUP));
    assert.equal(evaluation.at, AT);
    assert.deepEqual(evaluation.window, { start: AT, end: Date.parse(WINDOW_END) });
    assert.deepEqual(evaluation.reference, { kind: 'trailing', description: 'the previous 7d' });
  });
  await t.test('details carry the related figures, not nulls', () => {
    const amount = evaluateRule(rule(psi), observation())!.instances[0]!;
    // The compared psi is the item's value, not a detail.
    assert.deepEqual(amount.details, { drifted: 1, ks_p_value: 0.001, adjusted_p_value: 0.004, missing_share: 0.02, reference_count: 70_000, current_count: 1000 });
    const drifted = evaluateRule(rule({ metric: 'drifted', condition: { operator: '==', threshold: 1 } }), observation())!.instances[0]!;
    assert.deepEqual(drifted.details, { effects_passed: 'psi', psi: 0.31, ks_p_value: 0.001, adjusted_p_value: 0.004, missing_share: 0.02, reference_count: 70_000, current_count: 1000 });
    assert.equal(amount.metric, 'psi');
    assert.equal(amount.absent, false);
  });
  await t.test('null never breaches, and says so', () => {
    const score = evaluateRule(rule(psi), observation())!.instances[4]!;
    assert.equal(score.breached, null);
    assert.equal(score.noData, 'psi is null for score (numeric column)');
    assert.equal(score.details.no_data, 'psi is null for score (numeric column)');
    // Even != compares nothing against null.
    const notEqual = evaluateRule(rule({ metric: 'psi', condition: { operator: '!=', threshold: 0 }, columns: ['score'] }), observation())!.instances[0]!;
    assert.equal(notEqual.breached, null);
  });
  await t.test('absent says so', () => {
    const income = evaluateRule(rule({ ...psi, columns: ['income'] }), observation())!.instances[0]!;
    assert.equal(income.absent, true);
    assert.equal(income.details.absent, "column income is not in this window's results");
  });
  await t.test('a window without column results says why', () => {
    const evaluation = evaluateRule(rule({ ...psi, columns: ['amount'] }), observation({ summary: summary({ status: 'insufficient_data', message: 'too few events to compare' }), columns: [] }))!;
    assert.equal(evaluation.instances[0]!.noData, 'window status is insufficient_data: too few events to compare');
  });
  await t.test('a feature named like the prediction column keeps its own instance', () => {
    const evaluation = evaluateRule(rule(psi), observation({ columns: [column('prediction', { psi: 0.1 }), column('prediction', { psi: 0.5 }, { role: 'prediction' })] }))!;
    assert.deepEqual(outcomes(evaluation.instances), [['prediction', 0.1, false], ['prediction (prediction)', 0.5, true]]);
  });
});

test('window rules', async (t) => {
  const insufficient = summary({ status: 'insufficient_data', message: 'too few events to compare: reference 70000, current 3, min_events 100', current_count: 3, volume_change: -0.997, tested_columns: 0, drifted_columns: 0, drift_share: null });
  const noReference = summary({ status: 'no_reference', message: 'reference dataset "train" has not been uploaded', current_count: 0, expected_count: null, volume_change: null, tested_columns: 0, drifted_columns: 0, drift_share: null });
  const rows: Array<{ name: string; metric: string; operator: ComparisonOperator; threshold: number; summary: WindowSummaryView; value: number | null; breached: boolean | null; noData?: string }> = [
    { name: 'drift share', metric: 'drift_share', operator: '>', threshold: 0.2, summary: summary(), value: 0.25, breached: true },
    { name: 'drifted columns', metric: 'drifted_columns', operator: '>=', threshold: 2, summary: summary(), value: 1, breached: false },
    { name: 'dataset drifted', metric: 'dataset_drifted', operator: '==', threshold: 1, summary: summary({ dataset_drifted: true }), value: 1, breached: true },
    { name: 'volume', metric: 'volume_change', operator: '<=', threshold: -0.8, summary: summary({ volume_change: -0.5 }), value: -0.5, breached: false },
    { name: 'traffic collapsed in a window too small to compare', metric: 'volume_change', operator: '<=', threshold: -0.8, summary: insufficient, value: -0.997, breached: true },
    { name: 'current count in a small window', metric: 'current_count', operator: '<', threshold: 100, summary: insufficient, value: 3, breached: true },
    {
      name: '0 drifted columns of a window not compared is no data', metric: 'drifted_columns', operator: '<', threshold: 1, summary: insufficient, value: null, breached: null,
      noData: 'window status is insufficient_data: too few events to compare: reference 70000, current 3, min_events 100',
    },
    { name: 'drift share of a window not compared', metric: 'drift_share', operator: '>', threshold: 0.2, summary: insufficient, value: null, breached: null },
    { name: 'volume without a reference', metric: 'volume_change', operator: '<=', threshold: -0.8, summary: noReference, value: null, breached: null, noData: 'volume_change is null in this window: reference dataset "train" has not been uploaded' },
    { name: 'current count without a reference', metric: 'current_count', operator: '<', threshold: 100, summary: noReference, value: null, breached: null },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const [instance] = evaluateRule(rule({ metric: row.metric, condition: { operator: row.operator, threshold: row.threshold } }), observation({ summary: row.summary }))!.instances;
      assert.equal(instance!.column, null);
      assert.equal(instance!.key, instanceKey(GROUP, null));
      assert.equal(instance!.value, row.value);
      assert.equal(instance!.breached, row.breached);
      if (row.noData !== undefined) assert.equal(instance!.noData, row.noData);
    });
  }
  await t.test('details', () => {
    const [instance] = evaluateRule(rule({ metric: 'drift_share', condition: { operator: '>', threshold: 0.2 } }), observation())!.instances;
    assert.deepEqual(instance!.details, { drifted_columns: 1, tested_columns: 4, dataset_drifted: 0, volume_change: 0, current_count: 1000, expected_count: 1000 });
    const [small] = evaluateRule(rule({ metric: 'volume_change', condition: { operator: '<', threshold: 0 } }), observation({ summary: summary({ status: 'insufficient_data', current_count: 3, volume_change: -0.997 }) }))!.instances;
    assert.deepEqual(small!.details, { status: 'insufficient_data', current_count: 3, expected_count: 1000 });
  });
});

test('performance rules', async (t) => {
  const decay = { metric: 'accuracy', value_field: 'decay', condition: { operator: '>=', threshold: 0.03 } };
  const rows: Array<{ name: string; rule: Record<string, unknown>; performance: PerformanceObservation[]; value: number | null; breached: boolean | null; metric?: string; noData?: string; absent?: boolean }> = [
    { name: 'accuracy value', rule: { metric: 'accuracy', condition: { operator: '<', threshold: 0.92 } }, performance: [performance('accuracy', {})], value: 0.9, breached: true, metric: 'accuracy' },
    { name: 'accuracy decay', rule: decay, performance: [performance('accuracy', {})], value: 0.05, breached: true, metric: 'accuracy.decay' },
    { name: 'relative decay', rule: { ...decay, value_field: 'relative_decay', condition: { operator: '>=', threshold: 0.1 } }, performance: [performance('accuracy', {})], value: 0.05 / 0.95, breached: false, metric: 'accuracy.relative_decay' },
    { name: 'enough labels', rule: { ...decay, min_labels: 400 }, performance: [performance('accuracy', {})], value: 0.05, breached: true },
    {
      name: 'fewer labels than min_labels: no data, not a breach', rule: { ...decay, min_labels: 500 }, performance: [performance('accuracy', {})], value: null, breached: null,
      noData: 'insufficient labels: 400 of 1000 predictions labeled, min_labels 500',
    },
    {
      name: 'the analyzer found too few labels', rule: decay,
      performance: [performance('accuracy', { status: 'insufficient_labels', value: null, decay: null, relative_decay: null, labeled_count: 20, label_coverage: 0.02 })],
      value: null, breached: null, noData: 'insufficient labels: 20 of 1000 predictions labeled',
    },
    {
      name: 'no reference value to decay from', rule: decay, performance: [performance('accuracy', { reference_value: null, decay: null, relative_decay: null })],
      value: null, breached: null, noData: 'accuracy.decay is null: the reference has no value to decay from',
    },
    {
      name: 'an undefined metric says why', rule: { metric: 'roc_auc', condition: { operator: '<', threshold: 0.8 } },
      performance: [performance('roc_auc', { status: 'undefined', value: null, decay: null, note: 'only one class among the labels' })],
      value: null, breached: null, noData: 'roc_auc is null: only one class among the labels',
    },
    { name: 'no performance results', rule: decay, performance: [], value: null, breached: null, noData: 'no performance results in this window (no predictions)' },
    { name: 'a metric gone from the results is absent', rule: { metric: 'mae', condition: { operator: '>', threshold: 1 } }, performance: [performance('accuracy', {})], value: null, breached: false, absent: true },
    { name: 'label coverage', rule: { metric: 'label_coverage', condition: { operator: '<', threshold: 0.5 } }, performance: [performance('accuracy', {})], value: 0.4, breached: true },
    {
      name: 'label coverage counts even with too few labels', rule: { metric: 'label_coverage', condition: { operator: '<', threshold: 0.05 } },
      performance: [performance('accuracy', { status: 'insufficient_labels', value: null, labeled_count: 20, label_coverage: 0.02 })], value: 0.02, breached: true,
    },
    { name: 'labeled count', rule: { metric: 'labeled_count', condition: { operator: '<', threshold: 100 } }, performance: [performance('accuracy', {})], value: 400, breached: false },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const [instance] = evaluateRule(rule(row.rule), observation({ performance: row.performance }))!.instances;
      assert.equal(instance!.column, null);
      assert.equal(instance!.value, row.value);
      assert.equal(instance!.breached, row.breached);
      assert.equal(instance!.absent, row.absent ?? false);
      if (row.metric !== undefined) assert.equal(instance!.metric, row.metric);
      if (row.noData !== undefined) assert.equal(instance!.noData, row.noData);
    });
  }
  await t.test('details', () => {
    const [instance] = evaluateRule(rule(decay), observation({ performance: [performance('accuracy', {})] }))!.instances;
    assert.deepEqual(instance!.details, {
      value: 0.9, reference_value: 0.95, relative_decay: 0.05 / 0.95, labeled_count: 400, prediction_count: 1000, label_coverage: 0.4, reference_labeled_count: 5000,
    });
  });
});

test('observationsFromViews cuts series into windows', () => {
  const later = '2026-11-01T11:00:00.000Z';
  const segment = { name: 'country', value: 'DE' };
  const summaries = [summary(), summary({ window_start: later, window_end: '2026-11-01T12:00:00.000Z' }), summary({ segment })];
  const driftPoint = (start: string) => ({ ...COLUMNS[0]!.point, window_start: start });
  const drift: DriftSeries[] = [
    { monitor_id: 'hourly', segment: null, column: 'amount', role: 'feature', kind: 'numeric', points: [driftPoint(WINDOW_START), driftPoint(later)] },
    { monitor_id: 'hourly', segment, column: 'amount', role: 'feature', kind: 'numeric', points: [driftPoint(WINDOW_START)] },
    // No summary for this monitor: dropped.
    { monitor_id: 'daily', segment: null, column: 'amount', role: 'feature', kind: 'numeric', points: [driftPoint(WINDOW_START)] },
  ];
  const perf: PerformanceSeries[] = [{ monitor_id: 'hourly', segment: null, task: 'classification', metric: 'accuracy', points: [performance('accuracy', { window_start: later }).point] }];
  const observations = observationsFromViews('fraud', summaries, drift, perf);
  assert.deepEqual(observations.map((item) => [item.summary.window_start, item.summary.segment?.value ?? null, item.columns.length, item.performance.length]), [
    [WINDOW_START, null, 1, 0], [later, null, 1, 1], [WINDOW_START, 'DE', 1, 0],
  ]);
  assert.equal(observations[1]!.columns[0]!.point.window_start, later);
  assert.equal(observations[1]!.performance[0]!.metric, 'accuracy');
  assert.ok(observations.every((item) => item.modelId === 'fraud'));
});

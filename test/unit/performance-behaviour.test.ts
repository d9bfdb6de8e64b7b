/**
 * Accuracy-decay engine behaviour that sklearn cannot be the reference for:
 * the decay sign convention, notes on undefined metrics, input validation, and
 * aggregates that arrive unordered, duplicated or with empty cells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classificationAggregates,
  classificationMetrics,
  compareCodePoints,
  higherIsBetter,
  logLossTerm,
  metricDecay,
  regressionAggregates,
  regressionMetrics,
  rocAuc,
  CLASSIFICATION_METRICS,
  REGRESSION_METRICS,
  type ClassificationInput,
  type MetricValue,
} from '../../analyzer/performance/index.js';

function metric(metrics: MetricValue[], name: string): MetricValue {
  const found = metrics.find((m) => m.name === name);
  assert.ok(found, `metric ${name} present`);
  return found;
}

// ---------------------------------------------------------------- decay

const decayTable: {
  metric: string;
  reference: number | null;
  current: number | null;
  decay: number | null;
  relativeDecay: number | null;
  why: string;
}[] = [
  { metric: 'accuracy', reference: 0.5, current: 0.25, decay: 0.25, relativeDecay: 0.5, why: 'lower accuracy is worse' },
  { metric: 'f1', reference: 0.5, current: 0.75, decay: -0.25, relativeDecay: -0.5, why: 'an improvement is negative' },
  { metric: 'roc_auc', reference: 0.75, current: 0.75, decay: 0, relativeDecay: 0, why: 'no change' },
  { metric: 'precision', reference: 0, current: 0.5, decay: -0.5, relativeDecay: null, why: 'reference 0: no relative decay' },
  { metric: 'recall', reference: 1, current: 0, decay: 1, relativeDecay: 1, why: 'total loss of recall' },
  { metric: 'log_loss', reference: 0.25, current: 0.5, decay: 0.25, relativeDecay: 1, why: 'higher loss is worse' },
  { metric: 'mae', reference: 2, current: 1, decay: -1, relativeDecay: -0.5, why: 'lower error is better' },
  { metric: 'rmse', reference: 0, current: 3, decay: 3, relativeDecay: null, why: 'perfect reference: no scale' },
  { metric: 'mape', reference: 0.125, current: 0.5, decay: 0.375, relativeDecay: 3, why: 'ratio, not percent' },
  { metric: 'accuracy', reference: null, current: 0.9, decay: null, relativeDecay: null, why: 'undefined reference' },
  { metric: 'log_loss', reference: 0.3, current: null, decay: null, relativeDecay: null, why: 'undefined current' },
];

for (const row of decayTable) {
  test(`metricDecay ${row.metric} ${row.reference} -> ${row.current}: ${row.why}`, () => {
    assert.deepEqual(metricDecay(row.metric, row.reference, row.current), {
      decay: row.decay,
      relativeDecay: row.relativeDecay,
    });
  });
}

test('higherIsBetter covers every metric name and refuses unknown ones', () => {
  assert.deepEqual(
    CLASSIFICATION_METRICS.map((m) => higherIsBetter(m)),
    [true, true, true, true, true, false],
  );
  assert.deepEqual(REGRESSION_METRICS.map((m) => higherIsBetter(m)), [false, false, false]);
  assert.throws(() => higherIsBetter('auc'), RangeError);
  assert.throws(() => higherIsBetter('toString'), RangeError, 'inherited keys are not metrics');
  assert.throws(() => metricDecay('accuracy', NaN, 0.5), /finite/);
  assert.throws(() => metricDecay('mae', 1, Infinity), /finite/);
});

// ---------------------------------------------------------------- notes on undefined and zero-division values

test('empty inputs give every metric as null with a note, in a fixed order', () => {
  const classification = classificationMetrics({ confusion: [], positiveClass: '1', scoreCounts: [], logLoss: { sum: 0, count: 0 } });
  assert.deepEqual(classification.map((m) => m.name), [...CLASSIFICATION_METRICS]);
  for (const m of classification) assert.ok(m.value === null && m.note, `${m.name} null with a note`);
  const regression = regressionMetrics(regressionAggregates([]));
  assert.deepEqual(regression.map((m) => m.name), [...REGRESSION_METRICS]);
  for (const m of regression) assert.ok(m.value === null && m.note, `${m.name} null with a note`);
});

test('without a positive class, score metrics are null and say a positive class is needed', () => {
  const input = classificationAggregates(
    [
      { label: 'a', prediction: 'a', score: 0.9 },
      { label: 'b', prediction: 'a', score: 0.2 },
    ],
    null,
  );
  assert.equal(input.scoreCounts, undefined, 'scores are not collected without a positive class');
  const metrics = classificationMetrics({ ...input, scoreCounts: [{ score: 0.5, positives: 1, negatives: 1 }] });
  assert.match(metric(metrics, 'roc_auc').note ?? '', /positive class/);
  assert.match(metric(metrics, 'log_loss').note ?? '', /positive class/);
});

test('one class among scored labels: ROC AUC null with a note naming it; log loss still defined', () => {
  const metrics = classificationMetrics(
    classificationAggregates(
      [
        { label: 'no', prediction: 'no', score: 0.1 },
        { label: 'no', prediction: 'yes', score: 0.8 },
      ],
      'yes',
    ),
  );
  assert.equal(metric(metrics, 'roc_auc').value, null);
  assert.match(metric(metrics, 'roc_auc').note ?? '', /not 'yes'/);
  assert.ok(metric(metrics, 'log_loss').value! > 0);
});

test('zero divisions are 0 with a note; defined values carry none', () => {
  const neverPositive = classificationMetrics({
    confusion: [
      { label: '1', prediction: '0', count: 3 },
      { label: '0', prediction: '0', count: 5 },
    ],
    positiveClass: '1',
  });
  assert.deepEqual(metric(neverPositive, 'precision'), {
    name: 'precision',
    value: 0,
    note: "precision is 0/0 ('1' is never predicted); counted as 0, as sklearn's default zero_division",
  });
  assert.equal(metric(neverPositive, 'recall').note, null, 'recall 0/3 is defined');
  assert.equal(metric(neverPositive, 'accuracy').note, null);

  const macro = classificationMetrics({
    confusion: [
      { label: 'a', prediction: 'z', count: 2 },
      { label: 'b', prediction: 'b', count: 1 },
    ],
    positiveClass: null,
  });
  assert.match(metric(macro, 'precision').note ?? '', /'a'/, "'a' is never predicted");
  assert.match(metric(macro, 'recall').note ?? '', /'z'/, "'z' is never a label");
});

test('a positive class among three classes is one-vs-rest, and the notes say so', () => {
  const metrics = classificationMetrics({
    confusion: [
      { label: 'a', prediction: 'a', count: 2 },
      { label: 'b', prediction: 'c', count: 1 },
      { label: 'c', prediction: 'a', count: 1 },
    ],
    positiveClass: 'a',
  });
  assert.equal(metric(metrics, 'precision').value, 2 / 3);
  assert.match(metric(metrics, 'precision').note ?? '', /one-vs-rest/);
});

// ---------------------------------------------------------------- aggregates as the database may send them

test('score counts in any order, with repeated and signed-zero scores, give the merged answer', () => {
  const sorted = [
    { score: 0, positives: 1, negatives: 3 },
    { score: 0.4, positives: 2, negatives: 2 },
    { score: 0.9, positives: 4, negatives: 0 },
  ];
  const scrambled = [
    { score: 0.9, positives: 3, negatives: 0 },
    { score: -0, positives: 1, negatives: 1 },
    { score: 0.4, positives: 2, negatives: 2 },
    { score: 0, positives: 0, negatives: 2 },
    { score: 0.9, positives: 1, negatives: 0 },
    { score: 0.7, positives: 0, negatives: 0 },
  ];
  assert.equal(rocAuc(scrambled), rocAuc(sorted));
  // Pairs: 7 positives x 5 negatives; wins 1*1.5 + 2*(3 + 1) + 4*5 = 29.5.
  assert.equal(rocAuc(sorted), 29.5 / 35);
  assert.equal(rocAuc([{ score: 0.5, positives: 4, negatives: 6 }]), 0.5, 'all tied');
});

test('confusion cells with count 0 add no class to the macro average; repeated cells add up', () => {
  const metrics = classificationMetrics({
    confusion: [
      { label: 'a', prediction: 'a', count: 2 },
      { label: 'a', prediction: 'b', count: 0 },
      { label: 'a', prediction: 'a', count: 1 },
    ],
    positiveClass: null,
  });
  assert.equal(metric(metrics, 'precision').value, 1);
  assert.equal(metric(metrics, 'accuracy').value, 1);
});

test('classes sort by code point, as Python (UTF-16 order differs above U+FFFF)', () => {
  assert.deepEqual(['\u{1F600}', 'Z', '\uff21', 'a', 'ab'].sort(compareCodePoints), ['Z', 'a', 'ab', '\uff21', '\u{1F600}']);
  assert.deepEqual(['\u{1F600}', '\uff21'].sort(), ['\u{1F600}', '\uff21'], 'the default sort would differ');
});

test('logLossTerm forms 1 - score before clipping, as sklearn', () => {
  assert.equal(logLossTerm(0.3, false), -Math.log(1 - 0.3));
  assert.equal(logLossTerm(0, true), -Math.log(Number.EPSILON));
  assert.equal(logLossTerm(1, true), -Math.log(1 - Number.EPSILON));
  assert.equal(logLossTerm(0, false), logLossTerm(1, true));
});

// ---------------------------------------------------------------- validation

const invalidClassification: { why: string; input: ClassificationInput; message: RegExp }[] = [
  {
    why: 'negative count',
    input: { confusion: [{ label: 'a', prediction: 'a', count: -1 }], positiveClass: null },
    message: /label 'a', prediction 'a'.*non-negative integer, got -1/,
  },
  {
    why: 'fractional count',
    input: { confusion: [{ label: 'a', prediction: 'b', count: 0.5 }], positiveClass: null },
    message: /non-negative integer/,
  },
  {
    why: 'NaN count',
    input: { confusion: [{ label: 'a', prediction: 'b', count: NaN }], positiveClass: null },
    message: /non-negative integer/,
  },
  {
    why: 'non-finite score',
    input: { confusion: [], positiveClass: '1', scoreCounts: [{ score: NaN, positives: 1, negatives: 0 }] },
    message: /score must be finite/,
  },
  {
    why: 'negative positives',
    input: { confusion: [], positiveClass: '1', scoreCounts: [{ score: 0.5, positives: -2, negatives: 0 }] },
    message: /positives: count must be a non-negative integer/,
  },
  {
    why: 'non-finite log-loss sum',
    input: { confusion: [], positiveClass: '1', logLoss: { sum: Infinity, count: 3 } },
    message: /logLoss: sum must be a finite number/,
  },
  {
    why: 'negative log-loss count',
    input: { confusion: [], positiveClass: '1', logLoss: { sum: 1, count: -3 } },
    message: /logLoss: count must be a non-negative integer/,
  },
];

for (const { why, input, message } of invalidClassification) {
  test(`classificationMetrics refuses ${why}`, () => {
    assert.throws(() => classificationMetrics(input), (error: unknown) => error instanceof RangeError && message.test(error.message));
  });
}

test('raw rows: scores outside [0, 1] or non-finite are refused; non-finite regression values too', () => {
  for (const score of [NaN, Infinity, -0.1, 1.5]) {
    assert.throws(
      () => classificationAggregates([{ label: '1', prediction: '1', score }], '1'),
      (error: unknown) => error instanceof RangeError && /probability in \[0, 1\]/.test(error.message),
      String(score),
    );
  }
  assert.throws(() => regressionAggregates([{ label: NaN, prediction: 1 }]), /label must be a finite number/);
  assert.throws(() => regressionAggregates([{ label: 1, prediction: -Infinity }]), /prediction must be a finite number/);
});

test('regression aggregates are validated, and an overflowing squared error is refused', () => {
  const valid = { count: 2, sumAbsoluteError: 1, sumSquaredError: 1, sumAbsolutePercentageError: 0.5 };
  assert.throws(() => regressionMetrics({ ...valid, count: -1 }), /count must be a non-negative integer/);
  assert.throws(() => regressionMetrics({ ...valid, sumAbsoluteError: -1 }), /sumAbsoluteError/);
  assert.throws(() => regressionMetrics({ ...valid, nearZeroLabelCount: 3 }), /nearZeroLabelCount/);
  const overflow = regressionAggregates([{ label: 1e200, prediction: -1e200 }]);
  assert.throws(() => regressionMetrics(overflow), /sumSquaredError must be a finite number/);
});

/**
 * Accuracy-decay metrics against sklearn.metrics 1.9 (scripts/gen_performance_fixtures.py).
 * Every case is checked on both paths the service can take:
 *  - aggregate path: the fixture's aggregates (computed in Python, as the ClickHouse
 *    queries would) -> classificationMetrics / regressionMetrics;
 *  - raw path: the rows -> classificationAggregates / regressionAggregates -> metrics,
 *    and those aggregates must equal the fixture's.
 * Tolerance: 1e-9 absolute, or 1e-12 relative for the MAPE of labels equal to 0
 * (values ~1e14, where 1e-9 is below one unit in the last place).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  absolutePercentageErrorTerm,
  classificationAggregates,
  classificationMetrics,
  logLossTerm,
  regressionAggregates,
  regressionMetrics,
  type ClassificationInput,
  type ClassificationRow,
  type MetricValue,
  type RegressionAggregates,
  type RegressionRow,
} from '../../analyzer/performance/index.js';
import { assertClose, generateSample, type SampleSpec } from './stats-fixture-rng.js';

const TOLERANCE = { absolute: 1e-9, relative: 1e-12 };

interface ClassificationSpec {
  classes: string[];
  cuts: number[];
  positive_class: string | null;
  label: SampleSpec;
  correct: SampleSpec;
  correct_below: number;
  wrong: SampleSpec;
  score?: SampleSpec;
  score_shift?: number;
  score_scale?: number;
}

interface ClassificationCase {
  name: string;
  note: string;
  positive_class: string | null;
  rows?: [string, string, number | null][];
  spec?: ClassificationSpec;
  sklearn: string;
  aggregates: {
    confusion: [string, string, number][];
    score_counts: [number, number, number][] | null;
    log_loss: { sum: number; count: number } | null;
  };
  expected: Record<'accuracy' | 'precision' | 'recall' | 'f1' | 'roc_auc' | 'log_loss', number | null>;
}

interface RegressionCase {
  name: string;
  note: string;
  rows?: [number, number][];
  spec?: { label: SampleSpec; noise: SampleSpec };
  aggregates: {
    count: number;
    sum_absolute_error: number;
    sum_squared_error: number;
    sum_absolute_percentage_error: number;
    near_zero_label_count: number;
  };
  expected: Record<'mae' | 'rmse' | 'mape', number | null>;
}

/** Compiled tests live in dist/test/unit/; the repository root is three levels up. */
function readFixture<T>(name: string): T {
  const url = new URL(`../../../test/fixtures/performance/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

const classification = readFixture<{
  cases: ClassificationCase[];
  log_loss_terms: { score: number; is_positive: boolean; term: number }[];
}>('classification-cases.json');
const regression = readFixture<{
  cases: RegressionCase[];
  ape_terms: { truth: number; prediction: number; term: number }[];
}>('regression-cases.json');

/** Mirrors classification_rows in the generator: same PRNG streams, same arithmetic. */
function generatedClassificationRows(spec: ClassificationSpec): ClassificationRow[] {
  const classOf = (value: number): string => spec.classes[spec.cuts.filter((cut) => cut <= value).length]!;
  const labels = generateSample(spec.label);
  const correct = generateSample(spec.correct);
  const wrong = generateSample(spec.wrong);
  const scores = spec.score === undefined ? null : generateSample(spec.score);
  const rows: ClassificationRow[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = classOf(labels[i]!);
    const prediction = correct[i]! < spec.correct_below ? label : classOf(wrong[i]!);
    let score: number | null = null;
    if (scores !== null) {
      const shift = label === spec.positive_class ? spec.score_shift! : 0;
      score = (scores[i]! + shift) / spec.score_scale!;
    }
    rows.push({ label, prediction, score });
  }
  return rows;
}

function generatedRegressionRows(spec: { label: SampleSpec; noise: SampleSpec }): RegressionRow[] {
  const labels = generateSample(spec.label);
  const noise = generateSample(spec.noise);
  return Array.from(labels, (label, i) => ({ label, prediction: label + noise[i]! }));
}

function classificationRows(c: ClassificationCase): ClassificationRow[] {
  if (c.spec !== undefined) return generatedClassificationRows(c.spec);
  return c.rows!.map(([label, prediction, score]) => ({ label, prediction, score }));
}

function fixtureClassificationInput(c: ClassificationCase): ClassificationInput {
  const a = c.aggregates;
  const input: ClassificationInput = {
    confusion: a.confusion.map(([label, prediction, count]) => ({ label, prediction, count })),
    positiveClass: c.positive_class,
  };
  if (a.score_counts !== null) {
    input.scoreCounts = a.score_counts.map(([score, positives, negatives]) => ({ score, positives, negatives }));
  }
  if (a.log_loss !== null) input.logLoss = a.log_loss;
  return input;
}

function assertMetrics(metrics: MetricValue[], expected: Record<string, number | null>, path: string): void {
  assert.deepEqual(metrics.map((m) => m.name), Object.keys(expected), `${path}: metric names and order`);
  for (const metric of metrics) {
    assertClose(metric.value, expected[metric.name]!, TOLERANCE, `${path} ${metric.name}`);
    if (metric.value === null) assert.ok(metric.note, `${path} ${metric.name}: an undefined metric says why`);
  }
}

for (const c of classification.cases) {
  test(`classification: ${c.name} (${c.note})`, () => {
    assertMetrics(classificationMetrics(fixtureClassificationInput(c)), c.expected, 'aggregates');

    const raw = classificationAggregates(classificationRows(c), c.positive_class);
    assertMetrics(classificationMetrics(raw), c.expected, 'raw rows');

    const cellKey = (cell: { label: string; prediction: string; count: number }) =>
      JSON.stringify([cell.label, cell.prediction, cell.count]);
    assert.deepEqual(
      [...raw.confusion].map(cellKey).sort(),
      c.aggregates.confusion.map((cell) => JSON.stringify(cell)).sort(),
      'confusion cells',
    );
    assert.deepEqual(
      raw.scoreCounts === undefined ? null : [...raw.scoreCounts].map((s) => [s.score, s.positives, s.negatives]),
      c.aggregates.score_counts,
      'score counts (ascending, one per distinct score)',
    );
    assert.equal(raw.logLoss?.count ?? null, c.aggregates.log_loss?.count ?? null, 'scored rows');
    assertClose(raw.logLoss?.sum ?? null, c.aggregates.log_loss?.sum ?? null, { relative: 1e-14 }, 'log-loss sum');
  });
}

test('logLossTerm equals sklearn log_loss of a single row (clipping at eps and 1 - eps)', () => {
  for (const { score, is_positive, term } of classification.log_loss_terms) {
    // Terms up to 36; V8's and libm's log may differ in the last bit.
    assertClose(logLossTerm(score, is_positive), term, { relative: 1e-15, absolute: 1e-300 }, `term(${score}, ${is_positive})`);
  }
});

function fixtureRegressionAggregates(c: RegressionCase): RegressionAggregates {
  const a = c.aggregates;
  return {
    count: a.count,
    sumAbsoluteError: a.sum_absolute_error,
    sumSquaredError: a.sum_squared_error,
    sumAbsolutePercentageError: a.sum_absolute_percentage_error,
    nearZeroLabelCount: a.near_zero_label_count,
  };
}

for (const c of regression.cases) {
  test(`regression: ${c.name} (${c.note})`, () => {
    const fromFixture = regressionMetrics(fixtureRegressionAggregates(c));
    assertMetrics(fromFixture, c.expected, 'aggregates');

    const rows = c.spec !== undefined ? generatedRegressionRows(c.spec) : c.rows!.map(([label, prediction]) => ({ label, prediction }));
    const raw = regressionAggregates(rows);
    assertMetrics(regressionMetrics(raw), c.expected, 'raw rows');

    const expected = fixtureRegressionAggregates(c);
    assert.equal(raw.count, expected.count, 'count');
    assert.equal(raw.nearZeroLabelCount, expected.nearZeroLabelCount, 'labels below eps');
    // Compensated sums against math.fsum (correctly rounded).
    assertClose(raw.sumAbsoluteError, expected.sumAbsoluteError, { relative: 1e-15 }, 'sum |error|');
    assertClose(raw.sumSquaredError, expected.sumSquaredError, { relative: 1e-15 }, 'sum error^2');
    assertClose(raw.sumAbsolutePercentageError, expected.sumAbsolutePercentageError, { relative: 1e-15 }, 'sum APE');
    const mape = fromFixture.find((m) => m.name === 'mape')!;
    assert.equal(mape.note !== null, expected.nearZeroLabelCount! > 0, 'MAPE notes labels below eps');
  });
}

test('absolutePercentageErrorTerm equals sklearn MAPE of a single row', () => {
  for (const { truth, prediction, term } of regression.ape_terms) {
    assert.equal(absolutePercentageErrorTerm(truth, prediction), term, `term(${truth}, ${prediction})`);
  }
});

/**
 * Regression metrics of one window from aggregates (the service sums in
 * ClickHouse), equal to sklearn.metrics on the underlying rows: mean_absolute_error,
 * root_mean_squared_error, mean_absolute_percentage_error. See docs/performance.md.
 */
import { CompensatedSum } from '../stats/compensated-sum.js';
import type { MetricValue } from './decay.js';

export interface RegressionAggregates {
  count: number;
  sumAbsoluteError: number;
  sumSquaredError: number;
  /** Sum of absolutePercentageErrorTerm. */
  sumAbsolutePercentageError: number;
  /**
   * Rows whose |label| < eps, where sklearn divides by eps instead: one such row
   * can dominate MAPE, so the metric's note says so. Optional; SQL: countIf(abs(label) < eps).
   */
  nearZeroLabelCount?: number;
}

export interface RegressionRow {
  label: number;
  prediction: number;
}

/** sklearn's MAPE denominator floor: np.finfo(np.float64).eps = 2^-52. */
export const MAPE_EPSILON = Number.EPSILON;

/** sklearn's per-row MAPE term: |prediction - truth| / max(|truth|, eps). A ratio, not a percentage. */
export function absolutePercentageErrorTerm(truth: number, prediction: number): number {
  checkFinite(truth, 'label');
  checkFinite(prediction, 'prediction');
  return Math.abs(prediction - truth) / Math.max(Math.abs(truth), MAPE_EPSILON);
}

export function regressionMetrics(aggregates: RegressionAggregates): MetricValue[] {
  const { count } = aggregates;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`regression aggregates: count must be a non-negative integer, got ${count}`);
  }
  checkSum(aggregates.sumAbsoluteError, 'sumAbsoluteError');
  checkSum(aggregates.sumSquaredError, 'sumSquaredError');
  checkSum(aggregates.sumAbsolutePercentageError, 'sumAbsolutePercentageError');
  const nearZero = aggregates.nearZeroLabelCount ?? 0;
  if (!Number.isSafeInteger(nearZero) || nearZero < 0 || nearZero > count) {
    throw new RangeError(`regression aggregates: nearZeroLabelCount must be an integer in [0, count], got ${nearZero}`);
  }
  if (count === 0) {
    const note = 'no labeled predictions in the window';
    return [
      { name: 'mae', value: null, note },
      { name: 'rmse', value: null, note },
      { name: 'mape', value: null, note },
    ];
  }
  const mapeNote =
    nearZero === 0
      ? null
      : `${nearZero} of ${count} labels are 0 (|label| < 2^-52): sklearn divides their errors by 2^-52, ` +
        'so they dominate MAPE';
  return [
    { name: 'mae', value: aggregates.sumAbsoluteError / count, note: null },
    { name: 'rmse', value: Math.sqrt(aggregates.sumSquaredError / count), note: null },
    { name: 'mape', value: aggregates.sumAbsolutePercentageError / count, note: mapeNote },
  ];
}

/** Reduces raw rows to the aggregates regressionMetrics takes, as the SQL does (with compensated sums). */
export function regressionAggregates(rows: Iterable<RegressionRow>): RegressionAggregates {
  const absolute = new CompensatedSum();
  const squared = new CompensatedSum();
  const percentage = new CompensatedSum();
  let count = 0;
  let nearZeroLabelCount = 0;
  for (const { label, prediction } of rows) {
    percentage.add(absolutePercentageErrorTerm(label, prediction)); // validates both
    const error = prediction - label;
    absolute.add(Math.abs(error));
    squared.add(error * error);
    if (Math.abs(label) < MAPE_EPSILON) nearZeroLabelCount++;
    count++;
  }
  return {
    count,
    sumAbsoluteError: absolute.value,
    sumSquaredError: squared.value,
    sumAbsolutePercentageError: percentage.value,
    nearZeroLabelCount,
  };
}

function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`regression row: ${what} must be a finite number, got ${value}`);
}

function checkSum(sum: number, what: string): void {
  // An infinite sum means a squared error overflowed: no finite metric to report.
  if (!Number.isFinite(sum) || sum < 0) {
    throw new RangeError(`regression aggregates: ${what} must be a finite number >= 0, got ${sum}`);
  }
}

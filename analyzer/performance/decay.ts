/**
 * The accuracy-decay vocabulary: which metrics exist, which way is better, and
 * how far a current value has moved from the reference value in the bad direction.
 *
 * Decay is signed so that a positive number always means "worse", whatever the
 * metric, so one alert threshold reads the same for accuracy and for RMSE.
 */

export const CLASSIFICATION_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss'] as const;
export const REGRESSION_METRICS = ['mae', 'rmse', 'mape'] as const;

export type ClassificationMetricName = (typeof CLASSIFICATION_METRICS)[number];
export type RegressionMetricName = (typeof REGRESSION_METRICS)[number];
export type MetricName = ClassificationMetricName | RegressionMetricName;

/** One metric of one window. `value` is null when the metric is undefined there; `note` says why. */
export interface MetricValue {
  name: MetricName;
  value: number | null;
  /** Why the value is null, or what sklearn would have warned about (e.g. a zero division set to 0). */
  note: string | null;
}

export interface MetricDecay {
  /** Positive means worse than the reference; null when either side is null. */
  decay: number | null;
  /** decay / |reference|; null when the reference is 0 or null. */
  relativeDecay: number | null;
}

const HIGHER_IS_BETTER: Readonly<Record<MetricName, boolean>> = {
  accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  roc_auc: true,
  log_loss: false,
  mae: false,
  rmse: false,
  mape: false,
};

export function isMetricName(metric: string): metric is MetricName {
  return Object.hasOwn(HIGHER_IS_BETTER, metric);
}

/** Throws a RangeError for a name outside CLASSIFICATION_METRICS and REGRESSION_METRICS. */
export function higherIsBetter(metric: string): boolean {
  if (!isMetricName(metric)) {
    throw new RangeError(
      `unknown metric '${metric}': expected one of ${[...CLASSIFICATION_METRICS, ...REGRESSION_METRICS].join(', ')}`,
    );
  }
  return HIGHER_IS_BETTER[metric];
}

export function metricDecay(metric: string, reference: number | null, current: number | null): MetricDecay {
  const higher = higherIsBetter(metric);
  checkFiniteOrNull(reference, 'reference');
  checkFiniteOrNull(current, 'current');
  if (reference === null || current === null) return { decay: null, relativeDecay: null };
  const decay = higher ? reference - current : current - reference;
  // A reference of 0 (perfect MAE, or an accuracy of 0) has no scale to be relative to.
  const relativeDecay = reference === 0 ? null : decay / Math.abs(reference);
  return { decay, relativeDecay };
}

function checkFiniteOrNull(value: number | null, side: string): void {
  if (value !== null && !Number.isFinite(value)) {
    throw new RangeError(`metricDecay: ${side} value must be a finite number or null, got ${value}`);
  }
}

/**
 * Classification metrics of one window from aggregates (the service counts in
 * ClickHouse), equal to sklearn.metrics on the underlying rows; docs/performance.md
 * gives the exact definition and the sklearn call of every number.
 *
 * Labels and predictions are category strings: the service turns booleans into
 * 'true'/'false' and numbers into String(x) before grouping, so 1 and '1' are one class.
 */
import { CompensatedSum } from '../stats/compensated-sum.js';
import type { MetricValue } from './decay.js';

/** One cell of the confusion matrix: GROUP BY label, prediction over labeled predictions. */
export interface ConfusionCell {
  label: string;
  prediction: string;
  count: number;
}

/** Labeled predictions with one score value (GROUP BY score), split by whether the label is the positive class. */
export interface ScoreCount {
  score: number;
  positives: number;
  negatives: number;
}

/** Sum of logLossTerm over the labeled predictions that carry a score, and their number. */
export interface LogLossAggregate {
  sum: number;
  count: number;
}

export interface ClassificationInput {
  confusion: Iterable<ConfusionCell>;
  /** Binary metrics for this class; null = multi-class macro averages. */
  positiveClass: string | null;
  /** Only when predictions carry `score` = probability of the positive class. Any order; equal scores are merged. */
  scoreCounts?: Iterable<ScoreCount>;
  logLoss?: LogLossAggregate;
}

export interface ClassificationRow {
  label: string;
  prediction: string;
  /** Probability of the positive class; null or absent when the prediction has none. */
  score?: number | null;
}

/**
 * sklearn clips probabilities to [eps, 1 - eps] with the float64 machine epsilon
 * (sklearn.metrics.log_loss, 1.9). 1 - eps is exactly representable.
 */
export const LOG_LOSS_EPSILON = Number.EPSILON;

/**
 * The per-row term of sklearn's binary log loss, so SQL can add it up:
 *   p = isPositive ? score : 1 - score
 *   term = -ln(min(max(p, eps), 1 - eps)),  eps = 2^-52
 * sklearn forms the two-column matrix [1 - score, score] first and clips both
 * columns afterwards, so 1 - score is computed before clipping, as here.
 */
export function logLossTerm(scoreOfPositive: number, isPositive: boolean): number {
  checkProbability(scoreOfPositive);
  const p = isPositive ? scoreOfPositive : 1 - scoreOfPositive;
  return -Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON));
}

/**
 * ROC AUC as the Mann-Whitney statistic with ties counted one half, which is
 * exactly the area under sklearn's trapezoidal ROC curve. With integer counts
 * every partial sum is a multiple of 1/2 below 2^53, so the only rounding is the
 * final division. null when the scores cover only one class.
 */
export function rocAuc(scoreCounts: Iterable<ScoreCount>): number | null {
  const merged = mergeScoreCounts(scoreCounts);
  let positives = 0;
  let negatives = 0;
  let wins = 0;
  for (const entry of merged) {
    wins += entry.positives * (negatives + entry.negatives / 2);
    positives += entry.positives;
    negatives += entry.negatives;
  }
  if (positives === 0 || negatives === 0) return null;
  return wins / (positives * negatives);
}

export function classificationMetrics(input: ClassificationInput): MetricValue[] {
  const confusion = summarizeConfusion(input.confusion);
  const setWise =
    input.positiveClass === null ? macroScores(confusion) : binaryScores(confusion, input.positiveClass);
  return [
    confusion.total === 0
      ? { name: 'accuracy', value: null, note: NO_LABELS }
      : { name: 'accuracy', value: confusion.correct / confusion.total, note: null },
    ...setWise,
    rocAucMetric(input),
    logLossMetric(input),
  ];
}

/** Reduces raw rows to the aggregates classificationMetrics takes, as the SQL does. */
export function classificationAggregates(rows: Iterable<ClassificationRow>, positiveClass: string | null): ClassificationInput {
  const cells = new Map<string, Map<string, number>>();
  const scores = new Map<number, ScoreCount>();
  const logLossSum = new CompensatedSum();
  let scored = 0;
  for (const row of rows) {
    let byPrediction = cells.get(row.label);
    if (byPrediction === undefined) cells.set(row.label, (byPrediction = new Map()));
    byPrediction.set(row.prediction, (byPrediction.get(row.prediction) ?? 0) + 1);
    // Without a positive class a score has no meaning: it is the probability of which class?
    if (positiveClass === null || row.score === null || row.score === undefined) continue;
    const isPositive = row.label === positiveClass;
    logLossSum.add(logLossTerm(row.score, isPositive));
    scored++;
    const key = row.score === 0 ? 0 : row.score; // -0 and 0 are one GROUP BY key
    let entry = scores.get(key);
    if (entry === undefined) scores.set(key, (entry = { score: key, positives: 0, negatives: 0 }));
    if (isPositive) entry.positives++;
    else entry.negatives++;
  }
  const confusion: ConfusionCell[] = [];
  for (const [label, byPrediction] of cells) {
    for (const [prediction, count] of byPrediction) confusion.push({ label, prediction, count });
  }
  const input: ClassificationInput = { confusion, positiveClass };
  if (scored > 0) {
    input.scoreCounts = [...scores.values()].sort((a, b) => a.score - b.score);
    input.logLoss = { sum: logLossSum.value, count: scored };
  }
  return input;
}

// ---------------------------------------------------------------- confusion matrix

const NO_LABELS = 'no labeled predictions in the window';
const NO_SCORES = 'no labeled prediction carries a score';
const NEEDS_POSITIVE_CLASS = 'needs a positive class: scores are probabilities of the positive class (binary models only)';
const ZERO_DIVISION = "counted as 0, as sklearn's default zero_division";

interface ConfusionSummary {
  total: number;
  correct: number;
  /** Rows per label value (support), per prediction value, and correct rows per class. */
  byLabel: Map<string, number>;
  byPrediction: Map<string, number>;
  truePositives: Map<string, number>;
  /** Union of labels and predictions with at least one row, sorted as sklearn's unique_labels. */
  classes: string[];
}

function summarizeConfusion(cells: Iterable<ConfusionCell>): ConfusionSummary {
  const summary: ConfusionSummary = {
    total: 0,
    correct: 0,
    byLabel: new Map(),
    byPrediction: new Map(),
    truePositives: new Map(),
    classes: [],
  };
  for (const cell of cells) {
    checkCount(cell.count, `confusion cell (label '${cell.label}', prediction '${cell.prediction}')`);
    // A cell without rows must not add a class to the macro average.
    if (cell.count === 0) continue;
    summary.total += cell.count;
    addTo(summary.byLabel, cell.label, cell.count);
    addTo(summary.byPrediction, cell.prediction, cell.count);
    if (cell.label === cell.prediction) {
      summary.correct += cell.count;
      addTo(summary.truePositives, cell.label, cell.count);
    }
  }
  const classes = new Set([...summary.byLabel.keys(), ...summary.byPrediction.keys()]);
  summary.classes = [...classes].sort(compareCodePoints);
  return summary;
}

interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Which of the three were 0/0 (sklearn warns and returns 0). */
  undefinedPrecision: boolean;
  undefinedRecall: boolean;
  undefinedF1: boolean;
}

/** One-vs-rest scores of one class, with sklearn's formulas (F1 from counts, not from P and R). */
function classScores(confusion: ConfusionSummary, positive: string): ClassScores {
  const truePositives = confusion.truePositives.get(positive) ?? 0;
  const predicted = confusion.byPrediction.get(positive) ?? 0;
  const actual = confusion.byLabel.get(positive) ?? 0;
  return {
    precision: predicted === 0 ? 0 : truePositives / predicted,
    recall: actual === 0 ? 0 : truePositives / actual,
    f1: actual + predicted === 0 ? 0 : (2 * truePositives) / (actual + predicted),
    undefinedPrecision: predicted === 0,
    undefinedRecall: actual === 0,
    undefinedF1: actual + predicted === 0,
  };
}

function binaryScores(confusion: ConfusionSummary, positive: string): MetricValue[] {
  if (confusion.total === 0) return setWiseUndefined(NO_LABELS);
  const scores = classScores(confusion, positive);
  const others = confusion.classes.filter((c) => c !== positive);
  // sklearn's average='binary' refuses more than two classes, and a positive class
  // absent from two present ones; one-vs-rest is its labels=[positive] average.
  const scope =
    others.length >= 2
      ? `one-vs-rest for '${positive}' over ${confusion.classes.length} classes ` +
        `(as sklearn labels=['${positive}'], average='macro'; average='binary' refuses this input)`
      : null;
  const note = (isUndefined: boolean, what: string, why: string): string | null =>
    joinNotes(isUndefined ? `${what} is 0/0 (${why}); ${ZERO_DIVISION}` : null, scope);
  return [
    { name: 'precision', value: scores.precision, note: note(scores.undefinedPrecision, 'precision', `'${positive}' is never predicted`) },
    { name: 'recall', value: scores.recall, note: note(scores.undefinedRecall, 'recall', `no label is '${positive}'`) },
    { name: 'f1', value: scores.f1, note: note(scores.undefinedF1, 'f1', `'${positive}' occurs in no label or prediction`) },
  ];
}

function macroScores(confusion: ConfusionSummary): MetricValue[] {
  if (confusion.total === 0) return setWiseUndefined(NO_LABELS);
  const perClass = confusion.classes.map((c) => classScores(confusion, c));
  const mean = (pick: (s: ClassScores) => number): number =>
    perClass.reduce((sum, s) => sum + pick(s), 0) / perClass.length;
  const zeroDivisionNote = (isUndefined: (s: ClassScores) => boolean, what: string, why: string): string | null => {
    const classes = confusion.classes.filter((_, i) => isUndefined(perClass[i]!));
    if (classes.length === 0) return null;
    return `${what} is 0/0 for ${listClasses(classes)} (${why}); ${ZERO_DIVISION}, in the macro average`;
  };
  // Every class comes from a label or a prediction, so its F1 denominator is never 0.
  return [
    { name: 'precision', value: mean((s) => s.precision), note: zeroDivisionNote((s) => s.undefinedPrecision, 'precision', 'never predicted') },
    { name: 'recall', value: mean((s) => s.recall), note: zeroDivisionNote((s) => s.undefinedRecall, 'recall', 'never a label') },
    { name: 'f1', value: mean((s) => s.f1), note: null },
  ];
}

function setWiseUndefined(note: string): MetricValue[] {
  return [
    { name: 'precision', value: null, note },
    { name: 'recall', value: null, note },
    { name: 'f1', value: null, note },
  ];
}

// ---------------------------------------------------------------- score-based metrics

function rocAucMetric(input: ClassificationInput): MetricValue {
  if (input.positiveClass === null) return { name: 'roc_auc', value: null, note: NEEDS_POSITIVE_CLASS };
  if (input.scoreCounts === undefined) return { name: 'roc_auc', value: null, note: NO_SCORES };
  const merged = mergeScoreCounts(input.scoreCounts);
  if (merged.length === 0) return { name: 'roc_auc', value: null, note: NO_SCORES };
  const value = rocAuc(merged);
  if (value === null) {
    const only = merged.some((e) => e.positives > 0) ? `'${input.positiveClass}'` : `not '${input.positiveClass}'`;
    return { name: 'roc_auc', value: null, note: `every scored label is ${only}: ROC AUC is undefined with one class` };
  }
  return { name: 'roc_auc', value, note: null };
}

function logLossMetric(input: ClassificationInput): MetricValue {
  if (input.positiveClass === null) return { name: 'log_loss', value: null, note: NEEDS_POSITIVE_CLASS };
  if (input.logLoss === undefined) return { name: 'log_loss', value: null, note: NO_SCORES };
  const { sum, count } = input.logLoss;
  checkCount(count, 'logLoss');
  if (!Number.isFinite(sum) || sum < 0) {
    throw new RangeError(`logLoss: sum must be a finite number >= 0 (a sum of logLossTerm), got ${sum}`);
  }
  if (count === 0) return { name: 'log_loss', value: null, note: NO_SCORES };
  return { name: 'log_loss', value: sum / count, note: null };
}

/** Validated, ascending, one entry per distinct score. */
function mergeScoreCounts(scoreCounts: Iterable<ScoreCount>): ScoreCount[] {
  const entries: ScoreCount[] = [];
  for (const entry of scoreCounts) {
    if (!Number.isFinite(entry.score)) throw new RangeError(`score counts: score must be finite, got ${entry.score}`);
    checkCount(entry.positives, `score counts (score ${entry.score}) positives`);
    checkCount(entry.negatives, `score counts (score ${entry.score}) negatives`);
    entries.push({ score: entry.score, positives: entry.positives, negatives: entry.negatives });
  }
  entries.sort((a, b) => a.score - b.score);
  const merged: ScoreCount[] = [];
  for (const entry of entries) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.score === entry.score) {
      last.positives += entry.positives;
      last.negatives += entry.negatives;
    } else if (entry.positives + entry.negatives > 0) {
      merged.push(entry);
    }
  }
  return merged;
}

// ---------------------------------------------------------------- helpers

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`${what}: count must be a non-negative integer, got ${count}`);
  }
}

function checkProbability(score: number): void {
  // sklearn refuses probabilities outside [0, 1] rather than clipping them.
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw new RangeError(`score must be a probability in [0, 1], got ${score}`);
  }
}

function addTo(map: Map<string, number>, key: string, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}

/** Python's str order (by code point), which unique_labels uses; UTF-16 order differs above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function listClasses(classes: string[]): string {
  const shown = classes.slice(0, 5).map((c) => `'${c}'`);
  return classes.length > 5 ? `${shown.join(', ')} and ${classes.length - 5} more` : shown.join(', ');
}

function joinNotes(...notes: (string | null)[]): string | null {
  const present = notes.filter((n): n is string => n !== null);
  return present.length === 0 ? null : present.join('; ');
}

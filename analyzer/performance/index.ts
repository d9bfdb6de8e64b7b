/**
 * Accuracy-decay engine: pure functions, no I/O. Labels joined to predictions
 * are reduced to aggregates (in ClickHouse, or by the *Aggregates helpers from
 * raw rows), and the metrics equal sklearn.metrics; see docs/performance.md.
 *
 * Entry points
 *  - classification:  classificationMetrics (confusion cells, score counts, log-loss sum),
 *                     classificationAggregates (raw rows), logLossTerm (the per-row SQL term)
 *  - regression:      regressionMetrics (sums), regressionAggregates (raw rows),
 *                     absolutePercentageErrorTerm (the per-row SQL term)
 *  - decay:           metricDecay, higherIsBetter
 */
export * from './classification.js';
export * from './decay.js';
export * from './regression.js';

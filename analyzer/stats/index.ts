/**
 * Drift statistics engine: pure functions, no I/O. See docs/statistics.md for
 * the exact definition of every number.
 *
 * Entry points
 *  - raw samples:      analyzeNumericColumn, analyzeNumericSamples, analyzeCategoricalColumn
 *  - database inputs:  analyzeNumericFromCounts (sorted value-count stream + decile bins),
 *                      analyzeNumericFromSummary (after foldNumericStream[Async] or the fine-bin path),
 *                      analyzeCategoricalFromCounts (category -> counts)
 *  - decisions:        decideRun
 */
export * from './benjamini-hochberg.js';
export * from './binning.js';
export * from './categorical-column.js';
export * from './chi-square.js';
export * from './column-profile.js';
export * from './decision.js';
export * from './fine-bins.js';
export * from './jensen-shannon.js';
export * from './kolmogorov-distribution.js';
export * from './ks.js';
export * from './numeric-column.js';
export * from './numeric-stream.js';
export * from './psi.js';
export * from './shares.js';
export * from './sorted-samples.js';

// analyzer/monitors/definition.ts and default-monitor.ts: the monitor contract, its
// defaults, every validation error (by field path and exact message) and the JSON round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultMonitor, defaultMonitorId, formatDuration, MonitorDefinitionError, MonitorSchema, monitorToJson,
  parseDuration, parseMonitor, parseMonitorList, type Monitor,
} from '../../analyzer/monitors/index.js';
import { decideRun, DEFAULT_THRESHOLDS, resolveThresholds } from '../../analyzer/stats/decision.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const MINIMAL = { id: 'fraud-hourly', model_id: 'fraud' };

const MINIMAL_MONITOR: Monitor = {
  id: 'fraud-hourly',
  modelId: 'fraud',
  modelVersion: null,
  window: '1h',
  delayMs: 5000,
  reference: { type: 'trailing', lengthMs: 7 * DAY, offsetMs: 0 },
  features: null,
  analyzePrediction: true,
  analyzeScore: true,
  segments: [],
  maxSegmentValues: 20,
  minEvents: 100,
  thresholds: {},
  performance: { task: 'auto', positiveClass: null, minLabels: 100, gracePeriodMs: 7 * DAY },
  catchUpMs: DAY,
  enabled: true,
};

test('a minimal definition gets every default', () => {
  assert.deepEqual(parseMonitor(MINIMAL), MINIMAL_MONITOR);
});

const VALID: Array<{ name: string; input: Record<string, unknown>; expected: Partial<Monitor> }> = [
  { name: 'model version', input: { model_version: 'v3' }, expected: { modelVersion: 'v3' } },
  { name: 'every window size', input: { window: '1w' }, expected: { window: '1w', catchUpMs: 14 * DAY } },
  { name: '1d windows default to a 2d catch-up', input: { window: '1d' }, expected: { window: '1d', catchUpMs: 2 * DAY } },
  { name: '12h windows keep the 1d catch-up', input: { window: '12h' }, expected: { window: '12h', catchUpMs: DAY } },
  { name: 'delay in seconds', input: { delay: '90s' }, expected: { delayMs: 90_000 } },
  { name: 'zero delay', input: { delay: '0s' }, expected: { delayMs: 0 } },
  { name: 'the largest delay', input: { delay: '1h' }, expected: { delayMs: HOUR } },
  { name: 'delay in minutes', input: { delay: '60m' }, expected: { delayMs: HOUR } },
  {
    name: 'trailing reference with offset', input: { reference: { type: 'trailing', length: '2w', offset: '1d' } },
    expected: { reference: { type: 'trailing', lengthMs: 14 * DAY, offsetMs: DAY } },
  },
  {
    name: 'trailing reference, length only', input: { reference: { type: 'trailing', length: '24h' } },
    expected: { reference: { type: 'trailing', lengthMs: DAY, offsetMs: 0 } },
  },
  { name: 'bare trailing reference', input: { reference: { type: 'trailing' } }, expected: { reference: { type: 'trailing', lengthMs: 7 * DAY, offsetMs: 0 } } },
  {
    name: 'fixed reference with offsets and fractions',
    input: { reference: { type: 'fixed', from: '2026-11-01T01:00:00+01:00', to: '2026-11-08T00:00:00.250Z' } },
    expected: { reference: { type: 'fixed', fromMs: Date.UTC(2026, 10, 1), toMs: Date.UTC(2026, 10, 8) + 250 } },
  },
  { name: 'dataset reference', input: { reference: { type: 'dataset', dataset: 'train-2026-10' } }, expected: { reference: { type: 'dataset', dataset: 'train-2026-10' } } },
  {
    name: 'version reference', input: { model_version: 'v3', reference: { type: 'version', model_version: 'v2' } },
    expected: { modelVersion: 'v3', reference: { type: 'version', modelVersion: 'v2' } },
  },
  { name: 'features', input: { features: ['age', 'income'] }, expected: { features: ['age', 'income'] } },
  { name: 'no features but the prediction', input: { features: [], analyze_score: false }, expected: { features: [], analyzeScore: false } },
  { name: 'segments', input: { segments: ['region', 'channel'], max_segment_values: 5 }, expected: { segments: ['region', 'channel'], maxSegmentValues: 5 } },
  { name: 'min events', input: { min_events: 1 }, expected: { minEvents: 1 } },
  { name: 'disabled', input: { enabled: false }, expected: { enabled: false } },
  { name: 'catch-up of exactly window + delay', input: { window: '1h', delay: '5s', catch_up: '3605s' }, expected: { catchUpMs: HOUR + 5000 } },
  { name: 'the largest catch-up', input: { catch_up: '31d' }, expected: { catchUpMs: 31 * DAY } },
  {
    name: 'thresholds, with null floors',
    input: {
      thresholds: {
        alpha: 0.01, multiple_testing: 'none', dataset_drift_share: 1,
        numeric_effect: { psi: null, jensen_shannon: 0.05 },
        categorical_effect: { unseen_share: 0.2, psi: 0 },
      },
    },
    expected: {
      thresholds: {
        alpha: 0.01, multipleTesting: 'none', datasetDriftShare: 1,
        numericEffect: { psi: null, jensenShannon: 0.05 },
        categoricalEffect: { unseenShare: 0.2, psi: 0 },
      },
    },
  },
  {
    name: 'performance',
    input: { performance: { task: 'classification', positive_class: '1', min_labels: 10, grace_period: '0s' } },
    expected: { performance: { task: 'classification', positiveClass: '1', minLabels: 10, gracePeriodMs: 0 } },
  },
  { name: 'regression', input: { performance: { task: 'regression' } }, expected: { performance: { task: 'regression', positiveClass: null, minLabels: 100, gracePeriodMs: 7 * DAY } } },
  { name: 'a 128-character id', input: { id: `${'a'.repeat(120)}._:-AZ09` }, expected: { id: `${'a'.repeat(120)}._:-AZ09` } },
  { name: 'model ids with slashes', input: { model_id: 'team/fraud:v2' }, expected: { modelId: 'team/fraud:v2' } },
];

test('valid definitions', async (t) => {
  for (const { name, input, expected } of VALID) {
    await t.test(name, () => {
      assert.deepEqual(parseMonitor({ ...MINIMAL, ...input }), { ...MINIMAL_MONITOR, ...expected });
    });
  }
});

// Each: the input (merged over MINIMAL unless `raw`), the field path and the whole message.
const INVALID: Array<{ input: unknown; raw?: boolean; field: string; message: string }> = [
  { raw: true, input: 42, field: 'monitor', message: 'monitor: must be an object (got 42)' },
  { raw: true, input: null, field: 'monitor', message: 'monitor: must be an object (got null)' },
  { raw: true, input: [MINIMAL], field: 'monitor', message: 'monitor: must be an object (got an array)' },
  { raw: true, input: { model_id: 'fraud' }, field: 'id', message: 'id: is required' },
  { raw: true, input: { id: 'x' }, field: 'model_id', message: 'model_id: is required' },
  { input: { windw: '1h' }, field: 'windw', message: 'windw: is not a known field (known: id, model_id, model_version, window, delay, reference, features, analyze_prediction, analyze_score, segments, max_segment_values, min_events, thresholds, performance, catch_up, enabled)' },
  { input: { id: 'fraud hourly' }, field: 'id', message: 'id: must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got "fraud hourly")' },
  { input: { id: '' }, field: 'id', message: 'id: must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got "")' },
  { input: { id: 'a'.repeat(129) }, field: 'id', message: `id: must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (got "${'a'.repeat(76)}...)` },
  { input: { id: 7 }, field: 'id', message: 'id: must be a string (got 7)' },
  { input: { model_id: '' }, field: 'model_id', message: 'model_id: must not be empty' },
  { input: { model_id: 'a'.repeat(129) }, field: 'model_id', message: 'model_id: must be at most 128 characters long (got 129)' },
  { input: { model_id: '-fraud' }, field: 'model_id', message: 'model_id: must be a model id: letters, digits and . _ : / -, starting with a letter or digit (got "-fraud")' },
  { input: { model_version: '' }, field: 'model_version', message: 'model_version: must not be empty' },
  { input: { model_version: 3 }, field: 'model_version', message: 'model_version: must be a string (got 3)' },
  { input: { window: '2m' }, field: 'window', message: 'window: must be one of 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 1d, 1w (got "2m")' },
  { input: { window: '60m' }, field: 'window', message: 'window: must be one of 1m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 1d, 1w (got "60m")' },
  { input: { delay: '5 s' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "5 s"): an integer and one of s, m, h, d, w' },
  { input: { delay: '05s' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "05s"): an integer and one of s, m, h, d, w' },
  { input: { delay: '1.5s' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "1.5s"): an integer and one of s, m, h, d, w' },
  { input: { delay: '-5s' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "-5s"): an integer and one of s, m, h, d, w' },
  { input: { delay: '5ms' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "5ms"): an integer and one of s, m, h, d, w' },
  { input: { delay: '1234567s' }, field: 'delay', message: 'delay: must be a duration such as "7d" (got "1234567s"): an integer and one of s, m, h, d, w' },
  { input: { delay: 5 }, field: 'delay', message: 'delay: must be a string (got 5)' },
  { input: { delay: '3601s' }, field: 'delay', message: 'delay: must be at most 1h (got "3601s")' },
  { input: { delay: '1d' }, field: 'delay', message: 'delay: must be at most 1h (got "1d")' },
  { input: { reference: 'trailing' }, field: 'reference', message: 'reference: must be an object (got "trailing")' },
  { input: { reference: {} }, field: 'reference.type', message: 'reference.type: is required' },
  { input: { reference: { type: 'rolling' } }, field: 'reference.type', message: 'reference.type: must be one of trailing, fixed, dataset, version (got "rolling")' },
  { input: { reference: { type: 5 } }, field: 'reference.type', message: 'reference.type: must be one of trailing, fixed, dataset, version (got 5)' },
  { input: { reference: { type: 'trailing', length: '7 days' } }, field: 'reference.length', message: 'reference.length: must be a duration such as "7d" (got "7 days"): an integer and one of s, m, h, d, w' },
  { input: { reference: { type: 'trailing', length: '0d' } }, field: 'reference.length', message: 'reference.length: must be more than 0s (got "0d")' },
  { input: { reference: { type: 'trailing', length: '366d' } }, field: 'reference.length', message: 'reference.length: must be at most 365d (got "366d")' },
  { input: { reference: { type: 'trailing', offset: '53w' } }, field: 'reference.offset', message: 'reference.offset: must be at most 365d (got "53w")' },
  { input: { reference: { type: 'trailing', from: '2026-11-01T00:00:00Z' } }, field: 'reference.from', message: 'reference.from: is not a known field (known: type, length, offset)' },
  { input: { reference: { type: 'fixed', from: '2026-11-01T00:00:00Z' } }, field: 'reference.to', message: 'reference.to: is required' },
  { input: { reference: { type: 'fixed', from: 'yesterday', to: '2026-11-08T00:00:00Z' } }, field: 'reference.from', message: 'reference.from: must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z (got "yesterday")' },
  { input: { reference: { type: 'fixed', from: '2026-11-01T00:00:00Z', to: '2026-02-30T00:00:00Z' } }, field: 'reference.to', message: 'reference.to: must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z (got "2026-02-30T00:00:00Z")' },
  { input: { reference: { type: 'fixed', from: 1_700_000_000_000, to: '2026-11-08T00:00:00Z' } }, field: 'reference.from', message: 'reference.from: must be a string (got 1700000000000)' },
  { input: { reference: { type: 'fixed', from: '2026-11-08T00:00:00Z', to: '2026-11-08T00:00:00Z' } }, field: 'reference.to', message: 'reference.to: must be after reference.from "2026-11-08T00:00:00Z" (got "2026-11-08T00:00:00Z")' },
  { input: { reference: { type: 'fixed', from: '2026-11-08T01:00:00+01:00', to: '2026-11-08T00:00:00Z' } }, field: 'reference.to', message: 'reference.to: must be after reference.from "2026-11-08T01:00:00+01:00" (got "2026-11-08T00:00:00Z")' },
  { input: { reference: { type: 'fixed', from: '1999-12-31T00:00:00Z', to: '2026-11-08T00:00:00Z' } }, field: 'reference.from', message: 'reference.from: must be on or after 2000-01-01T00:00:00Z (got "1999-12-31T00:00:00Z")' },
  { input: { reference: { type: 'fixed', from: '2026-11-01T00:00:00Z', to: '2100-01-02T00:00:00Z' } }, field: 'reference.to', message: 'reference.to: must be on or before 2100-01-01T00:00:00Z (got "2100-01-02T00:00:00Z")' },
  { input: { reference: { type: 'dataset' } }, field: 'reference.dataset', message: 'reference.dataset: is required' },
  { input: { reference: { type: 'dataset', dataset: '' } }, field: 'reference.dataset', message: 'reference.dataset: must not be empty' },
  { input: { reference: { type: 'version', model_version: 'v2' } }, field: 'model_version', message: 'model_version: is required when reference.type is "version": the monitor watches one version and compares it with reference.model_version' },
  { input: { model_version: 'v2', reference: { type: 'version', model_version: 'v2' } }, field: 'reference.model_version', message: 'reference.model_version: must differ from the monitor\'s model_version (both "v2")' },
  { input: { model_version: 'v3', reference: { type: 'version' } }, field: 'reference.model_version', message: 'reference.model_version: is required' },
  { input: { model_version: 'v3', reference: { type: 'version', model_version: 'v2', window: '1h' } }, field: 'reference.window', message: 'reference.window: is not a known field (known: type, model_version)' },
  { input: { features: 'age' }, field: 'features', message: 'features: must be an array (got "age")' },
  { input: { features: ['age', 3] }, field: 'features[1]', message: 'features[1]: must be a string (got 3)' },
  { input: { features: ['age', ''] }, field: 'features[1]', message: 'features[1]: must not be empty' },
  { input: { features: ['age', 'income', 'age'] }, field: 'features[2]', message: 'features[2]: repeats features[0] (got "age")' },
  { input: { features: Array.from({ length: 2001 }, (_, i) => `f${i}`) }, field: 'features', message: 'features: must have at most 2000 items (got 2001)' },
  { input: { features: [], analyze_prediction: false, analyze_score: false }, field: 'features', message: 'features: must name at least one feature when analyze_prediction and analyze_score are false (nothing would be analysed)' },
  { input: { analyze_prediction: 'yes' }, field: 'analyze_prediction', message: 'analyze_prediction: must be true or false (got "yes")' },
  { input: { analyze_score: 1 }, field: 'analyze_score', message: 'analyze_score: must be true or false (got 1)' },
  { input: { segments: ['region', 'region'] }, field: 'segments[1]', message: 'segments[1]: repeats segments[0] (got "region")' },
  { input: { segments: Array.from({ length: 11 }, (_, i) => `s${i}`) }, field: 'segments', message: 'segments: must have at most 10 items (got 11)' },
  { input: { max_segment_values: 0 }, field: 'max_segment_values', message: 'max_segment_values: must be >= 1 (got 0)' },
  { input: { max_segment_values: 1001 }, field: 'max_segment_values', message: 'max_segment_values: must be <= 1000 (got 1001)' },
  { input: { min_events: 0 }, field: 'min_events', message: 'min_events: must be >= 1 (got 0)' },
  { input: { min_events: 1.5 }, field: 'min_events', message: 'min_events: must be an integer (got 1.5)' },
  { input: { min_events: '100' }, field: 'min_events', message: 'min_events: must be an integer (got "100")' },
  { input: { thresholds: [] }, field: 'thresholds', message: 'thresholds: must be an object (got an array)' },
  { input: { thresholds: { beta: 1 } }, field: 'thresholds.beta', message: 'thresholds.beta: is not a known field (known: alpha, multiple_testing, dataset_drift_share, numeric_effect, categorical_effect)' },
  { input: { thresholds: { alpha: 1.5 } }, field: 'thresholds.alpha', message: 'thresholds.alpha: must lie in (0, 1) (got 1.5)' },
  { input: { thresholds: { alpha: 0 } }, field: 'thresholds.alpha', message: 'thresholds.alpha: must lie in (0, 1) (got 0)' },
  { input: { thresholds: { alpha: null } }, field: 'thresholds.alpha', message: 'thresholds.alpha: must be a number (got null)' },
  { input: { thresholds: { multiple_testing: 'bonferroni' } }, field: 'thresholds.multiple_testing', message: 'thresholds.multiple_testing: must be one of benjamini-hochberg, none (got "bonferroni")' },
  { input: { thresholds: { dataset_drift_share: 0 } }, field: 'thresholds.dataset_drift_share', message: 'thresholds.dataset_drift_share: must lie in (0, 1] (got 0)' },
  { input: { thresholds: { dataset_drift_share: 1.01 } }, field: 'thresholds.dataset_drift_share', message: 'thresholds.dataset_drift_share: must lie in (0, 1] (got 1.01)' },
  { input: { thresholds: { numeric_effect: { psi: -0.1 } } }, field: 'thresholds.numeric_effect.psi', message: 'thresholds.numeric_effect.psi: must be null or >= 0 (got -0.1)' },
  { input: { thresholds: { numeric_effect: { wasserstein_normed: -1 } } }, field: 'thresholds.numeric_effect.wasserstein_normed', message: 'thresholds.numeric_effect.wasserstein_normed: must be null or >= 0 (got -1)' },
  { input: { thresholds: { numeric_effect: { jensen_shannon: '0.1' } } }, field: 'thresholds.numeric_effect.jensen_shannon', message: 'thresholds.numeric_effect.jensen_shannon: must be a number or null (got "0.1")' },
  { input: { thresholds: { numeric_effect: { unseen_share: 0.1 } } }, field: 'thresholds.numeric_effect.unseen_share', message: 'thresholds.numeric_effect.unseen_share: is not a known field (known: psi, jensen_shannon, wasserstein_normed)' },
  { input: { thresholds: { categorical_effect: { unseen_share: -0.5 } } }, field: 'thresholds.categorical_effect.unseen_share', message: 'thresholds.categorical_effect.unseen_share: must be null or >= 0 (got -0.5)' },
  { input: { thresholds: { categorical_effect: { jensen_shannon: -1 } } }, field: 'thresholds.categorical_effect.jensen_shannon', message: 'thresholds.categorical_effect.jensen_shannon: must be null or >= 0 (got -1)' },
  { input: { thresholds: { categorical_effect: { psi: -2 } } }, field: 'thresholds.categorical_effect.psi', message: 'thresholds.categorical_effect.psi: must be null or >= 0 (got -2)' },
  { input: { performance: { task: 'ranking' } }, field: 'performance.task', message: 'performance.task: must be one of auto, classification, regression (got "ranking")' },
  { input: { performance: { positive_class: 1 } }, field: 'performance.positive_class', message: 'performance.positive_class: must be a string (got 1)' },
  { input: { performance: { task: 'regression', positive_class: '1' } }, field: 'performance.positive_class', message: 'performance.positive_class: applies to classification only (performance.task is "regression")' },
  { input: { performance: { min_labels: 0 } }, field: 'performance.min_labels', message: 'performance.min_labels: must be >= 1 (got 0)' },
  { input: { performance: { grace_period: '7 days' } }, field: 'performance.grace_period', message: 'performance.grace_period: must be a duration such as "7d" (got "7 days"): an integer and one of s, m, h, d, w' },
  { input: { performance: { grace_period: '91d' } }, field: 'performance.grace_period', message: 'performance.grace_period: must be at most 90d (got "91d")' },
  { input: { performance: { labels: 'late' } }, field: 'performance.labels', message: 'performance.labels: is not a known field (known: task, positive_class, min_labels, grace_period)' },
  { input: { catch_up: '1h' }, field: 'catch_up', message: 'catch_up: must be at least window + delay (1h + 5s = 3605s) so the latest complete window is never missed (got "1h")' },
  { input: { window: '1w', catch_up: '1w' }, field: 'catch_up', message: 'catch_up: must be at least window + delay (1w + 5s = 604805s) so the latest complete window is never missed (got "1w")' },
  { input: { window: '1m', delay: '1h', catch_up: '1h' }, field: 'catch_up', message: 'catch_up: must be at least window + delay (1m + 1h = 61m) so the latest complete window is never missed (got "1h")' },
  { input: { catch_up: '32d' }, field: 'catch_up', message: 'catch_up: must be at most 31d (got "32d")' },
  { input: { enabled: 'true' }, field: 'enabled', message: 'enabled: must be true or false (got "true")' },
];

test('every invalid definition names its field', async (t) => {
  for (const { input, raw, field, message } of INVALID) {
    await t.test(message, () => {
      const value = raw ? input : { ...MINIMAL, ...(input as object) };
      assert.throws(() => parseMonitor(value), (error: unknown) => {
        assert.ok(error instanceof MonitorDefinitionError);
        assert.equal(error.field, field);
        assert.equal(error.message, message);
        assert.equal(error.message, `${error.field}: ${error.problem}`);
        return true;
      });
    });
  }
});

test('parseMonitor with a prefix, and parseMonitorList', async (t) => {
  const cases: Array<{ name: string; run: () => unknown; field: string; message: string }> = [
    {
      name: 'prefix on a nested field',
      run: () => parseMonitor({ ...MINIMAL, reference: { type: 'trailing', length: '7 days' } }, 'monitors[2]'),
      field: 'monitors[2].reference.length', message: 'monitors[2].reference.length: must be a duration such as "7d" (got "7 days"): an integer and one of s, m, h, d, w',
    },
    {
      name: 'the list element, by index',
      run: () => parseMonitorList([MINIMAL, { ...MINIMAL, id: 'b' }, { ...MINIMAL, id: 'c', reference: { type: 'trailing', length: '7 days' } }], 'monitors'),
      field: 'monitors[2].reference.length', message: 'monitors[2].reference.length: must be a duration such as "7d" (got "7 days"): an integer and one of s, m, h, d, w',
    },
    { name: 'an element that is no object', run: () => parseMonitorList([MINIMAL, 'x'], 'monitors'), field: 'monitors[1]', message: 'monitors[1]: must be an object (got "x")' },
    { name: 'a missing field in an element', run: () => parseMonitorList([{ id: 'a' }], 'monitors'), field: 'monitors[0].model_id', message: 'monitors[0].model_id: is required' },
    { name: 'array item in an element', run: () => parseMonitorList([{ ...MINIMAL, features: ['a', 'a'] }], 'monitors'), field: 'monitors[0].features[1]', message: 'monitors[0].features[1]: repeats monitors[0].features[0] (got "a")' },
    {
      name: 'a semantic error in an element',
      run: () => parseMonitorList([{ ...MINIMAL, reference: { type: 'version', model_version: 'v2' } }], 'config.monitors'),
      field: 'config.monitors[0].model_version', message: 'config.monitors[0].model_version: is required when reference.type is "version": the monitor watches one version and compares it with reference.model_version',
    },
    {
      name: 'a threshold in an element',
      run: () => parseMonitorList([{ ...MINIMAL, thresholds: { alpha: 2 } }], 'monitors'),
      field: 'monitors[0].thresholds.alpha', message: 'monitors[0].thresholds.alpha: must lie in (0, 1) (got 2)',
    },
    { name: 'not an array', run: () => parseMonitorList({ a: MINIMAL }, 'monitors'), field: 'monitors', message: 'monitors: must be an array of monitor definitions (got an object)' },
    {
      name: 'duplicate ids',
      run: () => parseMonitorList([MINIMAL, { ...MINIMAL, id: 'b' }, { ...MINIMAL, model_id: 'other' }], 'monitors'),
      field: 'monitors[2].id', message: 'monitors[2].id: repeats the id of monitors[0] ("fraud-hourly"); monitor ids must be unique',
    },
  ];
  for (const { name, run, field, message } of cases) {
    await t.test(name, () => {
      assert.throws(run, (error: unknown) => error instanceof MonitorDefinitionError && error.field === field && error.message === message);
    });
  }
  await t.test('a valid list', () => {
    const monitors = parseMonitorList([MINIMAL, { ...MINIMAL, id: 'b', window: '5m' }], 'monitors');
    assert.deepEqual(monitors.map((m) => [m.id, m.window]), [['fraud-hourly', '1h'], ['b', '5m']]);
    assert.deepEqual(parseMonitorList([], 'monitors'), []);
  });
});

const DURATIONS: Array<{ text: string; ms: number | undefined; formatted?: string }> = [
  { text: '0s', ms: 0, formatted: '0s' },
  { text: '90s', ms: 90_000, formatted: '90s' },
  { text: '60s', ms: MINUTE, formatted: '1m' },
  { text: '15m', ms: 15 * MINUTE, formatted: '15m' },
  { text: '90m', ms: 90 * MINUTE, formatted: '90m' },
  { text: '1h', ms: HOUR, formatted: '1h' },
  { text: '36h', ms: 36 * HOUR, formatted: '36h' },
  { text: '7d', ms: 7 * DAY, formatted: '7d' },
  { text: '1w', ms: 7 * DAY, formatted: '7d' },
  { text: '99999w', ms: 99_999 * 7 * DAY, formatted: '699993d' },
  { text: '999999w', ms: 999_999 * 7 * DAY, formatted: '6999993d' },
  { text: '0d', ms: 0, formatted: '0s' },
  { text: '7 days', ms: undefined },
  { text: '7D', ms: undefined },
  { text: '07d', ms: undefined },
  { text: '1000000s', ms: undefined },
  { text: '', ms: undefined },
  { text: 's', ms: undefined },
  { text: '1.5h', ms: undefined },
  { text: ' 5s', ms: undefined },
];

test('durations', () => {
  for (const { text, ms, formatted } of DURATIONS) {
    assert.equal(parseDuration(text), ms, text);
    if (ms !== undefined) {
      assert.ok(Number.isSafeInteger(ms), text);
      assert.equal(formatDuration(ms), formatted, text);
      // Every duration a monitor allows (at most 365d) parses back; 6999993d has too many digits.
      if (ms <= 365 * DAY) assert.equal(parseDuration(formatDuration(ms)), ms, text);
    }
  }
});

const ROUND_TRIP: Array<Record<string, unknown>> = [
  MINIMAL,
  { ...MINIMAL, window: '1w', delay: '1h', catch_up: '3w' },
  { ...MINIMAL, model_version: 'v3', reference: { type: 'version', model_version: 'v2' }, features: ['a', 'b'] },
  { ...MINIMAL, reference: { type: 'fixed', from: '2026-11-01T01:00:00+01:00', to: '2026-11-08T00:00:00.250Z' } },
  { ...MINIMAL, reference: { type: 'dataset', dataset: 'train-2026-10' }, segments: ['region'], max_segment_values: 3 },
  { ...MINIMAL, reference: { type: 'trailing', length: '1w', offset: '90s' }, delay: '60s' },
  {
    ...MINIMAL,
    thresholds: { alpha: 0.01, numeric_effect: { psi: null }, categorical_effect: {} },
    performance: { task: 'classification', positive_class: 'fraud', grace_period: '36h' },
    features: [], analyze_score: false, min_events: 7, enabled: false,
  },
];

test('monitorToJson round-trips', async (t) => {
  for (const input of ROUND_TRIP) {
    await t.test(JSON.stringify(input), () => {
      const monitor = parseMonitor(input);
      const json = monitorToJson(monitor);
      const reparsed = parseMonitor(JSON.parse(JSON.stringify(json)));
      assert.deepEqual(reparsed, monitor);
      // The written form is canonical: writing it again changes nothing.
      assert.deepEqual(monitorToJson(reparsed), json);
    });
  }
});

test('monitorToJson writes the complete canonical form', () => {
  assert.deepEqual(monitorToJson(parseMonitor(ROUND_TRIP[3]!)), {
    id: 'fraud-hourly', model_id: 'fraud', window: '1h', delay: '5s',
    reference: { type: 'fixed', from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00.250Z' },
    analyze_prediction: true, analyze_score: true, segments: [], max_segment_values: 20, min_events: 100,
    thresholds: {}, performance: { task: 'auto', min_labels: 100, grace_period: '7d' }, catch_up: '1d', enabled: true,
  });
  const full = {
    id: 'fraud-hourly', model_id: 'fraud', model_version: 'v3', window: '15m', delay: '90s',
    reference: { type: 'trailing', length: '14d', offset: '1h' }, features: ['age'], analyze_prediction: false, analyze_score: true,
    segments: ['region'], max_segment_values: 5, min_events: 50,
    thresholds: { alpha: 0.01, multiple_testing: 'none', dataset_drift_share: 0.25, numeric_effect: { psi: null, jensen_shannon: 0.1, wasserstein_normed: 0.2 }, categorical_effect: { psi: 0.2, jensen_shannon: null, unseen_share: 0.1 } },
    performance: { task: 'classification', positive_class: '1', min_labels: 10, grace_period: '2d' }, catch_up: '12h', enabled: false,
  };
  assert.deepEqual(monitorToJson(parseMonitor(full)), full);
});

test('parsing copies its input and leaves it unchanged', () => {
  const input = { ...MINIMAL, features: ['a'], segments: ['s'] };
  const before = structuredClone(input);
  const monitor = parseMonitor(input);
  monitor.features!.push('b');
  monitor.segments.push('t');
  assert.deepEqual(input, before);
  const json = monitorToJson(monitor);
  json.features!.push('c');
  assert.deepEqual(monitor.features, ['a', 'b']);
});

test('thresholds become ThresholdOverrides that decideRun accepts', () => {
  const monitor = parseMonitor({ ...MINIMAL, thresholds: { alpha: 0.01, numeric_effect: { psi: null } } });
  assert.deepEqual(resolveThresholds(monitor.thresholds), {
    ...DEFAULT_THRESHOLDS,
    alpha: 0.01,
    numericEffect: { psi: null, jensenShannon: null, wassersteinNormed: 0.1 },
  });
  assert.equal(decideRun([], monitor.thresholds).thresholds.alpha, 0.01);
  assert.deepEqual(resolveThresholds(parseMonitor(MINIMAL).thresholds), DEFAULT_THRESHOLDS);
});

test('the exported schema is plain JSON Schema for OpenAPI', () => {
  const schema = JSON.parse(JSON.stringify(MonitorSchema)) as { $id: string; required: string[]; properties: Record<string, { default?: unknown; oneOf?: unknown[] }> };
  assert.equal(schema.$id, 'Monitor');
  assert.deepEqual(schema.required, ['id', 'model_id']);
  assert.equal(schema.properties.window?.default, '1h');
  assert.equal(schema.properties.reference?.oneOf?.length, 4);
});

const DEFAULT_IDS: Array<{ modelId: string; id: string | RegExp }> = [
  { modelId: 'fraud', id: 'default:fraud' },
  { modelId: 'fraud.v2_x:y-z', id: 'default:fraud.v2_x:y-z' },
  { modelId: 'team/fraud', id: /^default:team_fraud:[0-9a-f]{8}$/ },
  { modelId: 'team_fraud', id: 'default:team_fraud' },
  { modelId: 'a'.repeat(120), id: `default:${'a'.repeat(120)}` },
  { modelId: 'a'.repeat(121), id: new RegExp(`^default:${'a'.repeat(111)}:[0-9a-f]{8}$`) },
  { modelId: 'a'.repeat(128), id: new RegExp(`^default:${'a'.repeat(111)}:[0-9a-f]{8}$`) },
];

test('default monitor ids', () => {
  for (const { modelId, id } of DEFAULT_IDS) {
    const actual = defaultMonitorId(modelId);
    if (typeof id === 'string') assert.equal(actual, id, modelId);
    else assert.match(actual, id, modelId);
    assert.ok(actual.length <= 128, modelId);
    assert.equal(defaultMonitorId(modelId), actual, 'stable');
    assert.equal(parseMonitor({ id: actual, model_id: 'x' }).id, actual, 'a valid monitor id');
  }
  // Sanitizing alone would merge these; the hash keeps them apart.
  const ids = ['team/fraud', 'team_fraud', 'team:fraud', 'team/fraud/', 'team//fraud', 'team/_fraud', 'a'.repeat(121), 'a'.repeat(122)].map(defaultMonitorId);
  assert.equal(new Set(ids).size, ids.length);
});

test('the default monitor', () => {
  assert.deepEqual(defaultMonitor('fraud'), { ...MINIMAL_MONITOR, id: 'default:fraud' });
  const slashed = defaultMonitor('team/fraud');
  assert.equal(slashed.modelId, 'team/fraud');
  assert.match(slashed.id, /^default:team_fraud:[0-9a-f]{8}$/);
  assert.equal(slashed.window, '1h');
  assert.deepEqual(slashed.reference, { type: 'trailing', lengthMs: 7 * DAY, offsetMs: 0 });
  assert.equal(slashed.features, null);
  assert.throws(() => defaultMonitor(''), (error: unknown) => error instanceof MonitorDefinitionError && error.field === 'model_id');
  assert.throws(() => defaultMonitor('has space'), (error: unknown) => error instanceof MonitorDefinitionError && error.field === 'model_id');
});

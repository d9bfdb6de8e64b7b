// analyzer/monitors/reference.ts: a monitor's reference resolved for a window, its key and
// description, and the expected volume derived from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectedCount, parseMonitor, resolveReference, volumeChange, windowContaining, type ResolvedReference,
} from '../../analyzer/monitors/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WINDOW = windowContaining('1h', Date.parse('2026-11-27T10:15:00Z'));
const START = Date.parse('2026-11-27T10:00:00Z');
const END = START + HOUR;

const monitor = (fields: Record<string, unknown>) => parseMonitor({ id: 'm', model_id: 'fraud', ...fields });

const RESOLVED: Array<{ name: string; fields: Record<string, unknown>; expected: ResolvedReference }> = [
  {
    name: 'default trailing 7d, all versions', fields: {},
    expected: {
      kind: 'traffic', from: START - 7 * DAY, to: START, modelVersion: null, frozen: false,
      key: `trailing:fraud:*:${START - 7 * DAY}:${START}`, description: 'trailing 7d ending at window start',
    },
  },
  {
    name: 'trailing with an offset, one version', fields: { model_version: 'v3', reference: { type: 'trailing', length: '24h', offset: '1w' } },
    expected: {
      kind: 'traffic', from: START - 8 * DAY, to: START - 7 * DAY, modelVersion: 'v3', frozen: false,
      key: `trailing:fraud:v3:${START - 8 * DAY}:${START - 7 * DAY}`, description: 'trailing 1d ending 7d before window start',
    },
  },
  {
    name: 'trailing 90m ending 90s before', fields: { reference: { type: 'trailing', length: '90m', offset: '90s' } },
    expected: {
      kind: 'traffic', from: START - 90_000 - 90 * 60_000, to: START - 90_000, modelVersion: null, frozen: false,
      key: `trailing:fraud:*:${START - 90_000 - 90 * 60_000}:${START - 90_000}`, description: 'trailing 90m ending 90s before window start',
    },
  },
  {
    name: 'fixed', fields: { reference: { type: 'fixed', from: '2026-11-01T01:00:00+01:00', to: '2026-11-08T00:00:00Z' } },
    expected: {
      kind: 'traffic', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 8), modelVersion: null, frozen: true,
      key: `fixed:fraud:*:${Date.UTC(2026, 10, 1)}:${Date.UTC(2026, 10, 8)}`, description: 'fixed 2026-11-01T00:00:00Z .. 2026-11-08T00:00:00Z',
    },
  },
  {
    name: 'fixed, one version, milliseconds', fields: { model_version: 'v2', reference: { type: 'fixed', from: '2026-11-01T00:00:00.5Z', to: '2026-11-08T00:00:00Z' } },
    expected: {
      kind: 'traffic', from: Date.UTC(2026, 10, 1) + 500, to: Date.UTC(2026, 10, 8), modelVersion: 'v2', frozen: true,
      key: `fixed:fraud:v2:${Date.UTC(2026, 10, 1) + 500}:${Date.UTC(2026, 10, 8)}`, description: 'fixed 2026-11-01T00:00:00.500Z .. 2026-11-08T00:00:00Z',
    },
  },
  {
    name: 'dataset', fields: { reference: { type: 'dataset', dataset: 'train-2026-10' } },
    expected: { kind: 'dataset', dataset: 'train-2026-10', frozen: true, key: 'dataset:train-2026-10', description: 'dataset train-2026-10' },
  },
  {
    name: 'version: the other version in the same window', fields: { model_version: 'v3', reference: { type: 'version', model_version: 'v2' } },
    expected: {
      kind: 'traffic', from: START, to: END, modelVersion: 'v2', frozen: false,
      key: `version:fraud:v2:${START}:${END}`, description: 'version v2 in the same window',
    },
  },
];

test('resolveReference', async (t) => {
  for (const { name, fields, expected } of RESOLVED) {
    await t.test(name, () => assert.deepEqual(resolveReference(monitor(fields), WINDOW), expected));
  }
});

test('the trailing reference moves with the window; a fixed one does not', () => {
  const next = { start: START + HOUR, end: END + HOUR };
  const trailing = monitor({});
  assert.notEqual(resolveReference(trailing, WINDOW).key, resolveReference(trailing, next).key);
  const fixed = monitor({ reference: { type: 'fixed', from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' } });
  assert.deepEqual(resolveReference(fixed, WINDOW), resolveReference(fixed, next));
  const dataset = monitor({ reference: { type: 'dataset', dataset: 'train' } });
  assert.deepEqual(resolveReference(dataset, WINDOW), resolveReference(dataset, next));
});

test('keys never collide, whatever the ids contain', () => {
  const fixed = { type: 'fixed', from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' };
  const keys = [
    parseMonitor({ id: 'a', model_id: 'a:b', model_version: 'c', reference: fixed }),
    parseMonitor({ id: 'a', model_id: 'a', model_version: 'b:c', reference: fixed }),
    parseMonitor({ id: 'a', model_id: 'a', model_version: '*', reference: fixed }),
    parseMonitor({ id: 'a', model_id: 'a', reference: fixed }),
    parseMonitor({ id: 'a', model_id: 'a/b', reference: fixed }),
    parseMonitor({ id: 'a', model_id: 'a', reference: { type: 'dataset', dataset: 'x:y' } }),
    parseMonitor({ id: 'a', model_id: 'a', reference: { type: 'dataset', dataset: 'x%3Ay' } }),
    parseMonitor({ id: 'a', model_id: 'a', model_version: 'v1', reference: { type: 'version', model_version: '*' } }),
  ].map((m) => resolveReference(m, WINDOW).key);
  assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
  assert.equal(keys[0], `fixed:a%3Ab:c:${Date.UTC(2026, 10, 1)}:${Date.UTC(2026, 10, 8)}`);
  assert.equal(keys[2], `fixed:a:%2A:${Date.UTC(2026, 10, 1)}:${Date.UTC(2026, 10, 8)}`);
  assert.equal(keys[5], 'dataset:x%3Ay');
});

const trailing7d = resolveReference(monitor({}), WINDOW);
const sameWindow = resolveReference(monitor({ model_version: 'v3', reference: { type: 'version', model_version: 'v2' } }), WINDOW);
const dataset = resolveReference(monitor({ reference: { type: 'dataset', dataset: 'train' } }), WINDOW);

const EXPECTED: Array<{ name: string; referenceCount: number; reference: ResolvedReference; windowMs: number; expected: number | null }> = [
  { name: '7d of traffic scaled to 1h', referenceCount: 16_800, reference: trailing7d, windowMs: HOUR, expected: 100 },
  { name: 'scaled to 1d', referenceCount: 16_800, reference: trailing7d, windowMs: DAY, expected: 2400 },
  { name: 'no reference events', referenceCount: 0, reference: trailing7d, windowMs: HOUR, expected: 0 },
  { name: 'the other version in the same window: its count', referenceCount: 321, reference: sameWindow, windowMs: HOUR, expected: 321 },
  { name: 'a dataset has no rate', referenceCount: 10_000, reference: dataset, windowMs: HOUR, expected: null },
  { name: 'an empty span has no rate', referenceCount: 10, reference: { ...trailing7d, from: START, to: START } as ResolvedReference, windowMs: HOUR, expected: null },
];

test('expectedCount', async (t) => {
  for (const { name, referenceCount, reference, windowMs, expected } of EXPECTED) {
    await t.test(name, () => assert.equal(expectedCount(referenceCount, reference, windowMs), expected));
  }
});

const VOLUME: Array<{ current: number; expected: number | null; change: number | null }> = [
  { current: 150, expected: 100, change: 0.5 },
  { current: 50, expected: 100, change: -0.5 },
  { current: 100, expected: 100, change: 0 },
  { current: 0, expected: 100, change: -1 },
  { current: 10, expected: 0, change: null },
  { current: 0, expected: 0, change: null },
  { current: 10, expected: null, change: null },
  { current: 3, expected: 2.5, change: 0.2 },
];

test('volumeChange', () => {
  for (const { current, expected, change } of VOLUME) {
    const actual = volumeChange(current, expected);
    if (change === null) assert.equal(actual, null, `${current} / ${expected}`);
    else assert.ok(actual !== null && Math.abs(actual - change) < 1e-12, `${current} / ${expected}: ${actual}`);
  }
});

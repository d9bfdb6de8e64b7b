// alerting/render/email.ts and the number/time formatting in alerting/render/format.ts:
// subjects as a table of alert shapes, HTML escaping of every user-provided field, the
// same content in text and HTML, and exact formatting outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertNotification, NotificationItem } from '../../alerting/notification.js';
import { emailMessage, escapeHtml } from '../../alerting/render/email.js';
import {
  formatCount, formatDuration, formatFixed3, formatMetricValue, formatNumber, formatPValue, formatShare, formatUtc, formatWindow,
  metricDisplayName, truncate,
} from '../../alerting/render/format.js';
import { inputDriftNotification } from '../helpers/notification.js';

const notification = (overrides: Partial<AlertNotification> = {}): AlertNotification =>
  inputDriftNotification({ link: 'https://driftwatch.example.com/models/fraud?window=2024-05-01T12:00Z&tab=drift', ...overrides });

const item = (column: string | null, metric: string, value: number | null, operator: NotificationItem['operator'], threshold: number): NotificationItem =>
  ({ column, metric, value, operator, threshold, details: {} });

// ---------------------------------------------------------------------------------------
// Formatting

const FORMAT_CASES: Array<{ name: string; actual: () => string; expected: string }> = [
  { name: 'p-value below 1e-3 is scientific', actual: () => formatPValue(3.2e-7), expected: '3.20e-7' },
  { name: 'p-value just below 1e-3', actual: () => formatPValue(0.000999), expected: '9.99e-4' },
  { name: 'p-value at 1e-3', actual: () => formatPValue(0.001), expected: '0.0010' },
  { name: 'p-value 0.0123', actual: () => formatPValue(0.0123), expected: '0.0123' },
  { name: 'p-value exactly 0', actual: () => formatPValue(0), expected: '0.0000' },
  { name: 'p-value null', actual: () => formatPValue(null), expected: 'n/a' },
  { name: 'p-value NaN', actual: () => formatPValue(Number.NaN), expected: 'n/a' },
  { name: 'share', actual: () => formatShare(0.123), expected: '12.3%' },
  { name: 'share 1', actual: () => formatShare(1), expected: '100.0%' },
  { name: 'share 0', actual: () => formatShare(0), expected: '0.0%' },
  { name: 'tiny share is not 0.0%', actual: () => formatShare(0.0004), expected: '<0.1%' },
  { name: 'signed share up', actual: () => formatShare(0.35, { signed: true }), expected: '+35.0%' },
  { name: 'signed share down', actual: () => formatShare(-0.2, { signed: true }), expected: '-20.0%' },
  { name: 'tiny negative share', actual: () => formatShare(-0.0004), expected: '-<0.1%' },
  { name: 'tiny signed share up', actual: () => formatShare(0.0004, { signed: true }), expected: '+<0.1%' },
  { name: 'PSI three decimals', actual: () => formatFixed3(0.31234), expected: '0.312' },
  { name: 'count separators', actual: () => formatCount(1234567.4), expected: '1,234,567' },
  { name: 'negative count', actual: () => formatCount(-4200), expected: '-4,200' },
  { name: 'general number', actual: () => formatNumber(12.3456), expected: '12.35' },
  { name: 'general number drops zeros', actual: () => formatNumber(0.1), expected: '0.1' },
  { name: 'general tiny number', actual: () => formatNumber(0.00001234), expected: '1.23e-5' },
  { name: 'general huge number', actual: () => formatNumber(12_345_678_901), expected: '1.23e+10' },
  { name: 'metric psi', actual: () => formatMetricValue('psi', 0.2), expected: '0.200' },
  { name: 'metric ks p-value', actual: () => formatMetricValue('ks_p_value', 1.5e-9), expected: '1.50e-9' },
  { name: 'metric camelCase detail', actual: () => formatMetricValue('ksPValue', 0.04), expected: '0.0400' },
  { name: 'metric missing share', actual: () => formatMetricValue('missing_share', 0.05), expected: '5.0%' },
  { name: 'metric volume change', actual: () => formatMetricValue('volume_change', 0.5), expected: '+50.0%' },
  { name: 'metric drifted columns', actual: () => formatMetricValue('drifted_columns', 3), expected: '3' },
  { name: 'metric unknown', actual: () => formatMetricValue('custom_score', 3.14159), expected: '3.142' },
  { name: 'name PSI', actual: () => metricDisplayName('psi'), expected: 'PSI' },
  { name: 'name KS p-value', actual: () => metricDisplayName('ks_p_value'), expected: 'KS p-value' },
  { name: 'name camelCase', actual: () => metricDisplayName('ksPValue'), expected: 'KS p-value' },
  { name: 'name missing share', actual: () => metricDisplayName('missing_share'), expected: 'missing share' },
  { name: 'name ROC AUC', actual: () => metricDisplayName('roc_auc'), expected: 'ROC AUC' },
  { name: 'name unknown', actual: () => metricDisplayName('custom_score'), expected: 'custom score' },
  { name: 'duration 0', actual: () => formatDuration(0), expected: '0s' },
  { name: 'duration 45 s', actual: () => formatDuration(45_000), expected: '45s' },
  { name: 'duration 90 s', actual: () => formatDuration(90_000), expected: '1m 30s' },
  { name: 'duration 1 h', actual: () => formatDuration(3_600_000), expected: '1h' },
  { name: 'duration 1 h 30 m', actual: () => formatDuration(5_400_000), expected: '1h 30m' },
  { name: 'duration 1 d 2 h', actual: () => formatDuration(93_600_000), expected: '1d 2h' },
  { name: 'duration 1 d 5 s hides nothing', actual: () => formatDuration(86_405_000), expected: '1d' },
  { name: 'duration 7 d', actual: () => formatDuration(7 * 86_400_000), expected: '7d' },
  { name: 'UTC time', actual: () => formatUtc(Date.UTC(2024, 4, 1, 12)), expected: '2024-05-01 12:00 UTC' },
  { name: 'UTC time with seconds', actual: () => formatUtc(Date.UTC(2024, 4, 1, 12, 0, 30)), expected: '2024-05-01 12:00:30 UTC' },
  { name: 'window same day', actual: () => formatWindow({ start: Date.UTC(2024, 4, 1, 12), end: Date.UTC(2024, 4, 1, 13) }), expected: '2024-05-01 12:00–13:00 UTC (1h)' },
  { name: 'window over midnight', actual: () => formatWindow({ start: Date.UTC(2024, 4, 1), end: Date.UTC(2024, 4, 2) }), expected: '2024-05-01 00:00 – 2024-05-02 00:00 UTC (1d)' },
  { name: 'truncate keeps surrogate pairs whole', actual: () => truncate('ab😀cd', 4), expected: 'ab…' },
];

for (const c of FORMAT_CASES) {
  test(`format: ${c.name}`, () => assert.equal(c.actual(), c.expected));
}

// ---------------------------------------------------------------------------------------
// Subjects

const SUBJECT_CASES: Array<{ name: string; overrides: Partial<AlertNotification>; subject: string }> = [
  { name: 'three drifted features', overrides: {}, subject: '[FIRING critical] fraud: 3 features drifted (rule any-feature-drifts)' },
  {
    name: 'one window-level figure, still firing, with version',
    overrides: { kind: 'repeat', severity: 'warning', ruleName: 'accuracy-drop', modelVersion: 'v3', items: [item(null, 'accuracy', 0.7123, '<', 0.8)] },
    subject: '[STILL FIRING warning] fraud@v3: accuracy 0.712 < 0.800 (rule accuracy-drop)',
  },
  {
    name: 'one column-level figure',
    overrides: { severity: 'info', ruleName: 'missing-values', items: [item('email', 'missing_share', 0.12, '>', 0.05)] },
    subject: '[FIRING info] fraud: email: missing share 12.0% > 5.0% (rule missing-values)',
  },
  { name: 'resolved', overrides: { kind: 'resolved' }, subject: '[RESOLVED critical] fraud: no longer firing (rule any-feature-drifts)' },
  {
    name: 'data-quality items on columns',
    overrides: { items: [item('a', 'missing_share', 0.2, '>', 0.1), item('b', 'missing_share', 0.3, '>', 0.1)] },
    subject: '[FIRING critical] fraud: 2 columns crossed the rule (rule any-feature-drifts)',
  },
  {
    name: 'two drift metrics on one feature count it once',
    overrides: { items: [item('age', 'psi', 0.3, '>', 0.2), item('age', 'ks_p_value', 0.001, '<', 0.01)] },
    subject: '[FIRING critical] fraud: 1 feature drifted (rule any-feature-drifts)',
  },
  {
    name: 'mixed window and column items',
    overrides: { items: [item(null, 'drift_share', 0.6, '>=', 0.5), item('age', 'psi', 0.3, '>', 0.2)] },
    subject: '[FIRING critical] fraud: 2 conditions met (rule any-feature-drifts)',
  },
  { name: 'no items', overrides: { items: [] }, subject: '[FIRING critical] fraud: rule firing (rule any-feature-drifts)' },
  {
    name: 'line breaks in user text cannot add header lines',
    overrides: { ruleName: 'x\r\nBcc: victim@example.com', modelId: 'fraud\nX-Evil: 1' },
    subject: '[FIRING critical] fraud X-Evil: 1: 3 features drifted (rule x Bcc: victim@example.com)',
  },
];

for (const c of SUBJECT_CASES) {
  test(`subject: ${c.name}`, () => {
    const { subject } = emailMessage(notification(c.overrides));
    assert.equal(subject, c.subject);
    assert.doesNotMatch(subject, /[\r\n]/);
  });
}

test('a very long subject is cut to 250 characters', () => {
  const { subject } = emailMessage(notification({ ruleName: 'r'.repeat(1000) }));
  assert.equal(subject.length, 250);
  assert.ok(subject.endsWith('…'));
});

// ---------------------------------------------------------------------------------------
// Bodies

test('text and HTML carry the same content', () => {
  const { text, html } = emailMessage(notification(), { from: 'Driftwatch (staging)' });
  const shared = [
    'Input drift on fraud', 'Three features drifted.',
    'all versions', 'fraud-default', 'all data', '2024-05-01 12:00–13:00 UTC (1h)', 'training set 2024-04 (fixed)',
    '2024-05-01 11:00 UTC (2h 5m)', 'Drifted features (3)',
    'PSI', '0.312', '3.20e-7', '1.50e-9', 'unseen-category share 2.0%', 'team=risk', 'Sent by Driftwatch (staging)',
  ];
  for (const s of shared) {
    assert.ok(text.includes(s), `text lacks ${s}`);
    assert.ok(html.includes(escapeHtml(s)), `html lacks ${s}`);
  }
  assert.ok(text.includes('  - age: PSI 0.312 > 0.200 (KS p-value 3.20e-7)'));
  assert.ok(text.includes('Open in Driftwatch: https://driftwatch.example.com/models/fraud?window=2024-05-01T12:00Z&tab=drift'));
  assert.ok(html.includes('<a href="https://driftwatch.example.com/models/fraud?window=2024-05-01T12:00Z&amp;tab=drift">Open in Driftwatch</a>'));
  assert.ok(html.includes('<a href="https://wiki.example.com/runbooks/drift">Runbook</a>'));
  assert.ok(html.startsWith('<!DOCTYPE html>'));
});

const OUR_TAG = /^<(!DOCTYPE html|\/?(html|head|meta|title|body|h1|h2|p|table|tr|th|td|ul|li|code|strong|span|a|br)(\s+(style|href|charset)="[^"<>]*")*)>$/;

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '&lt;already-escaped&gt;',
  '</td></tr></table><h1>fake</h1>',
];

for (const value of HOSTILE) {
  test(`HTML-escapes ${JSON.stringify(value)} in every user-provided field`, () => {
    const n = notification({
      modelId: value, modelVersion: value, monitorId: value, ruleName: value, ruleId: value,
      segment: { name: value, value },
      reference: { kind: value, description: value },
      items: [{ column: value, metric: value, value: 0.3, operator: '>', threshold: 0.2, details: { [value]: value } }],
      labels: { [value]: value },
      annotations: { summary: value, description: `${value}\nsecond line`, runbookUrl: `https://example.com/?q=${value}` },
      link: `https://example.com/${value}`,
    });
    const { html, text } = emailMessage(n, { from: value });
    assert.ok(!html.includes(value), 'the raw value never appears in HTML');
    assert.ok(html.includes(escapeHtml(value)));
    // Every tag in the document is one of ours, with only our attributes: user text added none.
    for (const tag of html.match(/<[^>]*>/g) ?? []) assert.match(tag, OUR_TAG, tag);
    // Plain text is not markup: the value stays as written.
    assert.ok(text.includes(value));
  });
}

test('only http(s) URLs become links', () => {
  const { html, text } = emailMessage(notification({
    link: 'javascript:alert(document.cookie)',
    annotations: { summary: '', description: '', runbookUrl: 'data:text/html,<b>x</b>' },
  }));
  assert.doesNotMatch(html, /href="(javascript|data):/i);
  assert.ok(html.includes('Open in Driftwatch: javascript:alert(document.cookie)'));
  assert.ok(html.includes('Runbook: data:text/html,&lt;b&gt;x&lt;/b&gt;'));
  assert.ok(text.includes('Runbook: data:text/html,<b>x</b>'));
});

test('long item lists end with "… and N more" in both bodies', () => {
  const items = Array.from({ length: 130 }, (_, i) => item(`f${i}`, 'psi', 0.3, '>', 0.2));
  const cases: Array<{ maxItems?: number; listed: number; more: number }> = [
    { listed: 100, more: 30 },
    { maxItems: 5, listed: 5, more: 125 },
    { maxItems: 200, listed: 130, more: 0 },
  ];
  for (const c of cases) {
    const { text, html } = emailMessage(notification({ items }), c.maxItems === undefined ? {} : { maxItems: c.maxItems });
    assert.equal((text.match(/^ {2}- f\d+:/gm) ?? []).length, c.listed);
    assert.equal((html.match(/<li>/g) ?? []).length, c.listed);
    const moreText = c.more === 0 ? null : `… and ${c.more} more`;
    assert.equal(moreText === null ? !text.includes('more') : text.includes(moreText), true);
    if (moreText !== null) assert.ok(html.includes(moreText));
    assert.ok(text.includes('Drifted features (130):'));
  }
});

test('resolved and itemless notifications read sensibly', () => {
  const resolved = emailMessage(notification({ kind: 'resolved' }));
  assert.ok(resolved.text.startsWith('✅ [RESOLVED critical]'));
  assert.ok(resolved.text.includes('Last evaluated values (3):'));
  assert.ok(resolved.text.includes('Fired from:'));
  const empty = emailMessage(notification({ items: [], annotations: { summary: '', description: '', runbookUrl: null }, labels: {} }));
  assert.ok(empty.text.includes('Conditions met (0):\n  (none)'));
  assert.ok(!empty.text.includes('Runbook:'));
  assert.ok(!empty.text.includes('Labels:'));
  assert.ok(empty.html.includes('<p>(none)</p>'));
});

// alerting/render/slack.ts: Block Kit structure, Slack's limits (50 blocks, 3000 characters
// per text, 2000 per field, 10 fields, 150 per header) and mrkdwn escaping of everything
// user-provided. Limits are checked by walking every block, not by spot checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KnownBlock } from '@slack/types';
import type { AlertNotification, NotificationItem } from '../../alerting/notification.js';
import { SLACK_LIMITS, escapeMrkdwn, slackMessage, truncateMrkdwn } from '../../alerting/render/slack.js';
import { inputDriftNotification } from '../helpers/notification.js';

function driftItems(count: number, columnName = (i: number) => `feature_${i}`): NotificationItem[] {
  return Array.from({ length: count }, (_, i) => ({
    column: columnName(i), metric: 'psi', value: 0.3 + i / 1000, operator: '>' as const, threshold: 0.2, details: { ks_p_value: 1e-6 },
  }));
}

interface TextObject { type: string; text: string }

/** Every text object in the message, with where it sits and its limit. */
function textObjects(blocks: KnownBlock[]): Array<{ where: string; object: TextObject; limit: number }> {
  const out: Array<{ where: string; object: TextObject; limit: number }> = [];
  blocks.forEach((block, i) => {
    const where = `blocks[${i}] ${block.type}`;
    if (block.type === 'header') out.push({ where, object: block.text, limit: SLACK_LIMITS.headerText });
    if (block.type === 'section') {
      if (block.text) out.push({ where: `${where}.text`, object: block.text as TextObject, limit: SLACK_LIMITS.text });
      for (const f of block.fields ?? []) out.push({ where: `${where}.fields`, object: f as TextObject, limit: SLACK_LIMITS.fieldText });
    }
    if (block.type === 'context') {
      for (const e of block.elements) if ('text' in e) out.push({ where: `${where}.elements`, object: e as TextObject, limit: SLACK_LIMITS.text });
    }
    if (block.type === 'actions') {
      for (const e of block.elements) if (e.type === 'button') out.push({ where: `${where}.button`, object: e.text, limit: SLACK_LIMITS.buttonText });
    }
  });
  return out;
}

function assertWithinLimits(blocks: KnownBlock[], text: string): void {
  assert.ok(blocks.length <= SLACK_LIMITS.blocks, `${blocks.length} blocks`);
  assert.ok(text.length <= SLACK_LIMITS.text, `fallback text ${text.length}`);
  for (const block of blocks) {
    if (block.type === 'section') assert.ok((block.fields ?? []).length <= SLACK_LIMITS.fieldsPerSection);
    if (block.type === 'context') assert.ok(block.elements.length <= SLACK_LIMITS.contextElements);
  }
  for (const { where, object, limit } of textObjects(blocks)) {
    assert.ok(object.text.length >= 1, `${where} is empty`);
    assert.ok(object.text.length <= limit, `${where}: ${object.text.length} > ${limit}`);
  }
}

/** In mrkdwn, the only '&' are entity starts, and '<' '>' never appear raw (we send no links in mrkdwn). */
function assertMrkdwnEscaped(blocks: KnownBlock[], text: string): void {
  const mrkdwn = [text, ...textObjects(blocks).filter((t) => t.object.type === 'mrkdwn').map((t) => t.object.text)];
  for (const t of mrkdwn) {
    assert.doesNotMatch(t, /[<>]/, `raw < or > in ${JSON.stringify(t.slice(0, 80))}`);
    assert.doesNotMatch(t, /&(?!amp;|lt;|gt;)/, `bare & in ${JSON.stringify(t.slice(0, 80))}`);
  }
}

function allText(blocks: KnownBlock[]): string {
  return textObjects(blocks).map((t) => t.object.text).join('\n');
}

test('a firing drift alert: header, overview fields, items, buttons, fallback text', () => {
  const { text, blocks } = slackMessage(inputDriftNotification());
  assert.equal(text, '🔴 [FIRING critical] fraud: 3 features drifted (rule any-feature-drifts)');
  assert.deepEqual(blocks.map((b) => b.type), ['header', 'section', 'section', 'section', 'divider', 'section', 'actions', 'context']);

  const header = blocks[0]!;
  assert.ok(header.type === 'header');
  assert.equal(header.text.text, '🔴 FIRING · CRITICAL · any-feature-drifts');

  const overview = blocks[1]!;
  assert.ok(overview.type === 'section');
  assert.equal(overview.text?.text, '`fraud`: 3 features drifted');
  assert.deepEqual(overview.fields?.map((f) => f.text), [
    '*Model*\n`fraud`',
    '*Version*\nall versions',
    '*Monitor*\n`fraud-default`',
    '*Segment*\nall data',
    '*Window*\n2024-05-01 12:00–13:00 UTC (1h)',
    '*Reference*\ntraining set 2024-04 (fixed)',
    '*Firing since*\n2024-05-01 11:00 UTC (2h 5m)',
  ]);

  const items = blocks[5]!;
  assert.ok(items.type === 'section');
  assert.equal(items.text?.text, [
    '*Drifted features (3)*',
    '• `age` — PSI *0.312* &gt; 0.200 · KS p-value 3.20e-7',
    '• `amount` — KS p-value *1.50e-9* &lt; 0.0100 · PSI 0.150',
    '• `country` — chi-square p-value *4.00e-4* &lt; 0.0100 · unseen-category share 2.0%',
  ].join('\n'));

  const actions = blocks[6]!;
  assert.ok(actions.type === 'actions');
  assert.deepEqual(actions.elements, [
    { type: 'button', text: { type: 'plain_text', text: 'Open in Driftwatch', emoji: true }, url: 'https://driftwatch.example.com/models/fraud?window=2024-05-01T12:00Z', action_id: 'open_driftwatch', style: 'primary' },
    { type: 'button', text: { type: 'plain_text', text: 'Runbook', emoji: true }, url: 'https://wiki.example.com/runbooks/drift', action_id: 'open_runbook' },
  ]);
  assert.match(allText(blocks), /Input drift on fraud/);
  assert.match(allText(blocks), /Three features drifted\./);
  assert.match(allText(blocks), /team=risk/);
  assertWithinLimits(blocks, text);
  assertMrkdwnEscaped(blocks, text);
});

const KIND_CASES: Array<{ kind: AlertNotification['kind']; severity: AlertNotification['severity']; header: string; primary: boolean; text: string }> = [
  { kind: 'firing', severity: 'warning', header: '🟠 FIRING · WARNING · any-feature-drifts', primary: true, text: '🟠 [FIRING warning] fraud: 3 features drifted (rule any-feature-drifts)' },
  { kind: 'repeat', severity: 'info', header: '🔵 STILL FIRING · INFO · any-feature-drifts', primary: true, text: '🔵 [STILL FIRING info] fraud: 3 features drifted (rule any-feature-drifts)' },
  { kind: 'resolved', severity: 'critical', header: '✅ RESOLVED · CRITICAL · any-feature-drifts', primary: false, text: '✅ [RESOLVED critical] fraud: no longer firing (rule any-feature-drifts)' },
];

for (const c of KIND_CASES) {
  test(`kind ${c.kind}: header, fallback and button style`, () => {
    const { text, blocks } = slackMessage(inputDriftNotification({ kind: c.kind, severity: c.severity }));
    assert.equal(text, c.text);
    const header = blocks[0]!;
    assert.ok(header.type === 'header');
    assert.equal(header.text.text, c.header);
    const actions = blocks.find((b) => b.type === 'actions');
    assert.ok(actions?.type === 'actions');
    const open = actions.elements[0]!;
    assert.ok(open.type === 'button');
    assert.equal(open.style, c.primary ? 'primary' : undefined);
    if (c.kind === 'resolved') assert.match(allText(blocks), /\*Fired from\*/);
  });
}

const HOSTILE: Array<{ name: string; value: string; escaped: string }> = [
  { name: 'channel mention', value: '<!channel>', escaped: '&lt;!channel&gt;' },
  { name: 'user mention', value: '<@U024BE7LH>', escaped: '&lt;@U024BE7LH&gt;' },
  { name: 'link syntax', value: '<https://evil.example|click me>', escaped: '&lt;https://evil.example|click me&gt;' },
  { name: 'ampersand', value: 'R&D', escaped: 'R&amp;D' },
  { name: 'an entity as text stays text', value: '&lt;', escaped: '&amp;lt;' },
  { name: 'comparison', value: 'x>1', escaped: 'x&gt;1' },
];

for (const h of HOSTILE) {
  test(`escapes ${h.name} in every user-provided field`, () => {
    const n = inputDriftNotification({
      modelId: h.value,
      modelVersion: h.value,
      monitorId: h.value,
      ruleName: h.value,
      ruleId: h.value,
      segment: { name: h.value, value: h.value },
      reference: { kind: h.value, description: h.value },
      items: [{ column: h.value, metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: { note: h.value } }],
      labels: { [h.value]: h.value },
      annotations: { summary: `summary ${h.value}`, description: `description ${h.value}`, runbookUrl: null },
    });
    const { text, blocks } = slackMessage(n);
    assertMrkdwnEscaped(blocks, text);
    assert.equal(escapeMrkdwn(h.value), h.escaped);
    assert.ok(allText(blocks).includes(h.escaped));
    // plain_text (header) is shown literally by Slack: not escaped.
    const header = blocks[0]!;
    assert.ok(header.type === 'header');
    assert.ok(header.text.text.includes(h.value));
    for (const t of textObjects(blocks)) if (t.object.type === 'mrkdwn') assert.equal((t.object as { verbatim?: boolean }).verbatim, true);
  });
}

test('identifiers are code spans so underscores do not italicise; backticks and newlines cannot break out', () => {
  const cases: Array<{ column: string; rendered: string }> = [
    { column: 'is_fraud_flag', rendered: '`is_fraud_flag`' },
    { column: 'a`b', rendered: 'a`b' },
    { column: 'two\nlines', rendered: '`two lines`' },
    { column: '', rendered: '(empty)' },
  ];
  for (const c of cases) {
    const { blocks } = slackMessage(inputDriftNotification({ items: [{ column: c.column, metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: {} }] }));
    assert.ok(allText(blocks).includes(`• ${c.rendered} — PSI *0.300*`), c.column);
  }
});

const TRUNCATION_CASES: Array<{ name: string; items: number; maxItems?: number; shown: number; more: number }> = [
  { name: 'default keeps 20 of 25', items: 25, shown: 20, more: 5 },
  { name: 'maxItems 3 of 10', items: 10, maxItems: 3, shown: 3, more: 7 },
  { name: 'maxItems 0 lists none', items: 4, maxItems: 0, shown: 0, more: 4 },
  { name: 'everything fits', items: 12, shown: 12, more: 0 },
  { name: '2000 items asked for: cut by 3000-character sections and the 50-block limit', items: 2000, maxItems: 5000, shown: -1, more: -1 },
];

for (const c of TRUNCATION_CASES) {
  test(`items: ${c.name}`, () => {
    const n = inputDriftNotification({ items: driftItems(c.items) });
    const { text, blocks } = slackMessage(n, c.maxItems === undefined ? {} : { maxItems: c.maxItems });
    assertWithinLimits(blocks, text);
    const body = allText(blocks);
    const shown = (body.match(/^• /gm) ?? []).length;
    const more = /… and (\d+) more/.exec(body);
    if (c.shown >= 0) {
      assert.equal(shown, c.shown);
      assert.equal(more === null ? 0 : Number(more[1]), c.more);
    } else {
      assert.ok(shown > 100 && shown < c.items, `${shown} shown`);
      assert.equal(Number(more?.[1]), c.items - shown, 'the count of the rest is exact');
      assert.ok(blocks.length >= SLACK_LIMITS.blocks - 1, `${blocks.length} blocks: the block budget was used`);
    }
    assert.ok(body.includes(`(${c.items})*`), 'the heading counts every item');
  });
}

test('long user text is cut to the limits without leaving half an entity', () => {
  const n = inputDriftNotification({
    ruleName: 'r'.repeat(400),
    modelId: 'm'.repeat(5000),
    annotations: { summary: '&'.repeat(5000), description: 'd'.repeat(10_000), runbookUrl: null },
    items: [{ column: '<'.repeat(4000), metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: {} }],
    labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`label${i}`, 'v'.repeat(20)])),
  });
  const { text, blocks } = slackMessage(n);
  assertWithinLimits(blocks, text);
  assertMrkdwnEscaped(blocks, text);
  const summary = blocks[2]!;
  assert.ok(summary.type === 'section');
  assert.equal(summary.text?.text.length, 2996);
  assert.ok(summary.text?.text.endsWith('&amp;…'));
});

test('truncateMrkdwn never cuts an entity or a surrogate pair', () => {
  const cases: Array<{ input: string; max: number; expected: string }> = [
    { input: 'abcdef', max: 10, expected: 'abcdef' },
    { input: 'abcdef', max: 4, expected: 'abc…' },
    { input: 'ab&amp;cd', max: 6, expected: 'ab…' },
    { input: 'ab&lt;cd', max: 7, expected: 'ab&lt;…' },
    { input: 'a😀bcd', max: 3, expected: 'a…' },
  ];
  for (const c of cases) assert.equal(truncateMrkdwn(c.input, c.max), c.expected, c.input);
});

test('links that are not http(s) become inert text, never buttons', () => {
  const n = inputDriftNotification({ link: 'javascript:alert(1)', annotations: { summary: '', description: '', runbookUrl: 'file:///etc/passwd' } });
  const { text, blocks } = slackMessage(n);
  assert.equal(blocks.find((b) => b.type === 'actions'), undefined);
  const body = allText(blocks);
  assert.match(body, /Link: javascript:alert\(1\)/);
  assert.match(body, /Runbook: file:\/\/\/etc\/passwd/);
  assertWithinLimits(blocks, text);
});

test('window-level figures, versions and segments', () => {
  const n = inputDriftNotification({
    ruleName: 'accuracy-drop',
    modelVersion: 'v3',
    segment: { name: 'country', value: 'DE' },
    window: { start: Date.UTC(2024, 4, 1), end: Date.UTC(2024, 4, 2) },
    firingSince: null,
    items: [{ column: null, metric: 'accuracy', value: 0.7123, operator: '<', threshold: 0.8, details: { reference_value: 0.91, label_count: 12345 } }],
  });
  const { text, blocks } = slackMessage(n);
  assert.equal(text, '🔴 [FIRING critical] fraud@v3: accuracy 0.712 &lt; 0.800 (rule accuracy-drop)');
  const overview = blocks[1]!;
  assert.ok(overview.type === 'section');
  assert.deepEqual(overview.fields?.map((f) => f.text).slice(1, 5), [
    '*Version*\n`v3`', '*Monitor*\n`fraud-default`', '*Segment*\ncountry = DE', '*Window*\n2024-05-01 00:00 – 2024-05-02 00:00 UTC (1d)',
  ]);
  assert.equal(overview.fields?.length, 6, 'no "Firing since" without firingSince');
  assert.ok(allText(blocks).includes('*Conditions met (1)*\n• accuracy *0.712* &lt; 0.800 · reference value 0.91 · labels 12,345'));
});

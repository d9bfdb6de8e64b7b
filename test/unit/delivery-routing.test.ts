// alerting/delivery/routing.ts: severity order as a full table, which subscriptions match a
// notification, and how matching subscriptions become one route per channel (disabled and
// unknown channels dropped, resolve notices only where wanted, sorted output).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelDefinition, SubscriptionDefinition } from '../../alerting/delivery/definitions.js';
import { routeNotification, severityAtLeast, subscriptionMatches } from '../../alerting/delivery/routing.js';
import type { NotificationKind, Severity } from '../../alerting/notification.js';

test('severityAtLeast: every severity against every minimum', async (t) => {
  const rows: Array<{ severity: Severity; minimum: Severity; expected: boolean }> = [
    { severity: 'info', minimum: 'info', expected: true },
    { severity: 'info', minimum: 'warning', expected: false },
    { severity: 'info', minimum: 'critical', expected: false },
    { severity: 'warning', minimum: 'info', expected: true },
    { severity: 'warning', minimum: 'warning', expected: true },
    { severity: 'warning', minimum: 'critical', expected: false },
    { severity: 'critical', minimum: 'info', expected: true },
    { severity: 'critical', minimum: 'warning', expected: true },
    { severity: 'critical', minimum: 'critical', expected: true },
  ];
  for (const row of rows) {
    await t.test(`${row.severity} >= ${row.minimum}`, () => assert.equal(severityAtLeast(row.severity, row.minimum), row.expected));
  }
});

function subscription(overrides: Partial<SubscriptionDefinition> = {}): SubscriptionDefinition {
  return { id: 'sub', channel_id: 'ops-slack', models: [], min_severity: 'info', enabled: true, ...overrides };
}

test('subscriptionMatches', async (t) => {
  const rows: Array<{ name: string; subscription: SubscriptionDefinition; modelId: string; severity: Severity; expected: boolean }> = [
    { name: 'no models: every model', subscription: subscription(), modelId: 'fraud', severity: 'info', expected: true },
    { name: 'no models: another model too', subscription: subscription(), modelId: 'churn/v2', severity: 'warning', expected: true },
    { name: 'a listed model', subscription: subscription({ models: ['churn', 'fraud'] }), modelId: 'fraud', severity: 'info', expected: true },
    { name: 'a model not listed', subscription: subscription({ models: ['churn', 'fraud'] }), modelId: 'pricing', severity: 'critical', expected: false },
    { name: 'model ids match exactly (case)', subscription: subscription({ models: ['fraud'] }), modelId: 'Fraud', severity: 'critical', expected: false },
    { name: 'model ids match exactly (prefix)', subscription: subscription({ models: ['fraud'] }), modelId: 'fraud/v2', severity: 'critical', expected: false },
    { name: 'disabled', subscription: subscription({ enabled: false }), modelId: 'fraud', severity: 'critical', expected: false },
    { name: 'disabled with the model listed', subscription: subscription({ enabled: false, models: ['fraud'] }), modelId: 'fraud', severity: 'critical', expected: false },
    { name: 'below the minimum', subscription: subscription({ min_severity: 'warning' }), modelId: 'fraud', severity: 'info', expected: false },
    { name: 'at the minimum', subscription: subscription({ min_severity: 'warning' }), modelId: 'fraud', severity: 'warning', expected: true },
    { name: 'above the minimum', subscription: subscription({ min_severity: 'warning' }), modelId: 'fraud', severity: 'critical', expected: true },
    { name: 'critical only, warning alert', subscription: subscription({ min_severity: 'critical', models: ['fraud'] }), modelId: 'fraud', severity: 'warning', expected: false },
    { name: 'critical only, critical alert', subscription: subscription({ min_severity: 'critical', models: ['fraud'] }), modelId: 'fraud', severity: 'critical', expected: true },
  ];
  for (const row of rows) {
    await t.test(row.name, () => assert.equal(subscriptionMatches(row.subscription, { modelId: row.modelId, severity: row.severity }), row.expected));
  }
});

function slack(id: string, overrides: Partial<ChannelDefinition> = {}): ChannelDefinition {
  return { id, kind: 'slack', channel: `#${id}`, token: 'xoxb-1', enabled: true, send_resolved: true, ...overrides } as ChannelDefinition;
}

const FIRING = { modelId: 'fraud', severity: 'critical', kind: 'firing' } as const;

/** Routes as (channel id, subscription ids) pairs. */
function summary(routes: ReturnType<typeof routeNotification>): Array<[string, string[]]> {
  return routes.map((route) => [route.channel.id, route.subscriptionIds]);
}

test('two subscriptions to one channel give one route with both ids, sorted', () => {
  const channel = slack('ops');
  const routes = routeNotification(FIRING, [subscription({ id: 'zeta', channel_id: 'ops' }), subscription({ id: 'alpha', channel_id: 'ops', models: ['fraud'] })], [channel]);
  assert.equal(routes.length, 1);
  assert.equal(routes[0]!.channel, channel, 'the channel definition itself');
  assert.deepEqual(routes[0]!.subscriptionIds, ['alpha', 'zeta']);
});

test('routeNotification', async (t) => {
  const channels = [slack('ops'), slack('ml-team'), slack('off', { enabled: false }), slack('no-resolve', { send_resolved: false })];
  const rows: Array<{ name: string; kind?: NotificationKind; severity?: Severity; subscriptions: SubscriptionDefinition[]; expected: Array<[string, string[]]> }> = [
    { name: 'no subscriptions', subscriptions: [], expected: [] },
    { name: 'one subscription', subscriptions: [subscription({ id: 's1', channel_id: 'ops' })], expected: [['ops', ['s1']]] },
    { name: 'a disabled channel gets nothing', subscriptions: [subscription({ id: 's1', channel_id: 'off' })], expected: [] },
    { name: 'an unknown channel id gets nothing', subscriptions: [subscription({ id: 's1', channel_id: 'deleted' })], expected: [] },
    {
      name: 'a disabled channel does not hide the others',
      subscriptions: [subscription({ id: 's1', channel_id: 'off' }), subscription({ id: 's2', channel_id: 'ops' }), subscription({ id: 's3', channel_id: 'deleted' })],
      expected: [['ops', ['s2']]],
    },
    {
      name: 'a non-matching subscription does not route',
      subscriptions: [subscription({ id: 's1', channel_id: 'ops', models: ['churn'] }), subscription({ id: 's2', channel_id: 'ml-team', min_severity: 'critical' })],
      severity: 'warning',
      expected: [],
    },
    {
      name: 'only the matching subscription of a channel is listed',
      subscriptions: [subscription({ id: 'b', channel_id: 'ops', models: ['churn'] }), subscription({ id: 'a', channel_id: 'ops' })],
      expected: [['ops', ['a']]],
    },
    {
      name: 'routes sorted by channel id whatever the subscription order',
      subscriptions: [subscription({ id: 's1', channel_id: 'ops' }), subscription({ id: 's2', channel_id: 'no-resolve' }), subscription({ id: 's3', channel_id: 'ml-team' })],
      expected: [['ml-team', ['s3']], ['no-resolve', ['s2']], ['ops', ['s1']]],
    },
    // Resolve notices skip channels with send_resolved false; firing and repeat do not.
    { name: 'firing reaches a no-resolve channel', kind: 'firing', subscriptions: [subscription({ id: 's1', channel_id: 'no-resolve' })], expected: [['no-resolve', ['s1']]] },
    { name: 'repeat reaches a no-resolve channel', kind: 'repeat', subscriptions: [subscription({ id: 's1', channel_id: 'no-resolve' })], expected: [['no-resolve', ['s1']]] },
    { name: 'resolved skips a no-resolve channel', kind: 'resolved', subscriptions: [subscription({ id: 's1', channel_id: 'no-resolve' })], expected: [] },
    {
      name: 'resolved still reaches the other channels',
      kind: 'resolved',
      subscriptions: [subscription({ id: 's1', channel_id: 'no-resolve' }), subscription({ id: 's2', channel_id: 'ops' }), subscription({ id: 's3', channel_id: 'no-resolve' })],
      expected: [['ops', ['s2']]],
    },
  ];
  for (const row of rows) {
    await t.test(row.name, () => {
      const notification = { modelId: 'fraud', severity: row.severity ?? 'critical', kind: row.kind ?? 'firing' };
      assert.deepEqual(summary(routeNotification(notification, row.subscriptions, channels)), row.expected);
    });
  }
});

test('routeNotification does not reorder or change its inputs', () => {
  const subscriptions = [subscription({ id: 'z', channel_id: 'b' }), subscription({ id: 'y', channel_id: 'a' }), subscription({ id: 'x', channel_id: 'b' })];
  const channels = [slack('b'), slack('a')];
  const before = structuredClone({ subscriptions, channels });
  const first = routeNotification(FIRING, subscriptions, channels);
  assert.deepEqual(summary(first), [['a', ['y']], ['b', ['x', 'z']]]);
  assert.deepEqual({ subscriptions, channels }, before);
  assert.deepEqual(summary(routeNotification(FIRING, subscriptions, channels)), summary(first), 'the same answer twice');
});

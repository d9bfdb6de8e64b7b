/**
 * Who gets a notification: every enabled subscription whose models and minimum severity
 * match it, grouped by channel, so a channel that two subscriptions point at receives the
 * message once. A channel switched off by its user, or one that does not send resolve
 * notices, drops out here; a channel auto-disabled after failures is the dispatcher's
 * business (it logs the skip).
 */
import type { AlertNotification, Severity } from '../notification.js';
import type { ChannelDefinition, SubscriptionDefinition } from './definitions.js';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityAtLeast(severity: Severity, minimum: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}

export function subscriptionMatches(subscription: SubscriptionDefinition, notification: Pick<AlertNotification, 'modelId' | 'severity'>): boolean {
  return subscription.enabled
    && (subscription.models.length === 0 || subscription.models.includes(notification.modelId))
    && severityAtLeast(notification.severity, subscription.min_severity);
}

export interface Route {
  channel: ChannelDefinition;
  /** The matching subscriptions, sorted. */
  subscriptionIds: string[];
}

/** One route per channel, in channel id order. */
export function routeNotification(
  notification: Pick<AlertNotification, 'modelId' | 'severity' | 'kind'>,
  subscriptions: readonly SubscriptionDefinition[],
  channels: readonly ChannelDefinition[],
): Route[] {
  const channelById = new Map(channels.map((channel) => [channel.id, channel]));
  const routes = new Map<string, Route>();
  for (const subscription of subscriptions) {
    if (!subscriptionMatches(subscription, notification)) continue;
    const channel = channelById.get(subscription.channel_id);
    if (channel === undefined || !channel.enabled) continue;
    if (notification.kind === 'resolved' && !channel.send_resolved) continue;
    const route = routes.get(channel.id) ?? { channel, subscriptionIds: [] };
    route.subscriptionIds.push(subscription.id);
    routes.set(channel.id, route);
  }
  return [...routes.values()]
    .map((route) => ({ channel: route.channel, subscriptionIds: [...route.subscriptionIds].sort() }))
    .sort((a, b) => (a.channel.id < b.channel.id ? -1 : a.channel.id > b.channel.id ? 1 : 0));
}

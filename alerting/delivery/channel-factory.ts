/**
 * A stored channel definition as a live Channel. Built per delivery, so an edited channel
 * (new token, new recipients) takes effect with the next notification.
 */
import { EmailChannel } from '../channels/email.js';
import { SlackChannel } from '../channels/slack.js';
import type { Channel } from '../channels/types.js';
import { WebhookChannel } from '../channels/webhook.js';
import type { OutgoingUrlPolicy } from '../render/url-policy.js';
import type { Logger } from '../../observability/logger.js';
import type { ChannelDefinition } from './definitions.js';

export interface ChannelSettings {
  /** Slack Web API base URL (tests point it at a local server). */
  slackApiUrl: string;
  /** Checked before every webhook and retraining request. */
  urlPolicy: OutgoingUrlPolicy;
  /** One send, connect to answer. */
  timeoutMs: number;
  logger?: Logger;
}

export function buildChannel(definition: ChannelDefinition, settings: ChannelSettings): Channel {
  switch (definition.kind) {
    case 'slack':
      return new SlackChannel({
        id: definition.id, token: definition.token, channel: definition.channel, slackApiUrl: settings.slackApiUrl, timeoutMs: settings.timeoutMs,
        ...(settings.logger === undefined ? {} : { logger: settings.logger }),
      });
    case 'email':
      return new EmailChannel({
        id: definition.id, host: definition.host, port: definition.port, security: definition.security, from: definition.from, to: definition.to,
        ...(definition.username !== undefined && definition.password !== undefined ? { auth: { user: definition.username, password: definition.password } } : {}),
        timeoutMs: Math.max(settings.timeoutMs, 1000),
      });
    case 'webhook':
      return new WebhookChannel({ id: definition.id, url: definition.url, secret: definition.secret, urlPolicy: settings.urlPolicy, timeoutMs: settings.timeoutMs });
  }
}

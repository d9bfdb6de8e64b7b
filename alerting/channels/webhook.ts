/**
 * Outgoing webhook: a signed JSON POST (alerting/render/webhook.ts) to a URL that the
 * outgoing URL policy allows, sent to the checked address (pinned-post.ts).
 *
 * Every attempt carries the same X-Driftwatch-Idempotency-Key, so receivers drop
 * duplicates; that makes retrying safe wherever the request may have arrived. Retried:
 * connection refused or lost, timeouts, 429 (honouring Retry-After) and 5xx. Not
 * retried: other 4xx, 3xx, a refused URL, TLS failures.
 */
import type { AlertNotification } from '../notification.js';
import type { OutgoingUrlPolicy, Resolver } from '../render/url-policy.js';
import { webhookRequest } from '../render/webhook.js';
import { postToCheckedUrl, statusError } from './pinned-post.js';
import { checkTimeout, type Channel, type DeliveryAttempt, type DeliverySuccess } from './types.js';

export interface WebhookChannelOptions {
  id: string;
  url: string;
  /** One secret, or several during a rotation (one v1 signature each). */
  secret: string | readonly string[];
  urlPolicy: OutgoingUrlPolicy;
  /** Whole request, connect to the last byte of the answer. Default 10 s. */
  timeoutMs?: number;
  /** Default: the system resolver. Injected by tests. */
  resolver?: Resolver;
  /** Extra CA certificates (PEM) for an https receiver with a private CA. */
  ca?: string | readonly string[];
}

export const WEBHOOK_DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Driftwatch-Webhook/1';

export class WebhookChannel implements Channel {
  readonly kind = 'webhook' as const;
  readonly id: string;
  private readonly options: WebhookChannelOptions;
  private readonly timeoutMs: number;

  constructor(options: WebhookChannelOptions) {
    this.id = options.id;
    this.options = options;
    this.timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? WEBHOOK_DEFAULT_TIMEOUT_MS);
  }

  async send(notification: AlertNotification, attempt: DeliveryAttempt): Promise<DeliverySuccess> {
    const { body, headers } = webhookRequest(notification, { secret: this.options.secret, nowSeconds: Math.floor(attempt.startedAt / 1000) });
    const response = await postToCheckedUrl({
      url: this.options.url, headers, body, urlPolicy: this.options.urlPolicy, resolver: this.options.resolver,
      timeoutMs: this.timeoutMs, ca: this.options.ca, userAgent: USER_AGENT, what: 'webhook',
    });
    const { status, snippet, target } = response;
    if (status < 200 || status >= 300) throw statusError(status, response.headers, snippet);
    return { responseCode: status, detail: `HTTP ${status} from ${target}${snippet === '' ? '' : `: ${snippet}`}` };
  }
}

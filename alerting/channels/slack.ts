/**
 * Slack: chat.postMessage through the official client, with the blocks of slackMessage().
 *
 * Slack has no idempotency key for chat.postMessage, so a request that may have reached
 * Slack is never sent again: a 5xx, a timeout or a connection lost mid-request could each
 * have posted the message already. Only two failures are retryable: HTTP 429 (Slack
 * refused the call, and says when to come back in Retry-After) and a connection that
 * never opened (refused, unresolvable). HyperDX retries Slack on 429 only, for the same
 * reason. The client's own retries and its rate-limit queue are switched off so that
 * this policy is the only one.
 */
import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../../observability/logger.js';
import type { AlertNotification } from '../notification.js';
import { slackMessage, type SlackMessageOptions } from '../render/slack.js';
import {
  checkTimeout, DeliveryError, errorMessage, isTlsFailure, NOT_CONNECTED_CODES, shortText, systemErrorCode,
  type Channel, type DeliveryAttempt, type DeliverySuccess,
} from './types.js';

export interface SlackChannelOptions {
  id: string;
  /** Bot token (xoxb-…) with chat:write. */
  token: string;
  /** Channel id (C0123…) or name. */
  channel: string;
  /** Default https://slack.com/api/ ; tests point it at a local server. */
  slackApiUrl?: string;
  /** Whole request, connect to last byte. Default 10 s. */
  timeoutMs?: number;
  render?: SlackMessageOptions;
  /** Receives the client's own error-level log lines. */
  logger?: Logger;
}

export const SLACK_DEFAULT_TIMEOUT_MS = 10_000;

/** Slack API errors that mean the token is wrong, not the message. */
const AUTH_ERRORS: ReadonlySet<string> = new Set([
  'not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope', 'not_allowed_token_type',
]);

function clientLogger(logger: Logger | undefined): SlackLogger {
  let level = LogLevel.ERROR;
  return {
    // The client warns about every failed request; the DeliveryError already says it.
    debug() {}, info() {}, warn() {},
    error(...msg: unknown[]) { logger?.warn('slack client error', { detail: msg.map((m) => errorMessage(m)).join(' ') }); },
    setLevel(next) { level = next; },
    getLevel() { return level; },
    setName() {},
  };
}

/** A failure of the client as a DeliveryError, retryable only where Slack cannot have posted. */
export function slackDeliveryError(error: unknown, timeoutMs: number): DeliveryError {
  const e = error as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown } };
  if (e.code === ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : null;
    return new DeliveryError('DW_DELIVERY_RATE_LIMITED', `Slack rate limit (HTTP 429)${seconds === null ? '' : `, retry after ${seconds} s`}`, {
      retryable: true, responseCode: 429, retryAfterMs: seconds === null ? null : seconds * 1000, cause: error,
    });
  }
  if (e.code === ErrorCode.HTTPError) {
    const status = typeof e.statusCode === 'number' ? e.statusCode : null;
    return new DeliveryError(
      'DW_DELIVERY_HTTP_STATUS',
      `Slack answered HTTP ${status ?? '?'}; not retried: Slack may have posted it, and chat.postMessage has no idempotency key`,
      { retryable: false, responseCode: status, cause: error },
    );
  }
  if (e.code === ErrorCode.PlatformError) {
    const apiError = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
    if (apiError === 'ratelimited') {
      return new DeliveryError('DW_DELIVERY_RATE_LIMITED', 'Slack API error: ratelimited', { retryable: true, responseCode: 200, cause: error });
    }
    return new DeliveryError(AUTH_ERRORS.has(apiError) ? 'DW_DELIVERY_AUTH' : 'DW_DELIVERY_REJECTED', `Slack API error: ${shortText(apiError)}`, {
      retryable: false, responseCode: 200, cause: error,
    });
  }
  // A 429 without a readable Retry-After: the client throws a plain Error naming the header.
  if (/Retry header did not contain a valid timeout/.test(errorMessage(error))) {
    return new DeliveryError('DW_DELIVERY_RATE_LIMITED', 'Slack rate limit (HTTP 429) without a usable Retry-After', {
      retryable: true, responseCode: 429, cause: error,
    });
  }

  const system = systemErrorCode(error);
  if (system === 'ECONNREFUSED') {
    return new DeliveryError('DW_DELIVERY_CONNECTION_REFUSED', `Slack API connection refused: ${errorMessage(error)}`, { retryable: true, cause: error });
  }
  if (system !== null && NOT_CONNECTED_CODES.has(system)) {
    return new DeliveryError('DW_DELIVERY_UNREACHABLE', `Slack API unreachable (${system}): ${errorMessage(error)}`, { retryable: true, cause: error });
  }
  if (system === 'ECONNABORTED' || system === 'ETIMEDOUT' || system === 'ERR_CANCELED') {
    return new DeliveryError(
      'DW_DELIVERY_TIMEOUT',
      `no answer from Slack within ${timeoutMs} ms; not retried: Slack may have posted it, and a retry could post it twice`,
      { retryable: false, cause: error },
    );
  }
  if (isTlsFailure(error)) {
    return new DeliveryError('DW_DELIVERY_TLS', `TLS to the Slack API failed: ${errorMessage(error)}`, { retryable: false, cause: error });
  }
  if (system !== null) {
    return new DeliveryError(
      'DW_DELIVERY_OUTCOME_UNKNOWN',
      `connection to Slack failed (${system}) after the request was sent; not retried, Slack may have posted it`,
      { retryable: false, cause: error },
    );
  }
  return new DeliveryError('DW_DELIVERY_INTERNAL', `Slack send failed: ${errorMessage(error)}`, { retryable: false, cause: error });
}

export class SlackChannel implements Channel {
  readonly kind = 'slack' as const;
  readonly id: string;
  private readonly client: WebClient;
  private readonly channel: string;
  private readonly timeoutMs: number;
  private readonly render: SlackMessageOptions;

  constructor(options: SlackChannelOptions) {
    this.id = options.id;
    this.channel = options.channel;
    this.timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? SLACK_DEFAULT_TIMEOUT_MS);
    this.render = options.render ?? {};
    const timeoutMs = this.timeoutMs;
    this.client = new WebClient(options.token, {
      slackApiUrl: options.slackApiUrl ?? 'https://slack.com/api/',
      // Our policy decides retries: no client retries, and a 429 throws instead of pausing a queue.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      // axios' timeout is an idle timeout; the signal bounds the whole request.
      timeout: timeoutMs,
      requestInterceptor: (config) => {
        config.signal = AbortSignal.timeout(timeoutMs);
        return config;
      },
      // Method names never become URLs elsewhere.
      allowAbsoluteUrls: false,
      logger: clientLogger(options.logger),
    });
  }

  async send(notification: AlertNotification, _attempt: DeliveryAttempt): Promise<DeliverySuccess> {
    const message = slackMessage(notification, this.render);
    let result;
    try {
      result = await this.client.chat.postMessage({
        channel: this.channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        // Lets anyone reading the channel's messages through the API spot a duplicate by key.
        metadata: {
          event_type: 'driftwatch_alert',
          event_payload: {
            idempotency_key: notification.idempotencyKey,
            kind: notification.kind,
            rule_id: notification.ruleId,
            model_id: notification.modelId,
          },
        },
      });
    } catch (error) {
      throw slackDeliveryError(error, this.timeoutMs);
    }
    return { responseCode: 200, detail: `posted to Slack channel ${shortText(result.channel ?? this.channel)} (ts ${result.ts ?? '?'})` };
  }
}

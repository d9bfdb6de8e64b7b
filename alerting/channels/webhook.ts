/**
 * Outgoing webhook: a signed JSON POST (alerting/render/webhook.ts) to a URL that the
 * outgoing URL policy allows.
 *
 * The URL is checked before every attempt, and the request goes to the address the
 * check approved: node:http's `lookup` hook answers with that address instead of
 * resolving again, so a DNS answer that changes between check and connect (DNS
 * rebinding) cannot send the request to an internal address. The host name still goes
 * in the Host header and, for https, in SNI and certificate verification. (Global fetch
 * has no per-request lookup hook, which is why this uses node:http.) Redirects are not
 * followed: the next hop would not have been checked.
 *
 * Every attempt carries the same X-Driftwatch-Idempotency-Key, so receivers drop
 * duplicates; that makes retrying safe wherever the request may have arrived. Retried:
 * connection refused or lost, timeouts, 429 (honouring Retry-After) and 5xx. Not
 * retried: other 4xx, 3xx, a refused URL, TLS failures.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AlertNotification } from '../notification.js';
import { checkOutgoingUrl, type OutgoingUrlPolicy, type Resolver } from '../render/url-policy.js';
import { webhookRequest } from '../render/webhook.js';
import {
  checkTimeout, DeliveryError, errorMessage, isTlsFailure, NOT_CONNECTED_CODES, parseRetryAfter, shortText, systemErrorCode,
  type Channel, type DeliveryAttempt, type DeliverySuccess,
} from './types.js';

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
/** Kept from the receiver's answer, for the delivery log. */
const RESPONSE_SNIPPET_BYTES = 2048;
const USER_AGENT = 'Driftwatch-Webhook/1';

/** A `lookup` that answers every query with the checked address. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    // Node 20's happy-eyeballs connect asks for all addresses; plain connect for one.
    if (options.all) (callback as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function statusError(status: number, headers: http.IncomingHttpHeaders, snippet: string): DeliveryError {
  const said = snippet === '' ? '' : `: ${snippet}`;
  if (status === 429) {
    return new DeliveryError('DW_DELIVERY_RATE_LIMITED', `receiver answered HTTP 429${said}`, {
      retryable: true, responseCode: status, retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 500) {
    return new DeliveryError('DW_DELIVERY_HTTP_STATUS', `receiver answered HTTP ${status}${said}`, {
      retryable: true, responseCode: status, retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 300 && status < 400) {
    return new DeliveryError(
      'DW_DELIVERY_HTTP_STATUS',
      `receiver answered HTTP ${status} (redirect to ${shortText(String(headers.location ?? '?'))}); redirects are not followed, configure the final URL`,
      { retryable: false, responseCode: status },
    );
  }
  return new DeliveryError('DW_DELIVERY_HTTP_STATUS', `receiver answered HTTP ${status}${said}`, { retryable: false, responseCode: status });
}

function networkError(error: unknown, target: string): DeliveryError {
  const system = systemErrorCode(error);
  if (system === 'ECONNREFUSED') {
    return new DeliveryError('DW_DELIVERY_CONNECTION_REFUSED', `${target}: connection refused`, { retryable: true, cause: error });
  }
  if (system !== null && NOT_CONNECTED_CODES.has(system)) {
    return new DeliveryError('DW_DELIVERY_UNREACHABLE', `${target}: ${errorMessage(error)}`, { retryable: true, cause: error });
  }
  if (isTlsFailure(error)) {
    return new DeliveryError('DW_DELIVERY_TLS', `${target}: TLS failed: ${errorMessage(error)}`, { retryable: false, cause: error });
  }
  // Reset or closed mid-request: the receiver may have it, and dedups the retry by key.
  return new DeliveryError('DW_DELIVERY_CONNECTION_LOST', `${target}: ${errorMessage(error)}`, { retryable: true, cause: error });
}

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
    const check = await checkOutgoingUrl(this.options.url, this.options.urlPolicy, this.options.resolver);
    if (!check.ok) {
      // A name that did not resolve may resolve later; every other refusal is configuration.
      throw new DeliveryError('DW_DELIVERY_URL_REFUSED', `webhook URL refused (${check.code}): ${check.reason}`, {
        retryable: check.code === 'resolution_failed',
      });
    }
    const { body, headers } = webhookRequest(notification, { secret: this.options.secret, nowSeconds: Math.floor(attempt.startedAt / 1000) });
    const url = new URL(check.url);
    const target = `${url.origin}${url.pathname} (${check.address})`;
    const tls = url.protocol === 'https:';
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), 'User-Agent': USER_AGENT },
      lookup: pinnedLookup(check.address, check.family),
      // A fresh connection per attempt: a pooled socket could lead to an address checked for another URL.
      agent: false,
      ...(tls && this.options.ca !== undefined ? { ca: typeof this.options.ca === 'string' ? this.options.ca : [...this.options.ca] } : {}),
    };

    return new Promise<DeliverySuccess>((resolve, reject) => {
      let settled = false;
      let status: number | null = null;
      let responseHeaders: http.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let kept = 0;

      const answer = (): void => {
        const snippet = shortText(Buffer.concat(chunks).toString('utf8'));
        if (status !== null && status >= 200 && status < 300) {
          resolve({ responseCode: status, detail: `HTTP ${status} from ${target}${snippet === '' ? '' : `: ${snippet}`}` });
        } else {
          reject(statusError(status ?? 0, responseHeaders, snippet));
        }
      };
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };

      const timer = setTimeout(() => {
        // Once the status line arrived the receiver has answered; a slow body does not change that.
        finish(() => {
          if (status !== null) answer();
          else reject(new DeliveryError('DW_DELIVERY_TIMEOUT', `${target}: no answer within ${this.timeoutMs} ms`, { retryable: true }));
        });
        request.destroy();
      }, this.timeoutMs);

      const request = (tls ? https : http).request(url, requestOptions, (response) => {
        status = response.statusCode ?? 0;
        responseHeaders = response.headers;
        response.on('data', (chunk: Buffer) => {
          if (kept < RESPONSE_SNIPPET_BYTES) {
            chunks.push(chunk.subarray(0, RESPONSE_SNIPPET_BYTES - kept));
            kept += Math.min(chunk.length, RESPONSE_SNIPPET_BYTES - kept);
          }
        });
        // 'close' follows 'end', and also an aborted body: either way the status is the answer.
        response.on('close', () => finish(answer));
        response.on('error', () => finish(answer));
      });
      request.on('error', (error) => finish(() => (status !== null ? answer() : reject(networkError(error, target)))));
      request.end(body);
    });
  }
}

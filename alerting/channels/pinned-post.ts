/**
 * One HTTP POST to a URL that the outgoing URL policy allows, sent to the address the
 * check approved. Shared by the webhook channel and the retraining trigger sender.
 *
 * The URL is checked before every attempt, and node:http's `lookup` hook answers with the
 * checked address instead of resolving again, so a DNS answer that changes between check
 * and connect (DNS rebinding) cannot send the request to an internal address. The host
 * name still goes in the Host header and, for https, in SNI and certificate verification.
 * (Global fetch has no per-request lookup hook, which is why this uses node:http.)
 * Redirects are not followed: the next hop would not have been checked.
 *
 * Any HTTP status resolves: what a status means is the caller's decision. Failures before
 * a status arrived throw a `PinnedPostError`, whose `retryable` is right for a receiver
 * that deduplicates; `requestSent` lets a caller whose receiver cannot deduplicate tell
 * "cannot have arrived" from "may have arrived".
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkOutgoingUrl, type OutgoingUrlPolicy, type Resolver } from '../render/url-policy.js';
import {
  DeliveryError, errorMessage, isTlsFailure, NOT_CONNECTED_CODES, parseRetryAfter, shortText, systemErrorCode,
  type DeliveryErrorCode, type DeliveryErrorOptions,
} from './types.js';

export interface PinnedPostOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  urlPolicy: OutgoingUrlPolicy;
  /** Default: the system resolver. Injected by tests. */
  resolver?: Resolver;
  /** Whole request, connect to the last byte of the answer. */
  timeoutMs: number;
  /** Extra CA certificates (PEM) for an https receiver with a private CA. */
  ca?: string | readonly string[];
  /** Sent unless `headers` has its own User-Agent. */
  userAgent: string;
  /** What the URL is, for messages: "webhook", "retraining target". */
  what: string;
}

export interface PinnedPostResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The start of the answer's body as one short line ('' when empty). */
  snippet: string;
  /** "origin/path (address)", for messages and the delivery log. */
  target: string;
}

export class PinnedPostError extends DeliveryError {
  constructor(
    code: DeliveryErrorCode,
    message: string,
    options: DeliveryErrorOptions,
    /** Whether the whole request had been written to the connection, i.e. the receiver may have it. */
    readonly requestSent: boolean,
  ) {
    super(code, message, options);
  }
}

/** Kept from the receiver's answer, for messages and the delivery log. */
const RESPONSE_SNIPPET_BYTES = 2048;

/** A `lookup` that answers every query with the checked address. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    // Node 20's happy-eyeballs connect asks for all addresses; plain connect for one.
    if (options.all) (callback as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function networkError(error: unknown, target: string, requestSent: boolean): PinnedPostError {
  const system = systemErrorCode(error);
  if (system === 'ECONNREFUSED') {
    return new PinnedPostError('DW_DELIVERY_CONNECTION_REFUSED', `${target}: connection refused`, { retryable: true, cause: error }, false);
  }
  if (system !== null && NOT_CONNECTED_CODES.has(system)) {
    return new PinnedPostError('DW_DELIVERY_UNREACHABLE', `${target}: ${errorMessage(error)}`, { retryable: true, cause: error }, false);
  }
  if (isTlsFailure(error)) {
    return new PinnedPostError('DW_DELIVERY_TLS', `${target}: TLS failed: ${errorMessage(error)}`, { retryable: false, cause: error }, requestSent);
  }
  // Reset or closed mid-request: the receiver may have it, and dedups the retry by key.
  return new PinnedPostError('DW_DELIVERY_CONNECTION_LOST', `${target}: ${errorMessage(error)}`, { retryable: true, cause: error }, requestSent);
}

/**
 * The webhook reading of a non-2xx status: 429 and 5xx retryable (with Retry-After), 3xx
 * and other 4xx final. `who` starts the message ("receiver").
 */
export function statusError(status: number, headers: http.IncomingHttpHeaders, snippet: string, who = 'receiver'): DeliveryError {
  const said = snippet === '' ? '' : `: ${snippet}`;
  if (status === 429) {
    return new DeliveryError('DW_DELIVERY_RATE_LIMITED', `${who} answered HTTP 429${said}`, {
      retryable: true, responseCode: status, retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 500) {
    return new DeliveryError('DW_DELIVERY_HTTP_STATUS', `${who} answered HTTP ${status}${said}`, {
      retryable: true, responseCode: status, retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 300 && status < 400) {
    return new DeliveryError(
      'DW_DELIVERY_HTTP_STATUS',
      `${who} answered HTTP ${status} (redirect to ${shortText(String(headers.location ?? '?'))}); redirects are not followed, configure the final URL`,
      { retryable: false, responseCode: status },
    );
  }
  return new DeliveryError('DW_DELIVERY_HTTP_STATUS', `${who} answered HTTP ${status}${said}`, { retryable: false, responseCode: status });
}

/** Checks `options.url`, then POSTs to the checked address. Resolves with any HTTP status. */
export async function postToCheckedUrl(options: PinnedPostOptions): Promise<PinnedPostResponse> {
  const check = await checkOutgoingUrl(options.url, options.urlPolicy, options.resolver);
  if (!check.ok) {
    // A name that did not resolve may resolve later; every other refusal is configuration.
    throw new PinnedPostError('DW_DELIVERY_URL_REFUSED', `${options.what} URL refused (${check.code}): ${check.reason}`, {
      retryable: check.code === 'resolution_failed',
    }, false);
  }
  const url = new URL(check.url);
  const target = `${url.origin}${url.pathname} (${check.address})`;
  const tls = url.protocol === 'https:';
  const { ca, body, timeoutMs } = options;
  const requestOptions: https.RequestOptions = {
    method: 'POST',
    // Node sets headers case-insensitively in key order: the caller's User-Agent wins, our Content-Length always does.
    headers: { 'User-Agent': options.userAgent, ...options.headers, 'Content-Length': String(Buffer.byteLength(body)) },
    lookup: pinnedLookup(check.address, check.family),
    // A fresh connection per attempt: a pooled socket could lead to an address checked for another URL.
    agent: false,
    ...(tls && ca !== undefined ? { ca: typeof ca === 'string' ? ca : [...ca] } : {}),
  };

  return new Promise<PinnedPostResponse>((resolve, reject) => {
    let settled = false;
    let requestSent = false;
    let status: number | null = null;
    let responseHeaders: http.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let kept = 0;

    const answer = (): void => {
      resolve({ status: status ?? 0, headers: responseHeaders, snippet: shortText(Buffer.concat(chunks).toString('utf8')), target });
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
        else reject(new PinnedPostError('DW_DELIVERY_TIMEOUT', `${target}: no answer within ${timeoutMs} ms`, { retryable: true }, requestSent));
      });
      request.destroy();
    }, timeoutMs);

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
    // 'finish' comes once the last byte was handed to the connection; before it the receiver cannot hold the whole request.
    request.on('finish', () => { requestSent = true; });
    request.on('error', (error) => finish(() => (status !== null ? answer() : reject(networkError(error, target, requestSent)))));
    request.end(body);
  });
}

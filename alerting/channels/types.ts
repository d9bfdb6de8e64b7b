/**
 * The one interface every notification channel (Slack, email, webhook) implements, and
 * the error a send throws.
 *
 * A sender resolves only when the target accepted the message and throws a
 * `DeliveryError` otherwise; `retryable` says whether another attempt is safe, i.e. cannot
 * make the target show the message twice. Retrying, backoff and auto-disabling live in
 * retry-policy.ts and deliver.ts, never in a sender.
 */
import type { AlertNotification } from '../notification.js';

/** 'retraining': a retraining trigger driven through the same delivery loop (retraining-sender.ts). */
export type ChannelKind = 'slack' | 'email' | 'webhook' | 'retraining';

export interface DeliveryAttempt {
  /** 1 for the first try of a delivery, 2 for the first retry, and so on. */
  number: number;
  /** When this attempt started (epoch ms). The webhook signs with it, so every retry is signed afresh. */
  startedAt: number;
}

export interface DeliverySuccess {
  /** HTTP status, or the SMTP reply code to the end of DATA; null when the protocol has none. */
  responseCode: number | null;
  /** One line for the delivery log: where it went and what the target answered. */
  detail: string;
}

export interface Channel {
  readonly kind: ChannelKind;
  /** The configured channel's id (unique across channels). */
  readonly id: string;
  /** Resolves when the target accepted the message; throws `DeliveryError` otherwise. */
  send(notification: AlertNotification, attempt: DeliveryAttempt): Promise<DeliverySuccess>;
}

/** Stable codes of failed deliveries, one registry, with what each means for the operator. */
export const DELIVERY_ERRORS = {
  DW_DELIVERY_CONNECTION_REFUSED: 'nothing accepted the connection at the target address; nothing was sent',
  DW_DELIVERY_UNREACHABLE: 'the target could not be resolved or reached; nothing was sent',
  DW_DELIVERY_TIMEOUT: 'the send did not finish within its timeout',
  DW_DELIVERY_CONNECTION_LOST: 'the connection failed before the message could have been accepted',
  DW_DELIVERY_OUTCOME_UNKNOWN: 'the connection failed after the whole message was sent; the target may have accepted it, so it is not sent again',
  DW_DELIVERY_RATE_LIMITED: 'the target asked to slow down (HTTP 429)',
  DW_DELIVERY_HTTP_STATUS: 'the target answered with an HTTP error status',
  DW_DELIVERY_REJECTED: 'the target refused the message (Slack API error, SMTP reply)',
  DW_DELIVERY_AUTH: 'the target refused the configured credentials',
  DW_DELIVERY_TLS: 'the TLS connection could not be set up or verified',
  DW_DELIVERY_URL_REFUSED: 'the target URL is not allowed by the outgoing URL policy',
  DW_DELIVERY_ABORTED: 'the delivery was stopped (shutdown) before it finished',
  DW_DELIVERY_INTERNAL: 'the sender failed in an unexpected way (a bug); see the message',
} as const;

export type DeliveryErrorCode = keyof typeof DELIVERY_ERRORS;

export interface DeliveryErrorOptions {
  retryable: boolean;
  responseCode?: number | null;
  /** What the target asked us to wait (HTTP Retry-After), in ms. */
  retryAfterMs?: number | null;
  cause?: unknown;
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly retryable: boolean;
  readonly responseCode: number | null;
  readonly retryAfterMs: number | null;

  constructor(readonly code: DeliveryErrorCode, message: string, options: DeliveryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.responseCode = options.responseCode ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

export function isDeliveryError(error: unknown): error is DeliveryError {
  return error instanceof DeliveryError;
}

// ---------------------------------------------------------------------------------------
// Helpers the senders share.

/** Every string `code` on an error and the errors it wraps (`original` for Slack's, `cause`), outermost first. */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, original, cause } = current as { code?: unknown; original?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    current = original ?? cause;
  }
  return codes;
}

/** Node's system error code ("ECONNREFUSED", axios' "ECONNABORTED"), looking through wrappers. */
export function systemErrorCode(error: unknown): string | null {
  return errorCodes(error).find((code) => /^E[A-Z_]+$/.test(code)) ?? null;
}

/** Certificate and handshake failures: a configuration problem, not a passing one. */
export function isTlsFailure(error: unknown): boolean {
  return errorCodes(error).some((code) => /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code));
}

/** Errors Node raises before a single byte reached the target: safe to retry anywhere. */
export const NOT_CONNECTED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
]);

/**
 * HTTP Retry-After (delta seconds or an HTTP date) in ms, or null when absent or unreadable.
 * Negative and past values count as 0.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, nowMs: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return null;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
  // Only an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse would also take "-5" as a year.
  if (!/^[A-Za-z]{3}, /.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** A target's reply as one short line for error messages and the delivery log. */
export function shortText(text: string, max = 200): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function checkTimeout(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds (got ${value})`);
  return value;
}

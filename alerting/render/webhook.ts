/**
 * The outgoing webhook: a versioned snake_case JSON body and its signature headers.
 *
 * For receivers: every delivery carries
 *
 *   Content-Type: application/json
 *   X-Driftwatch-Idempotency-Key: <key>        the same for every retry of one delivery
 *   X-Driftwatch-Signature: t=<unix seconds>,v1=<hex>
 *
 * where hex = HMAC-SHA256(secret, "<t>.<raw body bytes>"). To verify, recompute the HMAC
 * over the raw body exactly as received (before any JSON parsing), compare in constant
 * time, and reject timestamps more than 5 minutes from your clock so a captured request
 * cannot be replayed later; `verifyWebhookSignature` does all three. During a secret
 * rotation the header carries one v1 per secret; any match is enough. Deduplicate on the
 * idempotency key: a retry after a timeout may deliver the same body twice.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertNotification, ComparisonOperator, NotificationKind, Severity } from '../notification.js';

export const WEBHOOK_PAYLOAD_VERSION = 1;
export const SIGNATURE_HEADER = 'X-Driftwatch-Signature';
export const IDEMPOTENCY_HEADER = 'X-Driftwatch-Idempotency-Key';
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Version 1 of the body. Fields are only ever added; a breaking change gets version 2. */
export interface WebhookPayloadV1 {
  version: 1;
  kind: NotificationKind;
  idempotency_key: string;
  rule: { id: string; name: string };
  severity: Severity;
  model: { id: string; version: string | null };
  monitor_id: string;
  segment: { name: string; value: string } | null;
  /** ISO 8601 UTC. */
  window: { start: string; end: string };
  reference: { kind: string; description: string };
  items: Array<{
    column: string | null;
    metric: string;
    value: number | null;
    operator: ComparisonOperator;
    threshold: number;
    details: Record<string, number | string | null>;
  }>;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string | null };
  link: string;
  firing_since: string | null;
  created_at: string;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** NaN and ±Infinity are not JSON; JSON.stringify would quietly write null anyway, so say so. */
function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

export function webhookPayload(n: AlertNotification): WebhookPayloadV1 {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    kind: n.kind,
    idempotency_key: n.idempotencyKey,
    rule: { id: n.ruleId, name: n.ruleName },
    severity: n.severity,
    model: { id: n.modelId, version: n.modelVersion },
    monitor_id: n.monitorId,
    segment: n.segment === null ? null : { name: n.segment.name, value: n.segment.value },
    window: { start: iso(n.window.start), end: iso(n.window.end) },
    reference: { kind: n.reference.kind, description: n.reference.description },
    items: n.items.map((item) => ({
      column: item.column,
      metric: item.metric,
      value: finiteOrNull(item.value),
      operator: item.operator,
      threshold: item.threshold,
      details: Object.fromEntries(
        Object.entries(item.details).map(([key, value]) => [key, typeof value === 'number' ? finiteOrNull(value) : value]),
      ),
    })),
    labels: { ...n.labels },
    annotations: { summary: n.annotations.summary, description: n.annotations.description, runbook_url: n.annotations.runbookUrl },
    link: n.link,
    firing_since: n.firingSince === null ? null : iso(n.firingSince),
    created_at: iso(n.createdAt),
  };
}

/** The exact bytes to send (and sign). */
export function webhookBody(n: AlertNotification): string {
  return JSON.stringify(webhookPayload(n));
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new RangeError('webhook secret must be a non-empty string');
}

function checkTimestamp(timestampSeconds: number): void {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`webhook timestamp must be whole non-negative seconds, got ${timestampSeconds}`);
  }
}

/** Hex HMAC-SHA256 of `${timestampSeconds}.${body}` under `secret` (UTF-8). */
export function signWebhook(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  checkSecret(secret);
  checkTimestamp(timestampSeconds);
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** `t=<ts>,v1=<hex>[,v1=<hex>…]`: one v1 per secret, so receivers can rotate secrets without a gap. */
export function webhookSignatureHeader(secrets: string | readonly string[], timestampSeconds: number, body: string | Uint8Array): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new RangeError('at least one webhook secret is needed to sign');
  return [`t=${timestampSeconds}`, ...list.map((secret) => `v1=${signWebhook(secret, timestampSeconds, body)}`)].join(',');
}

export interface WebhookHeadersInput {
  secret: string | readonly string[];
  timestampSeconds: number;
  body: string;
  idempotencyKey: string;
}

/** The header set of one delivery attempt. Re-sign on every retry: the timestamp is the attempt's. */
export function webhookHeaders(input: WebhookHeadersInput): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    [SIGNATURE_HEADER]: webhookSignatureHeader(input.secret, input.timestampSeconds, input.body),
    [IDEMPOTENCY_HEADER]: input.idempotencyKey,
  };
}

/** Body and headers of one attempt, for the sender. */
export function webhookRequest(
  n: AlertNotification,
  options: { secret: string | readonly string[]; nowSeconds: number },
): { body: string; headers: Record<string, string> } {
  const body = webhookBody(n);
  return {
    body,
    headers: webhookHeaders({ secret: options.secret, timestampSeconds: options.nowSeconds, body, idempotencyKey: n.idempotencyKey }),
  };
}

export type WebhookVerification =
  | { ok: true; timestampSeconds: number }
  | { ok: false; reason: 'malformed_header' | 'timestamp_out_of_tolerance' | 'signature_mismatch' };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !/^\d{1,15}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      // Case-insensitive hex; anything else under v1 cannot match and marks the header as broken.
      if (!HEX_SHA256.test(value.toLowerCase())) return null;
      signatures.push(value.toLowerCase());
    }
    // Other keys (a future v2) are ignored so old receivers keep working.
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/**
 * Checks an `X-Driftwatch-Signature` header against the raw body: well-formed, timestamp
 * within `toleranceSeconds` of `nowSeconds` (either side, for clock skew), and one v1 equal
 * to the HMAC under `secret`, compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): WebhookVerification {
  checkSecret(secret);
  if (typeof header !== 'string') return { ok: false, reason: 'malformed_header' };
  const parsed = parseSignatureHeader(header);
  if (parsed === null) return { ok: false, reason: 'malformed_header' };
  if (!(Math.abs(nowSeconds - parsed.timestamp) <= toleranceSeconds)) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const expected = Buffer.from(signWebhook(secret, parsed.timestamp, body), 'hex');
  let matched = false;
  for (const signature of parsed.signatures) {
    // Every candidate is compared (no early exit), each in constant time; lengths are equal by the regex.
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) matched = true;
  }
  return matched ? { ok: true, timestampSeconds: parsed.timestamp } : { ok: false, reason: 'signature_mismatch' };
}

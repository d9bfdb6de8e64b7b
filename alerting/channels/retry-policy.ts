/**
 * When to try a failed delivery again, and when a target that keeps failing is disabled.
 * Pure: the senders decide whether a failure is retryable (whether another attempt could
 * show the message twice); this decides how long to wait and when to give up.
 */

export interface RetryPolicy {
  /** Wait after the first failed attempt; each further failure doubles it. */
  initialMs: number;
  /** Cap on the backoff. */
  maxMs: number;
  /** Attempts in all, the first included (1: never retry). */
  maxAttempts: number;
  /**
   * The longest Retry-After the delivery waits for; a target asking for longer makes it
   * give up now rather than hold the delivery that long. Default 5 minutes.
   */
  maxRetryAfterMs?: number;
}

/** What the policy needs from a failure (a `DeliveryError` has both). */
export interface RetryableFailure {
  retryable: boolean;
  /** The target's Retry-After in ms, when it sent one. */
  retryAfterMs?: number | null;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { initialMs: 1_000, maxMs: 60_000, maxAttempts: 5 };
export const DEFAULT_MAX_RETRY_AFTER_MS = 5 * 60_000;
/** Consecutive failed deliveries after which a channel is disabled (Langfuse uses 5 too). */
export const DEFAULT_AUTO_DISABLE_THRESHOLD = 5;

function nonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0 (got ${value})`);
}

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  nonNegative('initialMs', policy.initialMs);
  nonNegative('maxMs', policy.maxMs);
  if (policy.maxMs < policy.initialMs) throw new RangeError(`maxMs (${policy.maxMs}) must not be below initialMs (${policy.initialMs})`);
  if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number >= 1 (got ${policy.maxAttempts})`);
  }
  if (policy.maxRetryAfterMs !== undefined) nonNegative('maxRetryAfterMs', policy.maxRetryAfterMs);
  return policy;
}

/**
 * The wait (ms) before the next attempt after attempt number `attempt` (1-based) failed
 * with `failure`, or null to give up: the failure is not retryable, the attempts are used
 * up, or the target asks to wait longer than `maxRetryAfterMs`.
 *
 * Without Retry-After the wait is `initialMs * 2^(attempt-1)`, capped at `maxMs`. With
 * Retry-After the target's wait is used as given (the target knows its limits; it is not
 * capped by `maxMs`, since retrying earlier would only be refused again).
 */
export function nextAttemptDelay(attempt: number, failure: RetryableFailure, policy: RetryPolicy): number | null {
  checkRetryPolicy(policy);
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a whole number >= 1 (got ${attempt})`);
  if (!failure.retryable || attempt >= policy.maxAttempts) return null;

  const retryAfter = failure.retryAfterMs;
  if (retryAfter !== undefined && retryAfter !== null && Number.isFinite(retryAfter)) {
    const wait = Math.max(0, Math.ceil(retryAfter));
    return wait > (policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS) ? null : wait;
  }
  // 2 ** 1100 is Infinity, and Math.min then gives maxMs: no overflow to guard against.
  return Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
}

/**
 * Whether a channel is to be disabled after `consecutiveFailures` failed deliveries in a
 * row (each delivery counted once, after its retries). The caller resets the count on a
 * success, disables the channel, and shows it as disabled with its last error.
 */
export function autoDisable(consecutiveFailures: number, threshold: number = DEFAULT_AUTO_DISABLE_THRESHOLD): boolean {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new RangeError(`threshold must be a whole number >= 1 (got ${threshold})`);
  if (!Number.isSafeInteger(consecutiveFailures) || consecutiveFailures < 0) {
    throw new RangeError(`consecutiveFailures must be a whole number >= 0 (got ${consecutiveFailures})`);
  }
  return consecutiveFailures >= threshold;
}

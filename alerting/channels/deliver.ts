/**
 * One delivery of one notification to one channel: attempts until the channel accepts it
 * or the retry policy gives up, reporting every attempt through `onAttempt` (the caller
 * writes them to the delivery log). Sleeping and the clock are injectable for tests.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { AlertNotification } from '../notification.js';
import { checkRetryPolicy, nextAttemptDelay, type RetryPolicy } from './retry-policy.js';
import { DeliveryError, errorMessage, type Channel, type ChannelKind, type DeliveryErrorCode } from './types.js';

export type AttemptStatus = 'delivered' | 'retrying' | 'failed';

export interface DeliveryAttemptRecord {
  channelId: string;
  channelKind: ChannelKind;
  idempotencyKey: string;
  /** 1-based. */
  attempt: number;
  /** `retrying`: this attempt failed and another follows after `nextDelayMs`; `failed`: the delivery gave up. */
  status: AttemptStatus;
  responseCode: number | null;
  /** The channel's success detail; null for a failed attempt. */
  detail: string | null;
  errorCode: DeliveryErrorCode | null;
  error: string | null;
  retryable: boolean | null;
  startedAt: number;
  durationMs: number;
  nextDelayMs: number | null;
}

export type DeliveryOutcome =
  | { status: 'delivered'; attempts: number; responseCode: number | null; detail: string; hookErrors: unknown[] }
  | { status: 'failed'; attempts: number; error: DeliveryError; hookErrors: unknown[] };

export interface DeliveryHooks {
  /** Called after every attempt, awaited. A throwing hook never turns a sent message into a failure or a retry; its errors come back in `hookErrors`. */
  onAttempt?(record: DeliveryAttemptRecord): void | Promise<void>;
}

export interface DeliverOptions {
  /** Default: a real timer; rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Stops waiting between attempts (shutdown). An attempt in flight ends by its own timeout. */
  signal?: AbortSignal;
}

function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  // A sender that throws anything else has a bug; sending again would only repeat it.
  return new DeliveryError('DW_DELIVERY_INTERNAL', errorMessage(error), { retryable: false, cause: error });
}

function abortedError(attempts: number, reason: unknown): DeliveryError {
  return new DeliveryError(
    'DW_DELIVERY_ABORTED',
    `stopped after ${attempts} attempt(s): ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`,
    // Nothing was accepted, so a later run (after restart) may deliver it.
    { retryable: true },
  );
}

export async function deliverWithRetries(
  channel: Channel,
  notification: AlertNotification,
  policy: RetryPolicy,
  hooks: DeliveryHooks = {},
  options: DeliverOptions = {},
): Promise<DeliveryOutcome> {
  checkRetryPolicy(policy);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, signal === undefined ? undefined : { signal }));
  const hookErrors: unknown[] = [];

  const record = async (entry: Omit<DeliveryAttemptRecord, 'channelId' | 'channelKind' | 'idempotencyKey'>): Promise<void> => {
    if (hooks.onAttempt === undefined) return;
    try {
      await hooks.onAttempt({ channelId: channel.id, channelKind: channel.kind, idempotencyKey: notification.idempotencyKey, ...entry });
    } catch (error) {
      hookErrors.push(error);
    }
  };

  for (let attempt = 1; ; attempt += 1) {
    if (options.signal?.aborted) {
      return { status: 'failed', attempts: attempt - 1, error: abortedError(attempt - 1, options.signal.reason), hookErrors };
    }
    const startedAt = now();
    try {
      const success = await channel.send(notification, { number: attempt, startedAt });
      await record({
        attempt, status: 'delivered', responseCode: success.responseCode, detail: success.detail,
        errorCode: null, error: null, retryable: null, startedAt, durationMs: Math.max(0, now() - startedAt), nextDelayMs: null,
      });
      return { status: 'delivered', attempts: attempt, responseCode: success.responseCode, detail: success.detail, hookErrors };
    } catch (thrown) {
      const error = asDeliveryError(thrown);
      const delay = nextAttemptDelay(attempt, error, policy);
      await record({
        attempt, status: delay === null ? 'failed' : 'retrying', responseCode: error.responseCode, detail: null,
        errorCode: error.code, error: error.message, retryable: error.retryable, startedAt,
        durationMs: Math.max(0, now() - startedAt), nextDelayMs: delay,
      });
      if (delay === null) return { status: 'failed', attempts: attempt, error, hookErrors };
      try {
        await sleep(delay, options.signal);
      } catch (sleepError) {
        if (options.signal?.aborted) {
          return { status: 'failed', attempts: attempt, error: abortedError(attempt, options.signal.reason), hookErrors };
        }
        throw sleepError;
      }
    }
  }
}

/**
 * The pure rules of retraining trigger runs: the run id of an alert, what a new firing
 * alert does (start, wait for approval, or hold back for the cooldown), and which status
 * reports a pipeline may send back.
 */
import { createHash } from 'node:crypto';

export const RETRAINING_STATUSES = [
  'pending_approval', 'rejected', 'suppressed', 'sending', 'triggered', 'send_failed', 'started', 'succeeded', 'failed',
] as const;
export type RetrainingStatus = (typeof RETRAINING_STATUSES)[number];

/** Statuses that stand for a pipeline run started or about to start: they hold the cooldown. */
export const COOLDOWN_STATUSES: ReadonlySet<RetrainingStatus> = new Set(['pending_approval', 'sending', 'triggered', 'started', 'succeeded', 'failed']);

/** One alert notification and one target give one run id, so a redelivered alert finds its run. */
export function retrainingRunId(alertKey: string, targetId: string): string {
  return createHash('sha256').update(`driftwatch-retraining/1:${targetId}:${alertKey}`).digest('hex').slice(0, 32);
}

export interface RecentRun {
  runId: string;
  status: RetrainingStatus;
  createdMs: number;
}

export type RetrainingDecision =
  | { action: 'send' }
  | { action: 'await_approval' }
  | { action: 'suppress'; reason: string; blockingRunId: string };

/**
 * What a new firing alert does for a target. `recent` are the target's runs for the same
 * model (any age; only those inside the cooldown and holding it count).
 */
export function decideRetraining(input: { nowMs: number; cooldownMs: number; requireApproval: boolean; recent: readonly RecentRun[] }): RetrainingDecision {
  const since = input.nowMs - input.cooldownMs;
  const blocking = input.recent
    .filter((run) => COOLDOWN_STATUSES.has(run.status) && run.createdMs > since && run.createdMs <= input.nowMs)
    .sort((a, b) => b.createdMs - a.createdMs)[0];
  if (blocking !== undefined) {
    const until = new Date(blocking.createdMs + input.cooldownMs).toISOString();
    return { action: 'suppress', blockingRunId: blocking.runId, reason: `cooldown: run ${blocking.runId} (${blocking.status}) started less than the cooldown ago; the next run may start after ${until}` };
  }
  return input.requireApproval ? { action: 'await_approval' } : { action: 'send' };
}

export const CALLBACK_STATUSES = ['started', 'succeeded', 'failed'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

export type CallbackOutcome =
  | { accept: true; next: RetrainingStatus; changed: boolean }
  | { accept: false; problem: string };

/**
 * A pipeline's status report against the run's status. The request may still be recorded
 * as `sending` when a fast pipeline calls back, so reports are accepted from then on. A
 * repeated report is accepted without change; a run that finished does not change again.
 */
export function applyCallback(current: RetrainingStatus, reported: CallbackStatus): CallbackOutcome {
  if (current === reported) return { accept: true, next: current, changed: false };
  switch (current) {
    case 'sending':
    case 'triggered':
    case 'send_failed':
      return { accept: true, next: reported, changed: true };
    case 'started':
      return { accept: true, next: reported, changed: true };
    case 'succeeded':
    case 'failed':
      return { accept: false, problem: `the run already finished as ${current}` };
    default:
      return { accept: false, problem: `the run was never started (it is ${current})` };
  }
}

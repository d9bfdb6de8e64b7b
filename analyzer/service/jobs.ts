/**
 * Analysis jobs as they travel over the jobs topic. Every instance's scheduler may enqueue
 * the same window; jobs are keyed by monitor, so all jobs of a monitor land on one
 * partition and are run one after another by the one consumer that owns it. A job is
 * skipped when a run that satisfies it already succeeded, so a window enqueued twice is
 * analysed once, and a job redelivered after a crash (its offset was never committed) runs
 * again until it completes.
 */
export type JobReason = 'schedule' | 'manual' | 'backfill' | 'late_labels';

const REASONS: readonly JobReason[] = ['schedule', 'manual', 'backfill', 'late_labels'];

export interface AnalysisJob {
  jobId: string;
  monitorId: string;
  /** Epoch ms, [windowStart, windowEnd). */
  windowStart: number;
  windowEnd: number;
  reason: JobReason;
  /** When the job was asked for (epoch ms). */
  requestedMs: number;
}

export class JobFormatError extends Error {
  override readonly name = 'JobFormatError';
}

export function encodeJob(job: AnalysisJob): { key: string; value: string } {
  return {
    key: job.monitorId,
    value: JSON.stringify({
      job_id: job.jobId,
      monitor_id: job.monitorId,
      window_start: job.windowStart,
      window_end: job.windowEnd,
      reason: job.reason,
      requested_ms: job.requestedMs,
    }),
  };
}

export function decodeJob(bytes: Buffer | string | null): AnalysisJob {
  if (bytes === null) throw new JobFormatError('job message has no value');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch {
    throw new JobFormatError('job message is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JobFormatError('job message must be a JSON object');
  const record = value as Record<string, unknown>;
  const text = (name: string): string => {
    const field = record[name];
    if (typeof field !== 'string' || field === '') throw new JobFormatError(`job field ${name} must be a non-empty string`);
    return field;
  };
  const time = (name: string): number => {
    const field = record[name];
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 0) throw new JobFormatError(`job field ${name} must be epoch milliseconds`);
    return field;
  };
  const reason = text('reason');
  if (!(REASONS as readonly string[]).includes(reason)) throw new JobFormatError(`job reason must be one of ${REASONS.join(', ')}`);
  const job: AnalysisJob = {
    jobId: text('job_id'),
    monitorId: text('monitor_id'),
    windowStart: time('window_start'),
    windowEnd: time('window_end'),
    reason: reason as JobReason,
    requestedMs: time('requested_ms'),
  };
  if (!(job.windowEnd > job.windowStart)) throw new JobFormatError('job window must end after it starts');
  return job;
}

/**
 * Succeeded runs that started at or after this time satisfy the job. A scheduled window
 * needs one success ever; an explicit request (run now, backfill, late labels) needs a run
 * that started after it was asked for, because it asks to recompute.
 */
export function satisfiedSince(job: AnalysisJob): number {
  return job.reason === 'schedule' ? 0 : job.requestedMs;
}

export function jobId(monitorId: string, windowStart: number, reason: JobReason, requestedMs: number): string {
  return `${monitorId}@${new Date(windowStart).toISOString()}#${reason}:${requestedMs}`;
}

/**
 * Retraining trigger runs: a firing alert whose rule names a retraining target becomes a
 * run that is sent to the pipeline, waits for approval, or is held back by the target's
 * per-model cooldown; the pipeline reports back through the callback endpoint with the
 * run's own token.
 *
 * Runs of one model are decided one at a time in this process (the notifications topic
 * is keyed by model, so one dispatcher sees a model's alerts in order); approvals of one
 * run are serialised the same way, so a double click sends once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { deliverWithRetries } from '../channels/deliver.js';
import { RetrainingSender, retrainingChannel } from '../channels/retraining-sender.js';
import type { RetryPolicy } from '../channels/retry-policy.js';
import type { AlertNotification } from '../notification.js';
import { retrainingRequest } from '../render/retraining.js';
import { getDefinition } from '../store/definition-store.js';
import { getRetrainingRun, listRetrainingRuns, writeRetrainingRun, type RetrainingRun, type RetrainingRunRecord } from '../store/retraining-run-store.js';
import type { Logger } from '../../observability/logger.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { cooldownMs, parseRetrainingTarget, type RetrainingTargetDefinition } from './definitions.js';
import { applyCallback, decideRetraining, retrainingRunId, type CallbackStatus } from './retraining-policy.js';

export interface RetrainingServiceDeps {
  client: ClickHouseClient;
  sender: RetrainingSender;
  retryPolicy: RetryPolicy;
  /** Base URL the pipeline calls back (config http.publicUrl). */
  publicUrl: string;
  log: Logger;
  now?: () => number;
}

export class RetrainingError extends Error {
  override readonly name = 'RetrainingError';
  constructor(readonly code: 'not_found' | 'conflict' | 'unauthorized' | 'invalid', message: string) {
    super(message);
  }
}

export interface CallbackReport {
  status: CallbackStatus;
  url?: string | null;
  message?: string | null;
  model_version?: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Runs tasks with the same key one after another. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return result;
  }
}

export function callbackUrl(publicUrl: string, runId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/triggers/${runId}/callback`;
}

export class RetrainingService {
  private readonly queue = new KeyedQueue();
  private readonly now: () => number;

  constructor(private readonly deps: RetrainingServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async getTarget(targetId: string): Promise<RetrainingTargetDefinition | null> {
    const stored = await getDefinition(this.deps.client, 'retraining_target', targetId);
    return stored === null ? null : parseRetrainingTarget(stored.definition);
  }

  /** A firing alert for a rule with `retrain`: creates its run once, whatever the redeliveries. */
  onFiring(notification: AlertNotification, targetId: string): Promise<RetrainingRun> {
    return this.queue.run(`model:${notification.modelId}`, async () => {
      const { client } = this.deps;
      const runId = retrainingRunId(notification.idempotencyKey, targetId);
      const existing = await getRetrainingRun(client, runId);
      if (existing !== null) return existing;
      const now = this.now();
      const base = {
        runId, targetId, modelId: notification.modelId, ruleId: notification.ruleId, alertKey: notification.idempotencyKey, tokenSha256: '', createdMs: now,
      };
      const record: RetrainingRunRecord = { notification, reason: '', decision: null, request: null, callbacks: [], pipelineUrl: null };
      const target = await this.getTarget(targetId);
      if (target === null) {
        this.deps.log.error('rule names a retraining target that does not exist', { rule_id: notification.ruleId, target_id: targetId });
        return writeRetrainingRun(client, { ...base, status: 'send_failed', record: { ...record, reason: `retraining target "${targetId}" does not exist` } }, now);
      }
      const recent = await listRetrainingRuns(client, { modelId: notification.modelId, targetId, since: now - cooldownMs(target), limit: 100 });
      const decision = decideRetraining({ nowMs: now, cooldownMs: cooldownMs(target), requireApproval: target.require_approval, recent });
      if (decision.action === 'suppress') {
        this.deps.log.info('retraining held back by the cooldown', { model_id: notification.modelId, target_id: targetId, blocking_run: decision.blockingRunId });
        return writeRetrainingRun(client, { ...base, status: 'suppressed', record: { ...record, reason: decision.reason } }, now);
      }
      if (decision.action === 'await_approval') {
        return writeRetrainingRun(client, { ...base, status: 'pending_approval', record }, now);
      }
      return this.send({ ...base, status: 'sending', record, updatedMs: now }, target);
    });
  }

  approve(runId: string, by: string, comment = ''): Promise<RetrainingRun> {
    return this.decide(runId, by, comment, true);
  }

  reject(runId: string, by: string, comment = ''): Promise<RetrainingRun> {
    return this.decide(runId, by, comment, false);
  }

  private decide(runId: string, by: string, comment: string, approved: boolean): Promise<RetrainingRun> {
    return this.queue.run(`run:${runId}`, async () => {
      const run = await this.requireRun(runId);
      if (run.status !== 'pending_approval') {
        throw new RetrainingError('conflict', `run ${runId} is ${run.status}; only a run pending approval can be ${approved ? 'approved' : 'rejected'}`);
      }
      const now = this.now();
      const record: RetrainingRunRecord = { ...run.record, decision: { by, at: now, approved, comment } };
      if (!approved) {
        return writeRetrainingRun(this.deps.client, { ...run, status: 'rejected', record: { ...record, reason: comment === '' ? `rejected by ${by}` : `rejected by ${by}: ${comment}` } }, now);
      }
      const target = await this.getTarget(run.targetId);
      if (target === null) {
        return writeRetrainingRun(this.deps.client, { ...run, status: 'send_failed', record: { ...record, reason: `retraining target "${run.targetId}" no longer exists` } }, now);
      }
      return this.send({ ...run, record }, target);
    });
  }

  /** Sends the run's request: records `sending` (with the token's hash) first, then the outcome. */
  private async send(run: RetrainingRun, target: RetrainingTargetDefinition): Promise<RetrainingRun> {
    const { client, log } = this.deps;
    const token = randomBytes(32).toString('base64url');
    const sending = await writeRetrainingRun(client, { ...run, status: 'sending', tokenSha256: sha256(token) }, this.now());
    const notification = run.record.notification;
    const startedAt = this.now();
    let request;
    try {
      request = retrainingRequest(target.target, {
        notification, triggerRunId: run.runId, callbackUrl: callbackUrl(this.deps.publicUrl, run.runId), callbackToken: token, nowSeconds: Math.floor(startedAt / 1000),
      });
    } catch (error) {
      return writeRetrainingRun(client, { ...sending, status: 'send_failed', record: { ...sending.record, reason: `the request could not be built: ${(error as Error).message}` } }, this.now());
    }
    const outcome = await deliverWithRetries(retrainingChannel(target.id, this.deps.sender, request), notification, this.deps.retryPolicy);
    // A fast pipeline may have reported back while the request was in flight.
    const latest = (await getRetrainingRun(client, run.runId)) ?? sending;
    const requestRecord = outcome.status === 'delivered'
      ? { url: request.url, attempts: outcome.attempts, responseCode: outcome.responseCode, detail: outcome.detail, errorCode: '', error: '', at: startedAt }
      : { url: request.url, attempts: outcome.attempts, responseCode: outcome.error.responseCode, detail: '', errorCode: outcome.error.code, error: outcome.error.message, at: startedAt };
    const status = latest.status !== 'sending' ? latest.status : outcome.status === 'delivered' ? 'triggered' : 'send_failed';
    const reason = outcome.status === 'failed' && latest.status === 'sending' ? `the pipeline request failed: ${outcome.error.message}` : latest.record.reason;
    if (outcome.status === 'failed') log.warn('retraining request failed', { run_id: run.runId, target_id: target.id, error: outcome.error.message });
    else log.info('retraining triggered', { run_id: run.runId, target_id: target.id, model_id: run.modelId });
    return writeRetrainingRun(client, { ...latest, status, record: { ...latest.record, request: requestRecord, reason } }, this.now());
  }

  /** A pipeline's status report, authenticated by the run's token. */
  callback(runId: string, token: string, report: CallbackReport): Promise<RetrainingRun> {
    return this.queue.run(`run:${runId}`, async () => {
      const run = await getRetrainingRun(this.deps.client, runId);
      // The same answer for an unknown run and a wrong token: ids are not to be probed.
      if (run === null || !sameHash(run.tokenSha256, sha256(token))) throw new RetrainingError('unauthorized', 'unknown run or wrong token');
      const outcome = applyCallback(run.status, report.status);
      if (!outcome.accept) throw new RetrainingError('conflict', `cannot report ${report.status}: ${outcome.problem}`);
      const now = this.now();
      const callbacks = [...run.record.callbacks, { status: report.status, at: now, url: report.url ?? null, message: report.message ?? null, modelVersion: report.model_version ?? null }];
      return writeRetrainingRun(this.deps.client, {
        ...run, status: outcome.next, record: { ...run.record, callbacks, pipelineUrl: report.url ?? run.record.pipelineUrl },
      }, now);
    });
  }

  private async requireRun(runId: string): Promise<RetrainingRun> {
    const run = await getRetrainingRun(this.deps.client, runId);
    if (run === null) throw new RetrainingError('not_found', `no retraining run "${runId}"`);
    return run;
  }
}

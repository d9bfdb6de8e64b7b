/**
 * The alerting role: a consumer group on the notifications topic that delivers every
 * unmuted alert event to the channels its subscriptions route it to, and starts the
 * retraining run of a firing alert whose rule asks for one.
 *
 * Exactly once per (notification, channel), across redeliveries and restarts: a channel
 * whose delivery log already has a finished delivery (delivered or failed) is not sent
 * again, and a message is committed only after all its deliveries finished. The one gap
 * is a crash between a receiver accepting a message and its log row being written; the
 * retry then carries the same idempotency key (webhooks, retraining webhooks) or
 * Message-ID (email) so receivers can drop it — Slack has no such key.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { deliverWithRetries, type DeliveryOutcome } from '../channels/deliver.js';
import { autoDisable, type RetryPolicy } from '../channels/retry-policy.js';
import type { Channel } from '../channels/types.js';
import type { AlertNotification } from '../notification.js';
import { getChannelHealth, listChannelHealth, writeChannelHealth } from '../store/channel-health.js';
import { listDefinitions } from '../store/definition-store.js';
import { deliveryProgress, entryFromAttempt, logDeliveries } from '../store/delivery-log.js';
import type { KafkaAdapter, RunningConsumer } from '../../messaging/kafka.js';
import type { Logger } from '../../observability/logger.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import { parseChannel, parseSubscription, type ChannelDefinition, type SubscriptionDefinition } from './definitions.js';
import { decodeNotificationMessage, NotificationMessageError, type NotificationMessage } from './notification-message.js';
import type { RetrainingService } from './retraining-service.js';
import { routeNotification, type Route } from './routing.js';

export interface DispatcherSettings {
  topic: string;
  groupId: string;
  instance: string;
  retryPolicy: RetryPolicy;
  /** Consecutive failed deliveries after which a channel is disabled. */
  autoDisableAfter: number;
  /** First delay before retrying a message whose dispatch failed (storage down), doubling to 30 s. */
  retryInitialMs?: number;
}

export interface DispatcherMetricsSink {
  delivered(channelKind: string, status: 'delivered' | 'failed' | 'skipped', latencyMs: number | null): void;
}

export interface DispatcherDeps {
  client: ClickHouseClient;
  settings: DispatcherSettings;
  buildChannel(definition: ChannelDefinition): Channel;
  retraining: RetrainingService;
  log: Logger;
  metrics?: DispatcherMetricsSink;
  now?: () => number;
}

export interface ChannelDispatch {
  channelId: string;
  status: 'delivered' | 'failed' | 'skipped' | 'already_finished';
  attempts: number;
}

export interface DispatchResult {
  channels: ChannelDispatch[];
  retrainingRunId: string | null;
}

function parsed<T>(entries: Array<{ id: string; definition: unknown }>, parse: (value: unknown) => T, log: Logger, what: string): T[] {
  return entries.flatMap((entry) => {
    try {
      return [parse(entry.definition)];
    } catch (error) {
      // One stored definition an older release wrote must not stop every other delivery.
      log.error(`stored ${what} no longer parses; skipped`, { id: entry.id, error: (error as Error).message });
      return [];
    }
  });
}

export class NotificationDispatcher {
  private consumer: RunningConsumer | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(kafka: KafkaAdapter): Promise<void> {
    const { settings, log } = this.deps;
    this.consumer = await kafka.startBatchConsumer({
      groupId: settings.groupId,
      topics: [settings.topic],
      maxBytesPerPartition: 256 * 1024,
      // Models are independent: a slow receiver of one model does not hold up the others.
      partitionsConsumedConcurrently: 3,
      sessionTimeoutMs: 10_000,
      onBatch: async (batch, control) => {
        for (const message of batch.messages) {
          if (!control.shouldContinue() || this.abort.signal.aborted) return;
          const nextOffset = (BigInt(message.offset) + 1n).toString();
          let decoded: NotificationMessage | null = null;
          try {
            decoded = decodeNotificationMessage(message.value);
          } catch (error) {
            if (!(error instanceof NotificationMessageError)) throw error;
            log.error('malformed notification message skipped', { partition: batch.partition, offset: message.offset, error: error.message });
          }
          if (decoded !== null) {
            const heartbeat = setInterval(() => void control.heartbeat().catch(() => undefined), 3000);
            try {
              const done = await this.dispatchUntilDone(decoded, () => control.shouldContinue());
              if (!done) return; // stopping: uncommitted, the next owner finishes it
            } finally {
              clearInterval(heartbeat);
            }
          }
          control.markFetched(nextOffset);
          await control.commit(nextOffset);
        }
      },
      onCrash: (error) => log.error('notification consumer crashed', { error: error.message }),
    });
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('shutting down'));
    await this.consumer?.stop();
  }

  /** Retries a dispatch that failed on storage until it succeeds or the consumer stops. */
  private async dispatchUntilDone(message: NotificationMessage, shouldContinue: () => boolean): Promise<boolean> {
    let delay = this.deps.settings.retryInitialMs ?? 1000;
    for (;;) {
      try {
        await this.dispatch(message);
        return !this.abort.signal.aborted;
      } catch (error) {
        this.deps.log.error('notification dispatch failed; retrying', { idempotency_key: message.notification.idempotencyKey, error: (error as Error).message, retry_in_ms: delay });
      }
      if (!shouldContinue() || this.abort.signal.aborted) return false;
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        return false;
      }
      delay = Math.min(delay * 2, 30_000);
    }
  }

  /** Delivers one notification to every routed channel (once each) and starts its retraining run. */
  async dispatch(message: NotificationMessage): Promise<DispatchResult> {
    const { client, log } = this.deps;
    const { notification } = message;
    const [channels, subscriptions, progress, health] = await Promise.all([
      listDefinitions(client, 'channel').then((entries) => parsed<ChannelDefinition>(entries, parseChannel, log, 'channel')),
      listDefinitions(client, 'subscription').then((entries) => parsed<SubscriptionDefinition>(entries, parseSubscription, log, 'subscription')),
      deliveryProgress(client, notification.idempotencyKey),
      listChannelHealth(client),
    ]);
    const routes = routeNotification(notification, subscriptions, channels);
    const results = await Promise.all(routes.map(async (route): Promise<ChannelDispatch> => {
      const done = progress.get(route.channel.id);
      if (done?.finished) return { channelId: route.channel.id, status: 'already_finished', attempts: done.attempts };
      const channelHealth = health.get(route.channel.id);
      if (channelHealth?.disabled) return this.skipDisabled(route, notification, channelHealth.reason);
      return this.deliver(route, notification, done?.attempts ?? 0);
    }));
    let retrainingRunId: string | null = null;
    if (message.retrain !== null && notification.kind === 'firing') {
      retrainingRunId = (await this.deps.retraining.onFiring(notification, message.retrain)).runId;
    }
    return { channels: results, retrainingRunId };
  }

  private async skipDisabled(route: Route, notification: AlertNotification, reason: string): Promise<ChannelDispatch> {
    await logDeliveries(this.deps.client, [{
      idempotencyKey: notification.idempotencyKey, channelId: route.channel.id, channelKind: route.channel.kind, subscriptionIds: route.subscriptionIds,
      modelId: notification.modelId, notificationKind: notification.kind, attempt: 0, status: 'skipped', responseCode: null, detail: '',
      errorCode: 'DW_CHANNEL_DISABLED', error: `channel disabled: ${reason}`, startedMs: this.now(), durationMs: 0, instance: this.deps.settings.instance,
    }]);
    this.deps.metrics?.delivered(route.channel.kind, 'skipped', null);
    return { channelId: route.channel.id, status: 'skipped', attempts: 0 };
  }

  private async deliver(route: Route, notification: AlertNotification, attemptsBefore: number): Promise<ChannelDispatch> {
    const { client, settings, log } = this.deps;
    const channel = this.deps.buildChannel(route.channel);
    const context = { subscriptionIds: route.subscriptionIds, modelId: notification.modelId, notificationKind: notification.kind, instance: settings.instance, attemptOffset: attemptsBefore };
    const outcome: DeliveryOutcome = await deliverWithRetries(channel, notification, settings.retryPolicy, {
      // A failed log write must not turn a sent message into a resend: deliverWithRetries
      // collects hook errors, and they are reported below.
      onAttempt: (record) => logDeliveries(client, [entryFromAttempt(record, context)]),
    }, { signal: this.abort.signal, now: this.now });
    for (const error of outcome.hookErrors) log.error('delivery log write failed', { channel_id: route.channel.id, error: (error as Error).message });

    if (outcome.status === 'failed' && outcome.error.code === 'DW_DELIVERY_ABORTED') {
      return { channelId: route.channel.id, status: 'failed', attempts: attemptsBefore + outcome.attempts };
    }
    const health = await getChannelHealth(client, route.channel.id);
    if (outcome.status === 'delivered') {
      this.deps.metrics?.delivered(route.channel.kind, 'delivered', this.now() - notification.window.end);
      if (health.consecutiveFailures > 0) await writeChannelHealth(client, { channelId: route.channel.id, consecutiveFailures: 0, disabled: false, reason: '' }, this.now());
      return { channelId: route.channel.id, status: 'delivered', attempts: attemptsBefore + outcome.attempts };
    }
    this.deps.metrics?.delivered(route.channel.kind, 'failed', null);
    const failures = health.consecutiveFailures + 1;
    const disabled = autoDisable(failures, settings.autoDisableAfter);
    const reason = disabled ? `${failures} consecutive failed deliveries, the last: ${outcome.error.code}: ${outcome.error.message}` : '';
    await writeChannelHealth(client, { channelId: route.channel.id, consecutiveFailures: failures, disabled, reason }, this.now());
    if (disabled && !health.disabled) log.warn('channel disabled after consecutive failed deliveries', { channel_id: route.channel.id, failures });
    return { channelId: route.channel.id, status: 'failed', attempts: attemptsBefore + outcome.attempts };
  }
}

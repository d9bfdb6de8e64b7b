/** The delivery services as the configuration describes them (shared by the alerting and api roles). */
import { RetrainingSender } from '../channels/retraining-sender.js';
import type { DriftwatchConfig } from '../../config/config.js';
import type { Logger } from '../../observability/logger.js';
import type { ClickHouseClient } from '../../storage/clickhouse.js';
import type { ChannelSettings } from './channel-factory.js';
import { RetrainingService } from './retraining-service.js';

export function channelSettings(config: DriftwatchConfig, log?: Logger): ChannelSettings {
  return {
    // The Slack client appends method names to this base: it must end in "/".
    slackApiUrl: `${config.alerting.slackApiUrl.replace(/\/+$/, '')}/`,
    urlPolicy: config.alerting.urlPolicy,
    timeoutMs: config.alerting.deliveryTimeoutMs,
    ...(log === undefined ? {} : { logger: log }),
  };
}

export function retrainingServiceFrom(config: DriftwatchConfig, client: ClickHouseClient, log: Logger): RetrainingService {
  return new RetrainingService({
    client,
    sender: new RetrainingSender({ urlPolicy: config.alerting.urlPolicy, timeoutMs: config.alerting.deliveryTimeoutMs }),
    retryPolicy: config.alerting.retryPolicy,
    publicUrl: config.http.publicUrl,
    log,
  });
}

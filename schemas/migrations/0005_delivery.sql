-- Delivery: notification channels, subscriptions and retraining targets (definitions with
-- their write-only secrets), channel health (auto-disable), the delivery log, and the
-- history of retraining trigger runs.

-- One row per version of a channel, subscription or retraining target; the newest (by
-- updated_ms) wins and deleted = 1 removes it.
CREATE TABLE IF NOT EXISTS alerting_definitions (
  kind Enum8('channel' = 1, 'subscription' = 2, 'retraining_target' = 3),
  id String,
  source Enum8('api' = 1, 'config' = 2),
  definition String,
  deleted UInt8,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY (kind, id);

-- The newest health record of each channel: consecutive failed deliveries and whether
-- that disabled it. A user re-enables a channel by writing a record with zero failures.
CREATE TABLE IF NOT EXISTS channel_health (
  channel_id String,
  consecutive_failures UInt32,
  disabled UInt8,
  reason String,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY channel_id;

-- Every attempt at delivering a notification (idempotency_key) to a channel, plus one
-- 'skipped' row when a disabled channel was not tried. A delivery is finished when it has
-- a 'delivered' or 'failed' row; nothing finished is sent again.
CREATE TABLE IF NOT EXISTS alert_deliveries (
  idempotency_key String,
  channel_id String,
  channel_kind String,
  subscription_ids String,
  model_id String,
  notification_kind String,
  attempt UInt32,
  status Enum8('delivered' = 1, 'retrying' = 2, 'failed' = 3, 'skipped' = 4),
  response_code Int32,
  detail String,
  error_code String,
  error String,
  started DateTime,
  started_ms UInt64,
  duration_ms UInt32,
  instance String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(started)
ORDER BY (channel_id, idempotency_key, started_ms, attempt);

-- One row per version of a retraining trigger run; the newest (by updated_ms) wins. The
-- run id follows from the alert and the target, so a redelivered alert finds its run.
-- `record` (JSON) holds the alert summary, decisions, attempts and callbacks; only the
-- SHA-256 of the run's callback token is kept.
CREATE TABLE IF NOT EXISTS retraining_runs (
  run_id String,
  target_id String,
  model_id String,
  rule_id String,
  alert_key String,
  status Enum8('pending_approval' = 1, 'rejected' = 2, 'suppressed' = 3, 'sending' = 4, 'triggered' = 5,
               'send_failed' = 6, 'started' = 7, 'succeeded' = 8, 'failed' = 9),
  record String,
  token_sha256 String,
  created_ms UInt64,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY run_id;

-- Alerting: rules, the state of every alert instance, alert history, silences, and the
-- ledger of evaluated analyzer runs. Every table is a ReplacingMergeTree read with FINAL
-- or argMax (merges are eventual). Figures live inside JSON strings (state, notification):
-- JSON keeps doubles exact, where 18.16's text formats misparse some Float64 values.

-- One row per rule version; the newest (by updated_ms) wins, deleted = 1 removes it.
CREATE TABLE IF NOT EXISTS alert_rules (
  rule_id String,
  source Enum8('api' = 1, 'config' = 2),
  definition String,
  deleted UInt8,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY rule_id;

-- The newest state of each alert instance (rule, model, version, monitor, segment, column).
-- metric and column_name repeat what inhibition needs without parsing instance_key.
CREATE TABLE IF NOT EXISTS alert_states (
  rule_id String,
  instance_key String,
  model_id String,
  metric String,
  column_name String,
  status Enum8('inactive' = 1, 'pending' = 2, 'firing' = 3, 'resolved' = 4),
  state String,
  window_start DateTime,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY (model_id, rule_id, instance_key);

-- Alert history: one row per notification. The sorting key ends in the idempotency key and
-- every other key column follows from it, so a replayed evaluation (same key) stays one row.
CREATE TABLE IF NOT EXISTS alert_events (
  idempotency_key String,
  rule_id String,
  model_id String,
  model_version String,
  monitor_id String,
  segment String,
  severity Enum8('info' = 1, 'warning' = 2, 'critical' = 3),
  kind Enum8('firing' = 1, 'repeat' = 2, 'resolved' = 3),
  window_start DateTime,
  window_end DateTime,
  notification String,
  muted UInt8,
  mute_reason String,
  created_ms UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, rule_id, idempotency_key);

-- Which stored analyzer runs alerting has evaluated: exactly once per (monitor, window, run).
CREATE TABLE IF NOT EXISTS alert_evaluations (
  monitor_id String,
  model_id String,
  window_start DateTime,
  run_id String,
  events UInt32,
  evaluated_ms UInt64
) ENGINE = ReplacingMergeTree(evaluated_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (monitor_id, window_start, run_id);

-- One row per silence version; expiring writes a version whose ends_ms is the expiry time.
CREATE TABLE IF NOT EXISTS silences (
  silence_id String,
  definition String,
  ends_ms UInt64,
  deleted UInt8,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY silence_id;

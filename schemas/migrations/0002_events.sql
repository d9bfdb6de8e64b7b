-- Event tables. One row per event; features as parallel arrays so any model may log any
-- feature without DDL (numbers, strings/booleans, and names logged as null).
-- ReplacingMergeTree on a key that ends in event_id collapses redeliveries during merges;
-- every reader still deduplicates (FINAL, uniqExact or GROUP BY event_id) because merges
-- are eventual. Daily partitions make retention a DROP PARTITION.
CREATE TABLE IF NOT EXISTS predictions (
  model_id String,
  model_version String,
  ts DateTime,
  ts_ms UInt16,
  event_id String,
  prediction_kind Enum8('number' = 1, 'string' = 2, 'boolean' = 3),
  prediction_num Float64,
  prediction_str String,
  score Nullable(Float64),
  score_classes Array(String),
  score_values Array(Float64),
  num_feature_names Array(String),
  num_feature_values Array(Float64),
  cat_feature_names Array(String),
  cat_feature_values Array(String),
  null_feature_names Array(String),
  segment_names Array(String),
  segment_values Array(String),
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (model_id, model_version, ts, event_id);

CREATE TABLE IF NOT EXISTS feature_logs (
  model_id String,
  ts DateTime,
  ts_ms UInt16,
  event_id String,
  num_feature_names Array(String),
  num_feature_values Array(Float64),
  cat_feature_names Array(String),
  cat_feature_values Array(String),
  null_feature_names Array(String),
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(ts)
ORDER BY (model_id, ts, event_id);

-- Labels arrive late and may be corrected: keyed by event, readers take the latest by
-- ingested_at per event_id (argMax), since a correction may land in another partition.
CREATE TABLE IF NOT EXISTS labels (
  model_id String,
  ts DateTime,
  ts_ms UInt16,
  event_id String,
  label_kind Enum8('number' = 1, 'string' = 2, 'boolean' = 3),
  label_num Float64,
  label_str String,
  ingested_at DateTime
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model_id, event_id);

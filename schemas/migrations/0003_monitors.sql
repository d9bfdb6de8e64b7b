-- Monitors, reference datasets and everything the analyzer stores.
-- Times that need milliseconds are UInt64 epoch ms (18.16 has no DateTime64).
-- Every ReplacingMergeTree here is read with FINAL or argMax: merges are eventual.

-- One row per monitor version; the newest (by updated_ms) wins, deleted = 1 removes it.
CREATE TABLE IF NOT EXISTS monitors (
  monitor_id String,
  model_id String,
  source Enum8('api' = 1, 'config' = 2, 'default' = 3),
  definition String,
  deleted UInt8,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
ORDER BY monitor_id;

-- Named baseline datasets (training or validation sets). A re-upload under the same name
-- gets a new upload_id; readers take the newest upload of a name.
CREATE TABLE IF NOT EXISTS reference_datasets (
  dataset_name String,
  model_id String,
  upload_id String,
  row_count UInt64,
  column_names Array(String),
  uploaded_ms UInt64,
  deleted UInt8
) ENGINE = ReplacingMergeTree(uploaded_ms)
ORDER BY dataset_name;

-- The rows of an uploaded dataset, in the predictions table's layout so one query shape
-- reads both. The label is kept for the reference side of accuracy decay.
CREATE TABLE IF NOT EXISTS reference_rows (
  dataset_name String,
  upload_id String,
  row_number UInt64,
  prediction_kind Enum8('none' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3),
  prediction_num Float64,
  prediction_str String,
  score Nullable(Float64),
  num_feature_names Array(String),
  num_feature_values Array(Float64),
  cat_feature_names Array(String),
  cat_feature_values Array(String),
  null_feature_names Array(String),
  label_kind Enum8('none' = 0, 'number' = 1, 'string' = 2, 'boolean' = 3),
  label_num Float64,
  label_str String
) ENGINE = MergeTree
ORDER BY (dataset_name, upload_id, row_number);

-- Bin edges and categories of a fixed reference, frozen when it is first registered.
CREATE TABLE IF NOT EXISTS reference_profiles (
  reference_key String,
  column_name String,
  column_kind Enum8('numeric' = 1, 'categorical' = 2),
  bin_edges Array(Float64),
  categories Array(String),
  frozen_ms UInt64
) ENGINE = ReplacingMergeTree(frozen_ms)
ORDER BY (reference_key, column_name);

-- Every attempt at analysing a window: running, then succeeded or failed (with the error).
CREATE TABLE IF NOT EXISTS analysis_runs (
  run_id String,
  job_id String,
  monitor_id String,
  model_id String,
  window_start DateTime,
  window_end DateTime,
  reason String,
  status Enum8('running' = 1, 'succeeded' = 2, 'failed' = 3),
  error String,
  instance String,
  started_ms UInt64,
  finished_ms UInt64,
  updated_ms UInt64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (monitor_id, window_start, run_id);

-- One row per analysed (window, segment): sample sizes, reference, volume, dataset drift.
-- A re-run writes a new row with a newer computed_ms; readers take the newest run_id.
CREATE TABLE IF NOT EXISTS window_results (
  monitor_id String,
  model_id String,
  model_version String,
  segment_name String,
  segment_value String,
  window_start DateTime,
  window_end DateTime,
  run_id String,
  computed_ms UInt64,
  status Enum8('ok' = 1, 'insufficient_data' = 2, 'no_reference' = 3),
  message String,
  reference_kind String,
  reference_description String,
  reference_from DateTime,
  reference_to DateTime,
  reference_count UInt64,
  current_count UInt64,
  expected_count Nullable(Float64),
  volume_change Nullable(Float64),
  tested_columns UInt32,
  drifted_columns UInt32,
  drift_share Nullable(Float64),
  dataset_drifted UInt8
) ENGINE = ReplacingMergeTree(computed_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, monitor_id, window_start, segment_name, segment_value);

-- Drift and data quality of one column in one analysed (window, segment).
CREATE TABLE IF NOT EXISTS drift_results (
  monitor_id String,
  model_id String,
  model_version String,
  segment_name String,
  segment_value String,
  window_start DateTime,
  window_end DateTime,
  run_id String,
  computed_ms UInt64,
  column_name String,
  column_role Enum8('feature' = 1, 'prediction' = 2, 'score' = 3),
  column_kind Enum8('numeric' = 1, 'categorical' = 2),
  reference_count UInt64,
  current_count UInt64,
  reference_missing UInt64,
  current_missing UInt64,
  reference_type_errors UInt64,
  current_type_errors UInt64,
  missing_share Nullable(Float64),
  reference_missing_share Nullable(Float64),
  out_of_range_share Nullable(Float64),
  unseen_share Nullable(Float64),
  ks_statistic Nullable(Float64),
  ks_p_value Nullable(Float64),
  ks_method String,
  chi_square_statistic Nullable(Float64),
  chi_square_dof Nullable(Float64),
  chi_square_p_value Nullable(Float64),
  psi Nullable(Float64),
  jensen_shannon Nullable(Float64),
  wasserstein Nullable(Float64),
  wasserstein_normed Nullable(Float64),
  p_value Nullable(Float64),
  adjusted_p_value Nullable(Float64),
  drifted UInt8,
  effects_passed Array(String),
  bin_edges Array(Float64),
  categories Array(String),
  reference_counts Array(UInt64),
  current_counts Array(UInt64),
  notes Array(String)
) ENGINE = ReplacingMergeTree(computed_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, monitor_id, window_start, segment_name, segment_value, column_name);

-- Accuracy of one analysed (window, segment), one row per metric.
CREATE TABLE IF NOT EXISTS performance_results (
  monitor_id String,
  model_id String,
  model_version String,
  segment_name String,
  segment_value String,
  window_start DateTime,
  window_end DateTime,
  run_id String,
  computed_ms UInt64,
  task Enum8('classification' = 1, 'regression' = 2),
  metric String,
  status Enum8('ok' = 1, 'insufficient_labels' = 2, 'undefined' = 3),
  value Nullable(Float64),
  reference_value Nullable(Float64),
  decay Nullable(Float64),
  relative_decay Nullable(Float64),
  prediction_count UInt64,
  labeled_count UInt64,
  label_coverage Nullable(Float64),
  reference_labeled_count UInt64,
  note String
) ENGINE = ReplacingMergeTree(computed_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model_id, monitor_id, window_start, segment_name, segment_value, metric);

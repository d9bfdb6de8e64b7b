-- Which migrations ran. ReplacingMergeTree: two instances migrating at once both record
-- the same version, and readers use FINAL, so the record stays one row per version.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime
) ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;

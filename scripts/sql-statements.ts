// Prints, as JSON, the SQL Driftwatch sends that does not depend on data: the migrations'
// statements and the model catalog's queries, plus one RowBinary-equivalent insert per
// table as VALUES. scripts/check-sql-current.sh runs them on a current ClickHouse (chDB).
// With `--analyzer FILE` (the output of scripts/record-analyzer-sql.ts) the analyzer's
// recorded statements and 18.16's answers go along under "analyzer".
import { readFileSync } from 'node:fs';
import { MODEL_CATALOG_QUERIES } from '../storage/model-catalog.js';
import { readMigrations } from '../storage/migrate.js';
import { sql } from '../storage/sql.js';

const now = new Date(Date.UTC(2026, 10, 27, 12));
const analyzerFlag = process.argv.indexOf('--analyzer');
const analyzerFile = analyzerFlag === -1 ? undefined : process.argv[analyzerFlag + 1];
if (analyzerFlag !== -1 && analyzerFile === undefined) throw new Error('--analyzer needs a file (the output of dist/scripts/record-analyzer-sql.js)');
const statements = {
  migrations: readMigrations().flatMap((migration) => migration.statements),
  inserts: [
    sql`INSERT INTO predictions (model_id, model_version, ts, ts_ms, event_id, prediction_kind, prediction_num, prediction_str, score, score_classes, score_values, num_feature_names, num_feature_values, cat_feature_names, cat_feature_values, null_feature_names, segment_names, segment_values, ingested_at) VALUES (${'m'}, ${'v1'}, ${now}, ${250}, ${'e1'}, ${'number'}, ${0.5}, ${''}, ${0.5}, ${['a']}, ${[0.5]}, ${['x']}, ${[1.5]}, ${['c']}, ${["it's"]}, ${['n']}, ${['seg']}, ${['DE']}, ${now})`,
    sql`INSERT INTO feature_logs (model_id, ts, ts_ms, event_id, num_feature_names, num_feature_values, cat_feature_names, cat_feature_values, null_feature_names, ingested_at) VALUES (${'m'}, ${now}, ${0}, ${'e1'}, ${['y']}, ${[2]}, ${[]}, ${[]}, ${[]}, ${now})`,
    sql`INSERT INTO labels (model_id, ts, ts_ms, event_id, label_kind, label_num, label_str, ingested_at) VALUES (${'m'}, ${now}, ${0}, ${'e1'}, ${'boolean'}, ${1}, ${'true'}, ${now})`,
  ],
  queries: [
    ...Object.values(MODEL_CATALOG_QUERIES),
    'SELECT version, checksum FROM schema_migrations FINAL',
    'SELECT count() AS value FROM predictions FINAL',
    'SELECT uniqExact(event_id) AS value FROM predictions',
  ],
  ...(analyzerFile === undefined ? {} : { analyzer: JSON.parse(readFileSync(analyzerFile, 'utf8')) as unknown }),
};
process.stdout.write(JSON.stringify(statements));

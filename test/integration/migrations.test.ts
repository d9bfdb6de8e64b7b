// Migrations against the real server: two instances migrating at once both succeed and the
// record holds each version once; a changed migration that was applied stops start-up.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { migrate, MigrationError, readMigrations, type Migration } from '../../storage/migrate.js';
import { command, dropTestDatabase, rows, scalar, testConfig } from '../helpers/environment.js';

const config = testConfig('migrate');

after(async () => {
  await dropTestDatabase(config);
});

test('two instances migrating the same empty database at once both succeed, and each version is recorded once', async () => {
  const migrations = readMigrations();
  const results = await Promise.all([migrate(config.clickhouse), migrate(config.clickhouse), migrate(config.clickhouse)]);
  for (const applied of results) assert.ok(applied.every((version) => version >= 1 && version <= migrations.length));
  const recorded = await rows<{ version: number; checksum: string }>(config, 'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version');
  assert.deepEqual(recorded.map((row) => Number(row.version)), migrations.map((migration) => migration.version));
  assert.deepEqual(recorded.map((row) => row.checksum), migrations.map((migration) => migration.checksum));
  for (const table of ['predictions', 'feature_logs', 'labels']) {
    assert.equal(await scalar(config, `SELECT count() AS value FROM system.tables WHERE database = '${config.clickhouse.database}' AND name = '${table}'`), 1);
  }
  // Once applied, running again applies nothing.
  assert.deepEqual(await migrate(config.clickhouse), []);
});

test('a migration edited after it was applied stops start-up with a clear error', async () => {
  const migrations = readMigrations();
  const edited = migrations.map((migration, index) => (index === 1 ? { ...migration, checksum: `${migration.checksum}x` } : migration));
  await assert.rejects(migrate(config.clickhouse, edited), (error: unknown) => {
    assert.ok(error instanceof MigrationError);
    assert.match(error.message, /migration 2_events was changed after it was applied; add a new migration instead/);
    return true;
  });
});

test('an ADD COLUMN whose column is already there counts as applied (18.16 has no IF NOT EXISTS); other failures still stop start-up', async () => {
  const migrations = readMigrations();
  const patterns = migrations.find((migration) => migration.name === 'feature_patterns')!;
  const again = (name: string, statements: string[], version = migrations.length + 1): Migration => ({ version, name, checksum: name, statements });
  // As if an instance died after adding the column but before recording the migration.
  assert.deepEqual(await migrate(config.clickhouse, [...migrations, again('again', patterns.statements)]), [migrations.length + 1]);
  await assert.rejects(
    migrate(config.clickhouse, [...migrations, again('again', patterns.statements), again('broken', ['ALTER TABLE predictions ADD COLUMN num_names_hash2 NoSuchType'], migrations.length + 2)]),
    /NoSuchType/,
  );
});

test('rows stored before the pattern column existed read the same pattern as rows stored after', async () => {
  const table = 'pattern_probe';
  await command(config, `CREATE TABLE ${table} (num_feature_names Array(String)) ENGINE = MergeTree ORDER BY tuple()`);
  await command(config, `INSERT INTO ${table} VALUES (['a', 'b']), (['b'])`);
  await command(config, `ALTER TABLE ${table} ADD COLUMN num_names_hash UInt64 MATERIALIZED cityHash64(num_feature_names)`);
  await command(config, `INSERT INTO ${table} VALUES (['a', 'b'])`);
  const found = await rows<{ names: string[]; patterns: string }>(config, `SELECT num_feature_names AS names, uniqExact(num_names_hash) AS patterns, count() AS n FROM ${table} GROUP BY names ORDER BY names`);
  assert.deepEqual(found.map((row) => [row.names, Number(row.patterns)]), [[['a', 'b'], 1], [['b'], 1]]);
  const distinct = await scalar(config, `SELECT uniqExact(num_names_hash) AS value FROM ${table}`);
  assert.equal(Number(distinct), 2);
});

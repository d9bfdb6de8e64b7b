// Migrations against the real server: two instances migrating at once both succeed and the
// record holds each version once; a changed migration that was applied stops start-up.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { migrate, MigrationError, readMigrations } from '../../storage/migrate.js';
import { dropTestDatabase, rows, scalar, testConfig } from '../helpers/environment.js';

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

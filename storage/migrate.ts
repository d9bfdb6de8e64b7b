import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DriftwatchConfig } from '../config/config.js';
import { createClickHouse, queryRows, type ClickHouseClient } from './clickhouse.js';
import { identifier, sql } from './sql.js';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

// Compiled code lives in dist/storage/, the SQL files in schemas/migrations/ at the repo root.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../schemas/migrations/', import.meta.url));

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Removes `--` comments (to the end of the line) outside quotes ('...', "...", `...`); comment-only lines vanish. */
function stripComments(text: string): string {
  let quoted: string | false = false;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    let out = '';
    let comment = false;
    for (let i = 0; i < line.length && !comment; i += 1) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '\\') {
          out += ch + (line[i + 1] ?? '');
          i += 1;
          continue;
        }
        if (ch === quoted) quoted = false;
        out += ch;
      } else if (ch === '-' && line[i + 1] === '-') {
        comment = true;
      } else {
        if (ch === "'" || ch === '"' || ch === '`') quoted = ch;
        out += ch;
      }
    }
    if (comment && out.trim() === '') continue;
    kept.push(comment ? out.trimEnd() : out);
  }
  return kept.join('\n');
}

/** Splits a plain SQL file into statements: `--` comments dropped, `;` at a line end separates. */
export function splitStatements(text: string): string[] {
  const withoutComments = stripComments(text);
  return withoutComments.split(/;\s*(?:\n|$)/).map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.sql')).sort();
  const migrations = files.map((file) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new MigrationError(`migration file name "${file}" must look like 0001_name.sql`);
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    return {
      version: Number(match[1]),
      name: match[2]!,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    };
  });
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new MigrationError(`migrations must be numbered 1, 2, 3, ... without gaps; found ${migration.version} at position ${index + 1}`);
  });
  return migrations;
}

async function appliedMigrations(client: ClickHouseClient): Promise<Map<number, string>> {
  const rows = await queryRows<{ version: number; checksum: string }>(client, 'SELECT version, checksum FROM schema_migrations FINAL');
  return new Map(rows.map((row) => [Number(row.version), row.checksum]));
}

const ALTER_CLAUSE = /\b(ADD|DROP|MODIFY|RENAME|CLEAR|DELETE|UPDATE|COMMENT|FREEZE|ATTACH|DETACH|REPLACE|MATERIALIZE)\s+\w+/gi;

/**
 * `ALTER TABLE t ADD COLUMN c ...` with that one clause, which 18.16 cannot make
 * idempotent with IF NOT EXISTS. (With more clauses, one column already there would fail
 * the whole statement and leave the others out.)
 */
export function isSingleAddColumn(statement: string): boolean {
  return /^ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\s+(?!IF\s)/i.test(statement) && (statement.match(ALTER_CLAUSE) ?? []).length === 1;
}

/** True when `error` says the column of a single ADD COLUMN statement is there already (code 44). */
export function isColumnAlreadyThere(statement: string, error: unknown): boolean {
  return isSingleAddColumn(statement) && error instanceof Error && /column with this name already exists/i.test(error.message);
}

async function applyStatement(client: ClickHouseClient, statement: string): Promise<void> {
  try {
    await client.command({ query: statement });
  } catch (error) {
    // Another instance (or an interrupted earlier start) added it: the statement's effect holds.
    if (!isColumnAlreadyThere(statement, error)) throw error;
  }
}

/**
 * Creates the database and applies every migration not yet recorded. Statements are
 * idempotent (IF NOT EXISTS; an ADD COLUMN whose column exists counts as applied), so two
 * instances starting together both succeed and the record deduplicates; a changed file
 * that was already applied stops start-up.
 */
export async function migrate(config: DriftwatchConfig['clickhouse'], migrations = readMigrations()): Promise<number[]> {
  const admin = createClickHouse(config, { withDatabase: false });
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${identifier(config.database)}` });
  } finally {
    await admin.close();
  }
  const client = createClickHouse(config);
  const appliedNow: number[] = [];
  try {
    const [bookkeeping] = migrations;
    if (!bookkeeping) return appliedNow;
    for (const statement of bookkeeping.statements) await client.command({ query: statement });
    const applied = await appliedMigrations(client);
    for (const migration of migrations) {
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) {
          throw new MigrationError(`migration ${migration.version}_${migration.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      for (const statement of migration.statements) await applyStatement(client, statement);
      await client.command({
        query: sql`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (${migration.version}, ${migration.name}, ${migration.checksum}, ${new Date()})`,
      });
      appliedNow.push(migration.version);
    }
    return appliedNow;
  } finally {
    await client.close();
  }
}

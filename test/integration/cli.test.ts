// The `driftwatch` command as a user runs it: exit codes and messages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function driftwatch(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('a bad configuration value stops start-up with exit code 2, naming the variable', () => {
  const port = driftwatch(['start'], { PORT: 'eighty' });
  assert.equal(port.code, 2);
  assert.match(port.stderr, /configuration error: environment variable PORT: must be an integer/);
  const open = driftwatch(['start'], { HOST: '0.0.0.0' });
  assert.equal(open.code, 2);
  assert.match(open.stderr, /HOST=0\.0\.0\.0 is not a loopback address and DRIFTWATCH_API_TOKENS is empty/);
  const roles = driftwatch(['start', '--roles', 'ingest,ui']);
  assert.equal(roles.code, 2);
  assert.match(roles.stderr, /--roles: unknown role "ui"/);
});

test('unknown commands exit 2 with the usage; help exits 0', () => {
  const unknown = driftwatch(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const help = driftwatch(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: driftwatch <command>/);
});

test('driftwatch drift exits 0 without drift, 1 with drift, 2 on bad input', () => {
  const rows = (shift: number) => ['x,color', ...Array.from({ length: 2000 }, (_, i) => `${((i * 7919) % 1000) / 100 + shift},${['red', 'green', 'blue'][i % 3]}`)].join('\n');
  writeFileSync(join(dir, 'reference.csv'), rows(0));
  writeFileSync(join(dir, 'same.csv'), rows(0));
  writeFileSync(join(dir, 'shifted.csv'), rows(5));
  writeFileSync(join(dir, 'broken.csv'), 'x,color\n1,red\n2,"unterminated\n');
  const same = driftwatch(['drift', '--reference', join(dir, 'reference.csv'), '--current', join(dir, 'same.csv'), '--format', 'json']);
  assert.equal(same.code, 0, same.stderr);
  const report = JSON.parse(same.stdout) as { columns: Array<{ name: string; drifted: boolean }>; dataset_drifted: boolean };
  assert.equal(report.dataset_drifted, false);
  assert.deepEqual(report.columns.map((column) => column.name).sort(), ['color', 'x']);
  const shifted = driftwatch(['drift', '--reference', join(dir, 'reference.csv'), '--current', join(dir, 'shifted.csv')]);
  assert.equal(shifted.code, 1, shifted.stderr);
  const broken = driftwatch(['drift', '--reference', join(dir, 'reference.csv'), '--current', join(dir, 'broken.csv')]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.csv/);
});

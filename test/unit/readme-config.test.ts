// The README's configuration table is written by hand; keep it true.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SETTINGS } from '../../config/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test('the README documents every setting with its file key', () => {
  for (const setting of SETTINGS) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.env}\` |`));
    assert.ok(row, `README has no row for ${setting.env}`);
    assert.ok(row.includes(`\`${setting.key}\``), `README row of ${setting.env} names the key ${setting.key}`);
  }
});

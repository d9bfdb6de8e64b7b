// Start-up cost: an ingest-only process must not load what other roles need. Measured, the
// API server, the analyzer and the alert channels took ~0.7 s of a 1.5 s start when
// app/driftwatch.ts imported them statically, and Ajv compiling every definition schema at
// import ~0.3 s more. These checks fail if either comes back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // the repo (this file runs from dist/test/unit/)
const source = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

test('app/driftwatch.ts imports role modules only when the role starts (type imports aside)', () => {
  const staticImports = [...source('app/driftwatch.ts').matchAll(/^import (?!type )[^;]*? from '([^']+)';/gm)].map((match) => match[1]!);
  const roleModules = staticImports.filter((path) => /^\.\.\/(api|alerting|analyzer|ingest)\//.test(path) || path === 'fastify');
  assert.deepEqual(roleModules, [], `imported at load: ${roleModules.join(', ')}`);
});

test('loading the start-up modules compiles no schema (validators are compiled on first use)', () => {
  // A child process counts Ajv compilations while it imports what `driftwatch start` imports.
  const script = `
    const { Ajv } = await import('ajv');
    let compiled = 0;
    const compile = Ajv.prototype.compile;
    Ajv.prototype.compile = function (...args) { compiled++; return compile.apply(this, args); };
    await import('${ROOT}dist/config/config.js');
    await import('${ROOT}dist/app/driftwatch.js');
    await import('${ROOT}dist/ingest/batch-decoder.js');
    const atLoad = compiled;
    // The first event validated compiles its schema: the count sees compilations.
    const { validateEvent } = await import('${ROOT}dist/schemas/validate.js');
    validateEvent('label', {});
    process.stdout.write(JSON.stringify({ atLoad, afterFirstUse: compiled }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { atLoad: 0, afterFirstUse: 1 });
});

/**
 * The fixture PRNG is the same in Python and TypeScript: large fixtures store
 * only seeds, so both sides must produce identical doubles (exact equality).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSample, Mulberry32, readFixture } from './stats-fixture-rng.js';

interface RngFixture {
  seed: number;
  uniforms: number[];
  normal_first5: number[];
  integer_first5: number[];
}

test('mulberry32, normal and integer samples match the Python generator bit for bit', () => {
  const fixture = readFixture<RngFixture>('rng.json');
  const rng = new Mulberry32(fixture.seed);
  assert.deepEqual(fixture.uniforms.map(() => rng.uniform()), fixture.uniforms);
  assert.deepEqual(
    Array.from(generateSample({ seed: 7, n: 5, distribution: 'normal', mean: 1.5, sd: 2 })),
    fixture.normal_first5,
  );
  assert.deepEqual(Array.from(generateSample({ seed: 9, n: 5, distribution: 'integer', k: 10 })), fixture.integer_first5);
});

/**
 * Test helpers shared by the drift statistics tests: the fixture PRNG (the same
 * generator as scripts/gen_drift_fixtures.py, so large samples are rebuilt
 * bit for bit instead of being committed) and fixture loading.
 *
 * Only integer and IEEE-exact arithmetic is used (no Math.log / Math.cos,
 * whose last bit may differ between V8 and libm).
 */
import { readFileSync } from 'node:fs';

export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Irwin-Hall approximation of a normal: exact in doubles, identical in Python. */
  normal(mean = 0, sd = 1): number {
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += this.uniform();
    return mean + sd * (sum - 6);
  }

  integer(k: number): number {
    return Math.floor(this.uniform() * k);
  }
}

export type SampleSpec =
  | { seed: number; n: number; distribution: 'normal'; mean: number; sd: number }
  | { seed: number; n: number; distribution: 'integer'; k: number };

export function generateSample(spec: SampleSpec): Float64Array {
  const rng = new Mulberry32(spec.seed);
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    out[i] = spec.distribution === 'normal' ? rng.normal(spec.mean, spec.sd) : rng.integer(spec.k);
  }
  return out;
}

/** Compiled tests live in dist/test/unit/; the repository root is three levels up. */
export function readFixture<T>(name: string): T {
  const url = new URL(`../../../test/fixtures/drift/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** Inline fixture values: JSON has no NaN/Infinity, the generator writes them as strings. */
export function decodeValue(value: unknown): unknown {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value;
}

export function assertClose(
  actual: number | null,
  expected: number | null,
  tolerance: { absolute?: number; relative?: number },
  label: string,
): void {
  if (expected === null || actual === null) {
    if (expected !== actual) throw new Error(`${label}: expected ${expected}, got ${actual}`);
    return;
  }
  const error = Math.abs(actual - expected);
  const allowed = Math.max(tolerance.absolute ?? 0, (tolerance.relative ?? 0) * Math.abs(expected));
  if (!(error <= allowed)) {
    throw new Error(`${label}: expected ${expected}, got ${actual} (error ${error.toExponential(2)} > ${allowed.toExponential(2)})`);
  }
}

/** Numeric fixture cases (test/fixtures/drift/numeric-cases.json), shared by several test files. */
export interface NumericExpected {
  reference_count: number;
  current_count: number;
  reference_missing: number;
  current_missing: number;
  reference_type_errors: number;
  current_type_errors: number;
  ks_statistic: number | null;
  ks_p_value: number | null;
  ks_method: 'exact' | 'asymptotic' | null;
  psi: number | null;
  jensen_shannon: number | null;
  wasserstein: number | null;
  wasserstein_normed: number | null;
  out_of_range_share: number | null;
  bin_edges: number[];
  reference_bin_counts?: number[];
  current_bin_counts?: number[];
}

export interface NumericCase {
  name: string;
  note: string;
  reference?: unknown[];
  current?: unknown[];
  reference_spec?: SampleSpec;
  current_spec?: SampleSpec;
  expected: NumericExpected;
}

export const numericCases = readFixture<{ cases: NumericCase[] }>('numeric-cases.json').cases;

/** The case's raw samples: inline values decoded, or regenerated from the spec. */
export function caseSamples(c: NumericCase): { reference: ArrayLike<unknown>; current: ArrayLike<unknown> } {
  if (c.reference_spec && c.current_spec) {
    return { reference: generateSample(c.reference_spec), current: generateSample(c.current_spec) };
  }
  return { reference: (c.reference ?? []).map(decodeValue), current: (c.current ?? []).map(decodeValue) };
}


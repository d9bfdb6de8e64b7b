/**
 * Regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x).
 *
 * Series for x < a + 1 and a Lentz continued fraction otherwise: each is used
 * where it converges fast and where its result is the smaller of P and Q, so
 * the complement is never formed by cancellation. That matters because the
 * chi-square p-value is Q, and drift p-values of 1e-30 must not round to 0
 * through 1 - P.
 */
import { logGamma } from './log-gamma.js';

const RELATIVE_EPSILON = 1e-16;
const TINY = 1e-300;

function logPrefactor(a: number, x: number): number {
  // x^a e^-x / Gamma(a), in logs so large shapes (many categories) do not overflow.
  return a * Math.log(x) - x - logGamma(a);
}

/** Series  P(a, x) = prefactor * sum_k x^k / (a (a+1) ... (a+k)). */
function lowerSeries(a: number, x: number): number {
  let denominator = a;
  let term = 1 / a;
  let sum = term;
  // Terms shrink like exp(-k^2 / 2a) once k > x - a, so the bound scales with sqrt(a).
  const maxIterations = 1000 + Math.ceil(20 * Math.sqrt(a));
  for (let k = 0; k < maxIterations; k++) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * RELATIVE_EPSILON) break;
  }
  return Math.exp(logPrefactor(a, x) + Math.log(sum));
}

/** Continued fraction for Q(a, x) (modified Lentz). */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  const maxIterations = 1000 + Math.ceil(20 * Math.sqrt(a));
  for (let i = 1; i <= maxIterations; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < RELATIVE_EPSILON) break;
  }
  return Math.exp(logPrefactor(a, x) + Math.log(fraction));
}

/** Regularized lower incomplete gamma P(a, x), a > 0, x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  checkArguments(a, x);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x), a > 0, x >= 0. */
export function regularizedGammaQ(a: number, x: number): number {
  checkArguments(a, x);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

function checkArguments(a: number, x: number): void {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`incomplete gamma needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, got ${x}`);
}

/**
 * P(D_n < d) for the two-sided one-sample Kolmogorov-Smirnov statistic, exact,
 * by Durbin's matrix method as made practical by Marsaglia, Tsang & Wang (2003):
 * with k = ceil(n d), h = k - n d and the (2k-1) x (2k-1) matrix H below,
 *   P(D_n < d) = n!/n^n * (H^n)[k-1][k-1].
 * Cost O(k^3 log n): used only where n d is small, as scipy's kolmogn does.
 */
import { logFactorialOverPower } from './log-gamma.js';

const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;

interface ScaledMatrix {
  values: Float64Array;
  /** The matrix represented is values * 2^exponent (H^n overflows doubles otherwise). */
  exponent: number;
}

function multiply(a: ScaledMatrix, b: ScaledMatrix, size: number): ScaledMatrix {
  const out = new Float64Array(size * size);
  const av = a.values;
  const bv = b.values;
  for (let i = 0; i < size; i++) {
    const rowOffset = i * size;
    for (let k = 0; k < size; k++) {
      const aik = av[rowOffset + k]!;
      if (aik === 0) continue;
      const bOffset = k * size;
      for (let j = 0; j < size; j++) out[rowOffset + j]! += aik * bv[bOffset + j]!;
    }
  }
  const result = { values: out, exponent: a.exponent + b.exponent };
  rescale(result);
  return result;
}

function rescale(matrix: ScaledMatrix): void {
  let largest = 0;
  for (const v of matrix.values) if (Math.abs(v) > largest) largest = Math.abs(v);
  if (largest === 0) return;
  while (largest > SCALE_UP) {
    for (let i = 0; i < matrix.values.length; i++) matrix.values[i]! *= SCALE_DOWN;
    matrix.exponent += SCALE_EXPONENT;
    largest *= SCALE_DOWN;
  }
  while (largest < SCALE_DOWN) {
    for (let i = 0; i < matrix.values.length; i++) matrix.values[i]! *= SCALE_UP;
    matrix.exponent -= SCALE_EXPONENT;
    largest *= SCALE_UP;
  }
}

function durbinMatrix(k: number, h: number): Float64Array {
  const size = 2 * k - 1;
  const inverseFactorial = new Float64Array(size + 1);
  inverseFactorial[0] = 1;
  for (let i = 1; i <= size; i++) inverseFactorial[i] = inverseFactorial[i - 1]! / i;
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const order = i - j + 1;
      if (order >= 0) matrix[i * size + j] = inverseFactorial[order]!;
    }
  }
  // Boundary corrections: first column and last row lose the h-powers that
  // would let the path leave the band; the corner gets back (2h-1)^m when positive.
  for (let i = 0; i < size; i++) {
    matrix[i * size]! -= Math.pow(h, i + 1) * inverseFactorial[i + 1]!;
    matrix[(size - 1) * size + i]! -= Math.pow(h, size - i) * inverseFactorial[size - i]!;
  }
  if (2 * h - 1 > 0) matrix[(size - 1) * size]! += Math.pow(2 * h - 1, size) * inverseFactorial[size]!;
  return matrix;
}

/** P(D_n < d), i.e. the CDF of the two-sided statistic (continuous at d). */
export function kolmogorovCdfDurbin(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const size = 2 * k - 1;
  let base: ScaledMatrix = { values: durbinMatrix(k, h), exponent: 0 };
  let power: ScaledMatrix | null = null;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) power = power === null ? base : multiply(power, base, size);
    if (remaining > 1) base = multiply(base, base, size);
  }
  if (power === null) return 0;
  const entry = power.values[(k - 1) * size + (k - 1)]!;
  if (entry <= 0) return 0;
  const logCdf = Math.log(entry) + power.exponent * Math.LN2 + logFactorialOverPower(n);
  return Math.min(1, Math.exp(logCdf));
}

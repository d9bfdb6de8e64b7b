/**
 * Pelz & Good (1976) asymptotic series for the two-sided one-sample
 * Kolmogorov-Smirnov CDF, P(D_n <= d) ~ K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5
 * with z = d sqrt(n), written in the theta-function form that converges fast
 * for small z. Simard & L'Ecuyer (2011) show it is accurate to about 5 digits
 * for n > 140 in the region where scipy's kolmogn uses it, and we use it in the
 * same region so the p-values agree with scipy.
 */
const PI2 = Math.PI * Math.PI;
const PI4 = PI2 * PI2;
const PI6 = PI4 * PI2;
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const MIN_LOG = -708;

export function kolmogorovCdfPelzGood(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = d * Math.sqrt(n);
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const z8 = z4 * z4;
  if (-PI2 / (8 * z2) < MIN_LOG) return 0;

  const terms = Math.ceil((16 * z) / Math.PI);
  // Sums over half-integers u = k + 1/2 (k = 0, 1, ...) of polynomial(u) * exp(-pi^2 u^2 / (2 z^2)).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = terms - 1; k >= 0; k--) {
    const u2 = (k + 0.5) * (k + 0.5);
    const u4 = u2 * u2;
    const u6 = u4 * u2;
    const weight = Math.exp((-PI2 * u2) / (2 * z2));
    s0 += weight;
    s1 += (PI2 * u2 - z2) * weight;
    s2 += (6 * z6 + 2 * z4 + PI2 * (2 * z4 - 5 * z2) * u2 + PI4 * (1 - 2 * z2) * u4) * weight;
    s3 += (-30 * z6 - 90 * z8 + PI2 * (135 * z4 - 96 * z6) * u2 + PI4 * (212 * z4 - 60 * z2) * u4 + PI6 * (5 - 30 * z2) * u6) * weight;
  }
  // Sums over integers k >= 1 of exp(-pi^2 k^2 / (2 z^2)) terms that K2 and K3 carry besides.
  let t2 = 0;
  let t3 = 0;
  for (let k = terms; k >= 1; k--) {
    const k2 = k * k;
    const weight = Math.exp((-PI2 * k2) / (2 * z2));
    t2 += PI2 * k2 * weight;
    t3 += (3 * PI2 * k2 * z2 - PI4 * k2 * k2) * weight;
  }
  const k0 = (2 * SQRT_HALF_PI * s0) / z;
  const k1 = (SQRT_HALF_PI * s1) / (3 * z4);
  const k2 = (SQRT_HALF_PI * s2) / (36 * z * z6) - (2 * SQRT_HALF_PI * t2) / (36 * z2 * z);
  const k3 = (SQRT_HALF_PI * s3) / (3240 * z4 * z6) + (2 * SQRT_HALF_PI * t3) / (216 * z6);
  const sqrtN = Math.sqrt(n);
  return k0 + k1 / sqrtN + k2 / n + k3 / (n * sqrtN);
}

// Seeded generators of values meant to break SQL literals: shared by the unit test of
// storage/sql.ts and the fuzz against the real ClickHouse, so both see the same inputs.

/** mulberry32, the demo traffic's seedable PRNG: the same seed always yields the same sequence. */
export { createRandom as seededRandom } from '../../demo/traffic.js';

export function randomInt(random: () => number, minInclusive: number, maxInclusive: number): number {
  return minInclusive + Math.floor(random() * (maxInclusive - minInclusive + 1));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Pieces that have broken a hand-written escaper somewhere, at some time. */
export const HOSTILE_PIECES: readonly string[] = [
  "'", '\\', '\0', '\n', '\r', '\t', '\b', '\f', '\v', '\x07', '\x1b', '\x7f',
  "'; DROP TABLE x; --", "\\'", "''", "\\\\'", "'\\", '"', '`', ';', '--', '/*', '*/', '#',
  '\\0', '\\x27', '\\N', '\\n', '%27', '%00', '?', '{x:String}', '$1', ':param',
  ' FORMAT TSV', ' SETTINGS max_threads = 1', ' UNION ALL SELECT 1', "') --", "'), ('",
  '\u200f', '\u200e', '\u202e', '\u2066', '\u2028', '\u2029', '\ufeff', '\u00a0', '\u0085',
  'é', 'e\u0301', '中文', 'Ω', '😀', '👩‍👩‍👧‍👦', '🇩🇪', '\u{10ffff}', '\u{1f4a9}', '\ufffd',
];

/** A Unicode scalar value (never a surrogate half), drawn mostly from ASCII and the BMP. */
export function randomCodePoint(random: () => number): string {
  const band = random();
  if (band < 0.4) return String.fromCodePoint(randomInt(random, 0, 0x7f));
  if (band < 0.5) return String.fromCodePoint(randomInt(random, 0x80, 0x7ff));
  if (band < 0.8) {
    const codePoint = randomInt(random, 0x800, 0xffff - 0x800);
    // Skip the surrogate range D800-DFFF: a lone half has no UTF-8 form.
    return String.fromCodePoint(codePoint >= 0xd800 ? codePoint + 0x800 : codePoint);
  }
  return String.fromCodePoint(randomInt(random, 0x10000, 0x10ffff));
}

/** A well-formed string made of hostile pieces and random code points, sometimes ending in a backslash. */
export function hostileString(random: () => number): string {
  const parts: string[] = [];
  const length = randomInt(random, 0, 24);
  for (let i = 0; i < length; i += 1) {
    parts.push(random() < 0.5 ? pick(random, HOSTILE_PIECES) : randomCodePoint(random));
  }
  if (random() < 0.15) parts.push('\\');
  if (random() < 0.05) parts.push('\\\\\\');
  return parts.join('');
}

/** Fixed strings every run sees, before the random ones. */
export const FIXED_HOSTILE_STRINGS: readonly string[] = [
  '', "'", "''", '\\', '\\\\', "\\'", "'\\", "\\''", 'trailing backslash\\', "'; DROP TABLE x; --",
  "x'); DROP TABLE x; --", '\0', 'a\0b', '\0\0\0', '\n\r\t\b\f', '\\0', '\\n', "\\\\'", '😀', '\u{1f600}\\',
  '\u200fright-to-left\u200f', '\u202eoverride', 'null', 'NULL', '1', '-0',
];

const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * A random finite double: a random bit pattern (any exponent), an integer up to 2^70 (so
 * past 2^53 and 2^64), or a "human" decimal. Subnormals are replaced by zero unless asked for.
 */
export function randomFiniteNumber(random: () => number, options: { allowSubnormal?: boolean } = {}): number {
  const kind = random();
  let value: number;
  if (kind < 0.4) {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, Math.floor(random() * 2 ** 32));
    view.setUint32(4, Math.floor(random() * 2 ** 32));
    value = view.getFloat64(0);
    if (!Number.isFinite(value)) value = random() < 0.5 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  } else if (kind < 0.7) {
    value = Math.floor((random() * 2 - 1) * 2 ** (random() * 70));
  } else {
    value = Number((random() * 2 - 1).toFixed(randomInt(random, 0, 12))) * 10 ** randomInt(random, -10, 10);
  }
  if (!options.allowSubnormal && value !== 0 && Math.abs(value) < MIN_NORMAL) return 0;
  return value;
}

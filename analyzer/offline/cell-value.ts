/**
 * How one text cell (CSV, or a string in NDJSON) is read.
 *  - missing: empty or whitespace-only, or exactly `null` / `NULL`;
 *  - number: decimal or exponent notation that parses to a finite double
 *    (surrounding whitespace allowed; hex/octal/binary literals are not numbers);
 *  - non-finite: NaN / Infinity / inf tokens and numbers too large for a double.
 *    A numeric column counts them as type errors instead of turning categorical,
 *    so one stray NaN does not change how a million-row column is analysed;
 *  - text: anything else.
 */
export type CellKind = 'missing' | 'number' | 'non-finite' | 'text';

const NON_FINITE_TOKEN = /^\s*[+-]?(nan|inf|infinity)\s*$/i;

export interface ParsedCell {
  kind: CellKind;
  /** Set when kind is 'number'. */
  value: number;
}

const MISSING: ParsedCell = { kind: 'missing', value: 0 };
const NON_FINITE: ParsedCell = { kind: 'non-finite', value: 0 };
const TEXT: ParsedCell = { kind: 'text', value: 0 };

export function parseCell(text: string): ParsedCell {
  if (text.length === 0) return MISSING;
  const first = text.charCodeAt(0);
  if ((first === 110 || first === 78) && (text === 'null' || text === 'NULL')) return MISSING;
  if (!mayStartNumber(first)) return TEXT; // most category labels: no Number() call at all
  const value = Number(text);
  if (value !== value) return NON_FINITE_TOKEN.test(text) ? NON_FINITE : TEXT; // NaN: not a number
  // Number() reads whitespace-only text as 0; a real zero always has the digit 0.
  if (value === 0 && text.indexOf('0') === -1) return MISSING;
  // Number() also accepts 0x.., 0o.., 0b..; those are identifiers, not measurements.
  if (first === 48 && text.length > 2 && isRadixLetter(text.charCodeAt(1))) return TEXT;
  if (value === Infinity || value === -Infinity) return NON_FINITE;
  return { kind: 'number', value };
}

/** Digits, sign, point, whitespace, and the first letters of NaN / Infinity / inf. */
function mayStartNumber(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    code === 43 || code === 45 || code === 46 ||
    code === 32 || code === 9 || code === 10 || code === 11 || code === 12 || code === 13 || code === 0xa0 || code === 0xfeff ||
    code === 78 || code === 110 || code === 73 || code === 105
  );
}

function isRadixLetter(code: number): boolean {
  return code === 120 || code === 88 || code === 111 || code === 79 || code === 98 || code === 66;
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact up to 1e22
const MAX_EXACT_DIGITS = 15;

/**
 * Fast path for plain decimals like "-12.3456" straight from the characters
 * source[start, end): NaN for anything else (exponents, whitespace, more than
 * 15 significant digits), which then goes through parseCell.
 * Exact: with at most 15 significant digits the integer mantissa and 10^k
 * (k <= 22) are exact doubles, so one correctly rounded division gives the
 * same double as Number(text) (Clinger's fast path).
 */
export function parsePlainDecimal(source: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  const sign = source.charCodeAt(i);
  if (sign === 45) {
    negative = true;
    i++;
  } else if (sign === 43) i++;
  let mantissa = 0;
  let significant = 0;
  let anyDigit = false;
  let fractionDigits = -1;
  for (; i < end; i++) {
    const code = source.charCodeAt(i);
    const digit = code - 48;
    if (digit >= 0 && digit <= 9) {
      anyDigit = true;
      if (significant > 0 || digit !== 0) significant++;
      if (significant > MAX_EXACT_DIGITS) return NaN;
      mantissa = mantissa * 10 + digit;
      if (fractionDigits >= 0) fractionDigits++;
    } else if (code === 46 && fractionDigits < 0) {
      fractionDigits = 0;
    } else {
      return NaN;
    }
  }
  if (!anyDigit || fractionDigits > 22) return NaN;
  const value = fractionDigits > 0 ? mantissa / POWERS_OF_TEN[fractionDigits]! : mantissa;
  return negative ? -value : value;
}

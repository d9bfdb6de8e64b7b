// The one place where values become SQL text. ClickHouse 18.16 has no server-side
// query parameters, so every value that reaches a query goes through `literal()`;
// identifiers go through `identifier()` (a whitelist, never escaped).

export class SqlValueError extends Error {
  override readonly name = 'SqlValueError';
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A quoted ClickHouse string literal. Lone UTF-16 surrogates are rejected: they have no UTF-8 form. */
export function stringLiteral(value: string): string {
  if (!value.isWellFormed()) throw new SqlValueError('string contains a lone UTF-16 surrogate');
  return `'${value.replace(/[\\'\0\n\r\t\b\f]/g, (ch) => ESCAPES[ch] ?? ch)}'`;
}

export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new SqlValueError(`cannot put non-finite number ${value} into SQL`);
  // 18.16's parser rejects subnormal literals (5e-324); they differ from 0 by < 2.3e-308.
  if (Object.is(value, -0) || Math.abs(value) < 2.2250738585072014e-308) return '0';
  // Plain digits only for small integers: ClickHouse types larger integer literals as
  // (U)Int64, which it cannot mix with Float64 in one array, and beyond 2^53 reads
  // "1152921504606847000" as that exact integer, not the double it came from. The
  // exponent form is always read as the same double.
  if (Number.isInteger(value)) return Math.abs(value) < 2 ** 31 ? String(value) : value.toExponential();
  // toString of a finite double round-trips and never contains anything but [0-9.e+-].
  return String(value);
}

/** A Date as a DateTime literal in UTC (whole seconds; DateTime has no fraction). */
export function dateTimeLiteral(value: Date): string {
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw new SqlValueError('invalid Date');
  return `toDateTime(${Math.floor(ms / 1000)})`;
}

export type SqlValue = string | number | boolean | Date | bigint | null | SqlFragment | readonly SqlValue[];

export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function literal(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text;
  if (value === null) return 'NULL';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return dateTimeLiteral(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new SqlValueError(`unsupported SQL value of type ${typeof value}`);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A table, column or database name. Only plain identifiers pass; nothing is escaped. */
export function identifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new SqlValueError(`"${name}" is not a plain SQL identifier`);
  return new SqlFragment(name);
}

/** Tagged template: `sql\`SELECT ... WHERE model_id = ${modelId}\`` with every value through `literal()`. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): string {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += literal(value) + (strings[index + 1] ?? '');
  });
  return text;
}

/** The same as `sql`, but composable inside another `sql` template. */
export function fragment(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  return new SqlFragment(sql(strings, ...values));
}

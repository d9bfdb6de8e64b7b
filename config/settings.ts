// Every setting Driftwatch reads, with its environment variable, config-file key,
// parser and default. One table so the README, the parser and the errors agree.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Parser<T> = (raw: unknown) => T;

export interface SettingSpec<T> {
  /** Dotted key in the JSON config file, e.g. `kafka.brokers`. */
  key: string;
  env: string;
  default: T;
  parse: Parser<T>;
  doc: string;
}

function fail(message: string): never {
  throw new ConfigError(message);
}

export const asString: Parser<string> = (raw) => {
  if (typeof raw !== 'string' || raw.length === 0) fail('must be a non-empty string');
  return raw;
};

export const asOptionalString: Parser<string> = (raw) => {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') fail('must be a string');
  return raw;
};

export function asInteger(min: number, max: number): Parser<number> {
  return (raw) => {
    const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) fail('must be an integer');
    if (value < min || value > max) fail(`must be between ${min} and ${max}`);
    return value;
  };
}

export const asStringList: Parser<string[]> = (raw) => {
  const items = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(items)) fail('must be a comma-separated list or an array of strings');
  const list = items.map((item) => {
    if (typeof item !== 'string') fail('must contain only strings');
    return item.trim();
  }).filter((item) => item.length > 0);
  if (list.length === 0) fail('must not be empty');
  return list;
};

export function asUrl(protocols: string[]): Parser<string> {
  return (raw) => {
    const text = asString(raw);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      fail(`must be a URL such as http://127.0.0.1:18123, got "${text}"`);
    }
    if (!protocols.includes(url.protocol)) fail(`must use ${protocols.join(' or ')}, got "${url.protocol}"`);
    return text.replace(/\/+$/, '');
  };
}

export function asEnum<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    if (typeof raw !== 'string' || !(values as readonly string[]).includes(raw)) {
      fail(`must be one of ${values.join(', ')}`);
    }
    return raw as T;
  };
}

/** ClickHouse identifiers we create ourselves: keep them boring so they never need quoting. */
export const asIdentifier: Parser<string> = (raw) => {
  const text = asString(raw);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(text)) fail('must match [A-Za-z_][A-Za-z0-9_]* (at most 64 characters)');
  return text;
};

export const asTopicName: Parser<string> = (raw) => {
  const text = asString(raw);
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(text)) fail('must be a Kafka topic name ([A-Za-z0-9._-], at most 249 characters)');
  return text;
};

export const asBoolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  fail('must be true/false or 1/0');
};

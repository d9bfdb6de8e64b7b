import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EVENT_SCHEMAS, type EventByKind, type EventKind } from './events.js';
import { compileOnFirstUse } from './compile-on-first-use.js';
import type { Rejection } from './rejections.js';

const ajv = new Ajv({ allErrors: false, strict: false });

const validators = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS).map(([kind, schema]) => [kind, compileOnFirstUse(ajv, schema)]),
) as { [K in EventKind]: () => ValidateFunction<EventByKind[K]> };

/** One sentence naming the field and the problem, e.g. `/features/age: must be number, string, boolean or null`. */
export function describeSchemaError(error: ErrorObject): string {
  const field = error.instancePath === '' ? 'event' : error.instancePath;
  // A failure inside propertyNames is about a key, not a value.
  if (error.propertyName !== undefined) return `${field}: key "${error.propertyName.slice(0, 64)}" must be 1 to 256 characters long`;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field "${String(error.params.additionalProperty)}"`;
    case 'required':
      return `${field}: missing required field "${String(error.params.missingProperty)}"`;
    case 'propertyNames':
      return `${field}: has a key that is empty or longer than 256 characters`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}

const TYPE_NAMES: Record<string, string> = {
  'number,string,boolean,null': 'a number, string, boolean or null',
  'number,string,boolean': 'a number, string or boolean',
  'string,integer': 'an RFC 3339 string or integer epoch milliseconds',
};

export function validateEvent<K extends EventKind>(kind: K, value: unknown): { ok: true; event: EventByKind[K] } | { ok: false; rejection: Rejection } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, rejection: { code: 'schema_violation', message: 'event: must be a JSON object' } };
  }
  const validate = validators[kind]() as ValidateFunction<EventByKind[K]>;
  if (validate(value)) return { ok: true, event: value };
  const error = validate.errors?.[0];
  if (!error) return { ok: false, rejection: { code: 'schema_violation', message: 'event: is invalid' } };
  const expected = error.keyword === 'type' ? TYPE_NAMES[String(error.params.type)] : undefined;
  const message = expected ? `${error.instancePath || 'event'}: must be ${expected}` : describeSchemaError(error);
  return { ok: false, rejection: { code: 'schema_violation', message } };
}

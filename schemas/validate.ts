import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EVENT_SCHEMAS, type EventByKind, type EventKind } from './events.js';
import type { Rejection } from './rejections.js';

const ajv = new Ajv({ allErrors: false, strict: false });

const validators = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]),
) as { [K in EventKind]: ValidateFunction<EventByKind[K]> };

/** One sentence naming the field and the problem, e.g. `/features/age: must be number, string, boolean or null`. */
export function describeSchemaError(error: ErrorObject): string {
  const field = error.instancePath === '' ? 'event' : error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field "${String(error.params.additionalProperty)}"`;
    case 'required':
      return `${field}: missing required field "${String(error.params.missingProperty)}"`;
    case 'anyOf':
      return `${field}: has the wrong type`;
    case 'propertyNames':
      return `${field}: has a key that is empty or longer than 256 characters`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}

// anyOf reports the failure of each branch first; name the union's own expectation instead.
const UNION_EXPECTATIONS: Record<string, string> = {
  '/timestamp': 'must be an RFC 3339 string or integer epoch milliseconds',
  '/prediction': 'must be a number, string or boolean',
  '/label': 'must be a number, string or boolean',
};

export function validateEvent<K extends EventKind>(kind: K, value: unknown): { ok: true; event: EventByKind[K] } | { ok: false; rejection: Rejection } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, rejection: { code: 'schema_violation', message: 'event: must be a JSON object' } };
  }
  const validate = validators[kind] as ValidateFunction<EventByKind[K]>;
  if (validate(value)) return { ok: true, event: value };
  const error = validate.errors?.[0];
  if (!error) return { ok: false, rejection: { code: 'schema_violation', message: 'event: is invalid' } };
  // A failing branch of a union (anyOf) points into the union's path; describe the union.
  const unionPath = Object.keys(UNION_EXPECTATIONS).find((path) => error.instancePath === path);
  const featureUnion = /^\/features\/[^/]+$/.test(error.instancePath);
  const message = unionPath
    ? `${unionPath}: ${UNION_EXPECTATIONS[unionPath]}`
    : featureUnion && error.keyword === 'type'
      ? `${error.instancePath}: must be a number, string, boolean or null`
      : describeSchemaError(error);
  return { ok: false, rejection: { code: 'schema_violation', message } };
}

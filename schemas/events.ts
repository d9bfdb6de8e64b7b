// Event contract, version 1. These TypeBox schemas are the single source of truth: the
// TypeScript types below are derived from them, Ajv compiles them for validation, and the
// API serves them in its OpenAPI document.
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

export const CONTRACT_VERSION = 1;

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });

export const ModelId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$',
  description: 'Model name: letters, digits and . _ : / - (starting with a letter or digit)',
});

// Unions of primitive types are written as JSON Schema type arrays, not anyOf: one type
// check per value instead of a failed branch (and an error object) per alternative, which
// matters on the ingest hot path. Length limits apply to the string case only.
export const Timestamp = Type.Unsafe<string | number>({
  type: ['string', 'integer'],
  minLength: 10,
  maxLength: 40,
  description: 'When the event happened: an RFC 3339 date-time (e.g. 2026-11-27T10:15:00Z or 2026-11-27T11:15:00.250+01:00) or integer Unix epoch milliseconds',
});

export const FeatureValue = Type.Unsafe<number | string | boolean | null>({
  type: ['number', 'string', 'boolean', 'null'],
  maxLength: 4096,
});

export const Features = NamedValues(FeatureValue, {
  maxProperties: 2000,
  description: 'Feature name -> value (number, string, boolean, or null for missing)',
});

/**
 * An object of name -> value. TypeBox's Record emits `patternProperties: {"^(.*)$": ...}`,
 * which makes the validator run a regular expression per key; `additionalProperties`
 * says the same without it.
 */
function NamedValues<T extends TSchema>(value: T, options: { maxProperties: number; description: string }): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({
    type: 'object',
    additionalProperties: value,
    propertyNames: { minLength: 1, maxLength: 256 },
    ...options,
  });
}

export const PredictionValue = Type.Unsafe<number | string | boolean>({ type: ['number', 'string', 'boolean'], maxLength: 4096 });

export const PredictionEvent = Type.Object({
  event_id: Name('Unique per prediction; joins feature logs and labels, deduplicates redeliveries'),
  model_id: ModelId,
  model_version: Type.String({ minLength: 1, maxLength: 128 }),
  timestamp: Timestamp,
  features: Type.Optional(Features),
  prediction: PredictionValue,
  score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Probability of the positive class' })),
  scores: Type.Optional(NamedValues(Type.Number({ minimum: 0, maximum: 1 }), {
    maxProperties: 1000,
    description: 'Class -> probability',
  })),
  segments: Type.Optional(NamedValues(Type.String({ maxLength: 1024 }), {
    maxProperties: 100,
    description: 'Segment name -> value, e.g. {"country": "DE"}',
  })),
}, { additionalProperties: false, $id: 'PredictionEvent', title: 'Prediction log event (v1)' });

export const FeatureLogEvent = Type.Object({
  event_id: Name('The event_id of the prediction these features belong to'),
  model_id: ModelId,
  timestamp: Timestamp,
  features: Features,
}, { additionalProperties: false, $id: 'FeatureLogEvent', title: 'Feature log event (v1)' });

export const LabelEvent = Type.Object({
  event_id: Name('The event_id of the prediction this label is the ground truth for'),
  model_id: ModelId,
  timestamp: Timestamp,
  label: PredictionValue,
}, { additionalProperties: false, $id: 'LabelEvent', title: 'Ground-truth label event (v1)' });

export type PredictionEvent = Static<typeof PredictionEvent>;
export type FeatureLogEvent = Static<typeof FeatureLogEvent>;
export type LabelEvent = Static<typeof LabelEvent>;
export type FeatureValue = Static<typeof FeatureValue>;

export const EVENT_KINDS = ['prediction', 'feature_log', 'label'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const EVENT_SCHEMAS = {
  prediction: PredictionEvent,
  feature_log: FeatureLogEvent,
  label: LabelEvent,
} as const;

export interface EventByKind {
  prediction: PredictionEvent;
  feature_log: FeatureLogEvent;
  label: LabelEvent;
}

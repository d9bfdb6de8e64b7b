// Stable codes for why an event was set aside. They travel in the dead-letter header
// `dlq-reason`, in HTTP per-record errors and in the rejected-events metric label.
export const REJECTION_CODES = {
  oversize: 'the event is larger than ingest.maxMessageBytes',
  empty: 'the message has no body',
  invalid_utf8: 'the bytes are not valid UTF-8',
  invalid_json: 'the body is not valid JSON',
  schema_violation: 'the event does not match the contract (a field is missing, mistyped or unknown)',
  invalid_timestamp: 'the timestamp is not RFC 3339 / epoch milliseconds, or is out of the accepted range',
  storage_rejected: 'ClickHouse refused the row even on its own (never expected for a validated event)',
} as const;

export type RejectionCode = keyof typeof REJECTION_CODES;

export interface Rejection {
  code: RejectionCode;
  /** Human-readable detail: which field, what was wrong, what to send instead. */
  message: string;
}

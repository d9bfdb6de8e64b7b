// Stable API error codes, one registry. Every error body is {"error":{"code","message"}}.
export const API_ERRORS = {
  DW_UNAUTHORIZED: { status: 401, message: 'send "Authorization: Bearer <token>" with a configured API token' },
  DW_FORBIDDEN: { status: 403, message: 'this token lacks the scope this route needs' },
  DW_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  DW_EMPTY_BATCH: { status: 400, message: 'send a JSON array, a JSON object or NDJSON with at least one event' },
  DW_ALL_REJECTED: { status: 400, message: 'every event in the batch was rejected; see errors' },
  DW_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'send application/json or application/x-ndjson' },
  DW_PAYLOAD_TOO_LARGE: { status: 413, message: 'the body exceeds http.bodyLimitBytes; send smaller batches' },
  DW_NOT_FOUND: { status: 404, message: 'no such route' },
  DW_INVALID_MONITOR: { status: 400, message: 'the monitor definition is invalid; the message names the field' },
  DW_MONITOR_NOT_FOUND: { status: 404, message: 'no monitor with this id' },
  DW_MONITOR_EXISTS: { status: 409, message: 'a monitor with this id exists; PUT /v1/monitors/:id replaces it' },
  DW_INVALID_RULE: { status: 400, message: 'the alert rule definition is invalid; the message names the field' },
  DW_RULE_NOT_FOUND: { status: 404, message: 'no alert rule with this id' },
  DW_RULE_EXISTS: { status: 409, message: 'an alert rule with this id exists; PUT /v1/rules/:id replaces it' },
  DW_INVALID_SILENCE: { status: 400, message: 'the silence is invalid; the message names the field' },
  DW_SILENCE_NOT_FOUND: { status: 404, message: 'no silence with this id' },
  DW_SILENCE_EXISTS: { status: 409, message: 'a silence with this id exists; expire it and create another' },
  DW_INVALID_DEFINITION: { status: 400, message: 'the channel, subscription or retraining target is invalid; the message names the field' },
  DW_DEFINITION_NOT_FOUND: { status: 404, message: 'no channel, subscription or retraining target with this id' },
  DW_DEFINITION_EXISTS: { status: 409, message: 'one with this id exists; PUT replaces it' },
  DW_TRIGGER_NOT_FOUND: { status: 404, message: 'no retraining run with this id' },
  DW_TRIGGER_CONFLICT: { status: 409, message: 'the retraining run is not in a state that allows this' },
  DW_TRIGGER_UNAUTHORIZED: { status: 401, message: 'unknown retraining run or wrong callback token' },
  DW_INVALID_REFERENCE_FILE: { status: 400, message: 'the reference file has errors; nothing was stored' },
  DW_REFERENCE_NOT_FOUND: { status: 404, message: 'no reference dataset with this name' },
  DW_UNAVAILABLE: { status: 503, message: 'a backing service is unavailable; nothing from this request was accepted, retry later' },
  DW_INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(readonly code: ApiErrorCode, message?: string, readonly details?: unknown) {
    super(message ?? API_ERRORS[code].message);
    this.status = API_ERRORS[code].status;
  }
}

export function errorBody(code: ApiErrorCode, message: string, details?: unknown): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

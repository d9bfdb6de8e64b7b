/**
 * The monitor created for a model the first time its events are seen: every feature,
 * prediction and score, 1h windows against the trailing 7 days, defaults elsewhere.
 */
import { createHash } from 'node:crypto';
import { parseMonitor, type Monitor } from './definition.js';

export const DEFAULT_MONITOR_ID_PREFIX = 'default:';
const MAX_ID_LENGTH = 128;
const HASH_LENGTH = 8;

/**
 * `default:<model id>`. Model ids may hold '/', which monitor ids may not; any character
 * outside [A-Za-z0-9._:-] becomes '_', and then a hash of the raw model id is appended
 * (`default:fraud_eu:3fa1c2d9`) so that "fraud/eu" and "fraud_eu" keep different monitors.
 * An id that would exceed 128 characters is shortened the same way.
 */
export function defaultMonitorId(modelId: string): string {
  const sanitized = modelId.replace(/[^A-Za-z0-9._:-]/g, '_');
  const plain = `${DEFAULT_MONITOR_ID_PREFIX}${sanitized}`;
  if (sanitized === modelId && plain.length <= MAX_ID_LENGTH) return plain;
  const hash = createHash('sha256').update(modelId, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  const room = MAX_ID_LENGTH - DEFAULT_MONITOR_ID_PREFIX.length - 1 - HASH_LENGTH;
  return `${DEFAULT_MONITOR_ID_PREFIX}${sanitized.slice(0, room)}:${hash}`;
}

/** Throws MonitorDefinitionError (field `model_id`) for a model id events could not carry. */
export function defaultMonitor(modelId: string): Monitor {
  return parseMonitor({ id: defaultMonitorId(modelId), model_id: modelId });
}

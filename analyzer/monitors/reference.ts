/**
 * Which data a window is compared with. Pure: the caller reads the data.
 *
 * `key` identifies the reference's data, so what is computed from a frozen reference (the
 * bin edges and categories in reference_profiles) is computed once and found again. Model
 * ids and versions may contain ':', so each part of a key is percent-encoded (and a literal
 * "*" too, which stands for "all versions"): two different references never share a key.
 */
import { formatDuration, formatTimestamp, type Monitor } from './definition.js';
import type { TimeWindow } from './windows.js';

export type ResolvedReference =
  | {
    kind: 'traffic';
    /** Epoch ms, inclusive. */
    from: number;
    /** Epoch ms, exclusive. */
    to: number;
    /** The version whose traffic is read; null: all versions. */
    modelVersion: string | null;
    key: string;
    description: string;
    /** true: bins are computed once for `key` and reused (fixed spans). */
    frozen: boolean;
  }
  | { kind: 'dataset'; dataset: string; key: string; description: string; frozen: true };

function keyPart(text: string): string {
  return encodeURIComponent(text).replace(/\*/g, '%2A');
}

function versionPart(modelVersion: string | null): string {
  return modelVersion === null ? '*' : keyPart(modelVersion);
}

export function resolveReference(monitor: Pick<Monitor, 'modelId' | 'modelVersion' | 'reference'>, window: TimeWindow): ResolvedReference {
  const model = keyPart(monitor.modelId);
  const reference = monitor.reference;
  switch (reference.type) {
    case 'trailing': {
      const to = window.start - reference.offsetMs;
      const from = to - reference.lengthMs;
      const ending = reference.offsetMs === 0 ? 'at window start' : `${formatDuration(reference.offsetMs)} before window start`;
      return {
        kind: 'traffic', from, to, modelVersion: monitor.modelVersion, frozen: false,
        key: `trailing:${model}:${versionPart(monitor.modelVersion)}:${from}:${to}`,
        description: `trailing ${formatDuration(reference.lengthMs)} ending ${ending}`,
      };
    }
    case 'fixed':
      return {
        kind: 'traffic', from: reference.fromMs, to: reference.toMs, modelVersion: monitor.modelVersion, frozen: true,
        key: `fixed:${model}:${versionPart(monitor.modelVersion)}:${reference.fromMs}:${reference.toMs}`,
        description: `fixed ${formatTimestamp(reference.fromMs)} .. ${formatTimestamp(reference.toMs)}`,
      };
    case 'dataset':
      return {
        kind: 'dataset', dataset: reference.dataset, frozen: true,
        key: `dataset:${keyPart(reference.dataset)}`,
        description: `dataset ${reference.dataset}`,
      };
    case 'version':
      return {
        kind: 'traffic', from: window.start, to: window.end, modelVersion: reference.modelVersion, frozen: false,
        key: `version:${model}:${keyPart(reference.modelVersion)}:${window.start}:${window.end}`,
        description: `version ${reference.modelVersion} in the same window`,
      };
  }
}

/**
 * The events the current window would hold at the reference's rate: referenceCount scaled
 * from the reference span to the window length. null for datasets, which have no rate.
 */
export function expectedCount(referenceCount: number, reference: ResolvedReference, windowMs: number): number | null {
  if (reference.kind !== 'traffic') return null;
  const spanMs = reference.to - reference.from;
  if (!(spanMs > 0) || !Number.isFinite(referenceCount)) return null;
  return referenceCount * (windowMs / spanMs);
}

/** Relative volume change: current / expected - 1; null when there is nothing to compare with. */
export function volumeChange(current: number, expected: number | null): number | null {
  if (expected === null || expected === 0 || !Number.isFinite(expected)) return null;
  return current / expected - 1;
}

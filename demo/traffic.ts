// Synthetic traffic for the demo and the benchmarks: a credit-risk-like model with numeric
// and categorical features, a seeded PRNG (reproducible runs), an optional drift that
// starts at a given time, and labels for a share of predictions.
import type { LabelEvent, PredictionEvent } from '../schemas/events.js';

/** mulberry32: tiny, fast, good enough for synthetic data, identical on every run. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface TrafficOptions {
  modelId: string;
  modelVersion: string;
  numericFeatures: number;
  categoricalFeatures: number;
  /** Mean shift, in standard deviations, applied to the first half of numeric features once drifting. */
  driftShift: number;
  seed: number;
}

const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
const COUNTRIES = ['DE', 'FR', 'US', 'BR', 'IN'];

export class TrafficGenerator {
  private readonly random: () => number;
  private sequence = 0;

  constructor(private readonly options: TrafficOptions) {
    this.random = createRandom(options.seed);
  }

  prediction(timestampMs: number, drifting: boolean): PredictionEvent {
    const { numericFeatures, categoricalFeatures } = this.options;
    const features: Record<string, number | string | boolean | null> = {};
    let logit = 0;
    for (let i = 0; i < numericFeatures; i += 1) {
      const shift = drifting && i < numericFeatures / 2 ? this.options.driftShift : 0;
      const value = Math.round((50 + 10 * (normal(this.random) + shift)) * 1000) / 1000;
      features[`num_${i}`] = this.random() < 0.01 ? null : value;
      if (i < 3) logit += (value - 50) / 20;
    }
    for (let i = 0; i < categoricalFeatures; i += 1) {
      const skew = drifting && i === 0 ? 0.5 : 1;
      const index = Math.min(CATEGORIES.length - 1, Math.floor(CATEGORIES.length * this.random() ** skew));
      features[`cat_${i}`] = CATEGORIES[index]!;
    }
    const score = 1 / (1 + Math.exp(-logit));
    this.sequence += 1;
    return {
      event_id: `${this.options.modelId}-${this.options.seed}-${this.sequence}`,
      model_id: this.options.modelId,
      model_version: this.options.modelVersion,
      timestamp: timestampMs,
      features,
      prediction: score >= 0.5,
      score: Math.round(score * 1e6) / 1e6,
      segments: { country: COUNTRIES[Math.floor(this.random() * COUNTRIES.length)]! },
    };
  }

  /** Ground truth that agrees with the model ~85% of the time (less when drifting). */
  label(prediction: PredictionEvent, timestampMs: number, drifting: boolean): LabelEvent {
    const correct = this.random() < (drifting ? 0.7 : 0.85);
    return {
      event_id: prediction.event_id,
      model_id: prediction.model_id,
      timestamp: timestampMs,
      label: correct ? prediction.prediction : !prediction.prediction,
    };
  }
}

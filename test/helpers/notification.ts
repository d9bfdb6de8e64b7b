// A complete alert notification for delivery tests; override what a test is about.
import type { AlertNotification } from '../../alerting/notification.js';

export const SAMPLE_FEATURES = ['transaction_amount', 'merchant_category', 'customer_age'];

export function sampleNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  const start = Date.UTC(2026, 10, 20, 12);
  return {
    kind: 'firing',
    idempotencyKey: '3f2a9c41d07b8e65aa10c2d4e9f8b7a6c5d4e3f2',
    ruleId: 'fraud-drift',
    ruleName: 'Fraud features drift',
    severity: 'critical',
    modelId: 'fraud',
    modelVersion: 'v3',
    monitorId: 'fraud-hourly',
    segment: null,
    window: { start, end: start + 3_600_000 },
    reference: { kind: 'fixed', description: 'training set 2026-10' },
    items: SAMPLE_FEATURES.map((column, i) => ({
      column, metric: 'psi', value: 0.25 + i / 10, operator: '>' as const, threshold: 0.2, details: { ks_p_value: 1e-6 },
    })),
    labels: { team: 'risk' },
    annotations: { summary: 'Fraud features drift on fraud', description: '3 features drifted', runbookUrl: 'https://runbooks.example.com/drift' },
    link: 'https://driftwatch.example.com/ui/models/fraud',
    firingSince: start,
    createdAt: start + 3_720_000,
    ...overrides,
  };
}

// Alert notifications for delivery and rendering tests; override what a test is about.
import type { AlertNotification } from '../../alerting/notification.js';

export const SAMPLE_FEATURES = ['transaction_amount', 'merchant_category', 'customer_age'];
export const SAMPLE_IDEMPOTENCY_KEY = '3f2a9c41d07b8e65aa10c2d4e9f8b7a6c5d4e3f2';

/** A complete firing alert: three features of model fraud drifted in the hour from 2026-11-20 12:00 UTC. */
export function sampleNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  const start = Date.UTC(2026, 10, 20, 12);
  return {
    kind: 'firing',
    idempotencyKey: SAMPLE_IDEMPOTENCY_KEY,
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

/**
 * The alert the unit tests of rendering and message encoding assert against: rule r-1
 * (any-feature-drifts) on model fraud v3, window 2024-05-01 12:00–13:00 UTC, created at
 * 13:05, feature age over PSI 0.2, no firingSince and no runbook.
 */
export function may2024Notification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return sampleNotification({
    idempotencyKey: 'grp-1:firing:1714568400000',
    ruleId: 'r-1',
    ruleName: 'any-feature-drifts',
    monitorId: 'fraud-default',
    window: { start: Date.UTC(2024, 4, 1, 12), end: Date.UTC(2024, 4, 1, 13) },
    reference: { kind: 'fixed', description: 'training set' },
    items: [{ column: 'age', metric: 'psi', value: 0.3, operator: '>', threshold: 0.2, details: {} }],
    annotations: { summary: 'drift on fraud', description: '', runbookUrl: null },
    link: 'https://driftwatch.example.com/m/fraud',
    firingSince: null,
    createdAt: Date.UTC(2024, 4, 1, 13, 5),
    ...overrides,
  });
}

/**
 * may2024Notification as the email and Slack renderers show it: all versions, three
 * features drifted by three different tests (PSI, KS, chi-square), firing since 11:00,
 * with a runbook and a link into the window.
 */
export function inputDriftNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return may2024Notification({
    modelVersion: null,
    reference: { kind: 'fixed', description: 'training set 2024-04' },
    items: [
      { column: 'age', metric: 'psi', value: 0.31234, operator: '>', threshold: 0.2, details: { ks_p_value: 3.2e-7 } },
      { column: 'amount', metric: 'ks_p_value', value: 1.5e-9, operator: '<', threshold: 0.01, details: { psi: 0.15 } },
      { column: 'country', metric: 'chi_square_p_value', value: 0.0004, operator: '<', threshold: 0.01, details: { unseen_share: 0.02 } },
    ],
    annotations: { summary: 'Input drift on fraud', description: 'Three features drifted.', runbookUrl: 'https://wiki.example.com/runbooks/drift' },
    link: 'https://driftwatch.example.com/models/fraud?window=2024-05-01T12:00Z',
    firingSince: Date.UTC(2024, 4, 1, 11),
    ...overrides,
  });
}

/**
 * What a channel (Slack, email, webhook, retraining trigger) is asked to deliver: one
 * message per rule, model and evaluation, listing every item (feature or window-level
 * figure) that crossed the rule, with its numbers. Built by the evaluator from stored
 * analyzer results and the alert state machine; rendered by alerting/render/*.
 */
export type Severity = 'info' | 'warning' | 'critical';

export type ComparisonOperator = '>' | '>=' | '<' | '<=' | '==' | '!=';

export type NotificationKind = 'firing' | 'repeat' | 'resolved';

export interface NotificationItem {
  /** The column (feature, "prediction", "score"); null for window-level figures (drift share, volume, accuracy). */
  column: string | null;
  metric: string;
  /** The value that was compared; null when the metric could not be computed. */
  value: number | null;
  operator: ComparisonOperator;
  threshold: number;
  /** Extra figures worth showing next to it (e.g. p-value, PSI, reference value, label count). */
  details: Record<string, number | string | null>;
}

export interface AlertNotification {
  kind: NotificationKind;
  /** Stable per (alert group, transition): receivers deduplicate deliveries with it. */
  idempotencyKey: string;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  modelId: string;
  /** null: every version together. */
  modelVersion: string | null;
  monitorId: string;
  segment: { name: string; value: string } | null;
  /** The analysed window that was evaluated (epoch ms). */
  window: { start: number; end: number };
  reference: { kind: string; description: string };
  items: NotificationItem[];
  labels: Record<string, string>;
  /** Rendered templates (summary, description, runbook link). */
  annotations: { summary: string; description: string; runbookUrl: string | null };
  /** Where the UI shows this model's results. */
  link: string;
  /** When the alert group started firing, and when this notification was produced (epoch ms). */
  firingSince: number | null;
  createdAt: number;
}

/** The columns an alert lists, in item order, each once (window-level items have none). */
export function alertColumns(notification: Pick<AlertNotification, 'items'>): string[] {
  return [...new Set(notification.items.flatMap((item) => (item.column === null ? [] : [item.column])))];
}

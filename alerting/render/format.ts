/**
 * How numbers, times and names read in alert messages. Slack and email both use these,
 * so "PSI 0.312" reads the same everywhere. Output is plain text: each channel escapes it
 * for its own markup.
 */
import type { AlertNotification, ComparisonOperator, NotificationItem, NotificationKind, Severity } from '../notification.js';

// ---------------------------------------------------------------------------------------
// Metric vocabulary. Names are the analyzer's result columns (analyzer/service/result-store.ts)
// and the performance metrics (analyzer/performance/decay.ts).

type ValueStyle = 'p-value' | 'share' | 'signed-share' | 'fixed3' | 'count' | 'general';

const METRICS: Readonly<Record<string, { label: string; style: ValueStyle }>> = {
  psi: { label: 'PSI', style: 'fixed3' },
  jensen_shannon: { label: 'Jensen-Shannon distance', style: 'fixed3' },
  ks_statistic: { label: 'KS statistic', style: 'fixed3' },
  ks_p_value: { label: 'KS p-value', style: 'p-value' },
  chi_square_statistic: { label: 'chi-square statistic', style: 'general' },
  chi_square_p_value: { label: 'chi-square p-value', style: 'p-value' },
  p_value: { label: 'p-value', style: 'p-value' },
  adjusted_p_value: { label: 'adjusted p-value', style: 'p-value' },
  wasserstein: { label: 'Wasserstein distance', style: 'general' },
  wasserstein_normed: { label: 'Wasserstein / reference std', style: 'fixed3' },
  missing_share: { label: 'missing share', style: 'share' },
  reference_missing_share: { label: 'reference missing share', style: 'share' },
  out_of_range_share: { label: 'out-of-range share', style: 'share' },
  unseen_share: { label: 'unseen-category share', style: 'share' },
  drift_share: { label: 'drifted-feature share', style: 'share' },
  drifted_columns: { label: 'drifted features', style: 'count' },
  tested_columns: { label: 'tested features', style: 'count' },
  drifted: { label: 'drifted', style: 'count' },
  volume_change: { label: 'volume change', style: 'signed-share' },
  current_count: { label: 'rows', style: 'count' },
  row_count: { label: 'rows', style: 'count' },
  expected_count: { label: 'expected rows', style: 'count' },
  reference_count: { label: 'reference rows', style: 'count' },
  prediction_count: { label: 'predictions', style: 'count' },
  labeled_count: { label: 'labelled rows', style: 'count' },
  label_count: { label: 'labels', style: 'count' },
  reference_labeled_count: { label: 'reference labelled rows', style: 'count' },
  label_coverage: { label: 'label coverage', style: 'share' },
  accuracy: { label: 'accuracy', style: 'fixed3' },
  precision: { label: 'precision', style: 'fixed3' },
  recall: { label: 'recall', style: 'fixed3' },
  f1: { label: 'F1', style: 'fixed3' },
  roc_auc: { label: 'ROC AUC', style: 'fixed3' },
  log_loss: { label: 'log loss', style: 'fixed3' },
  mae: { label: 'MAE', style: 'general' },
  rmse: { label: 'RMSE', style: 'general' },
  mape: { label: 'MAPE', style: 'share' },
  decay: { label: 'decay', style: 'general' },
  relative_decay: { label: 'relative decay', style: 'signed-share' },
  reference_value: { label: 'reference value', style: 'general' },
};

/** Metrics whose crossing means "this feature drifted" (used for "3 features drifted"). */
const DRIFT_METRICS: ReadonlySet<string> = new Set([
  'psi', 'jensen_shannon', 'ks_statistic', 'ks_p_value', 'chi_square_statistic', 'chi_square_p_value',
  'p_value', 'adjusted_p_value', 'wasserstein', 'wasserstein_normed', 'drifted',
]);

/** `ksPValue` and `ks_p_value` name the same metric: details may come in either spelling. */
function metricKey(metric: string): string {
  if (!/[a-z0-9][A-Z]/.test(metric)) return metric.toLowerCase();
  return metric.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

/** "PSI", "KS p-value", "missing share"; an unknown metric keeps its name with spaces for underscores. */
export function metricDisplayName(metric: string): string {
  return METRICS[metricKey(metric)]?.label ?? metric.replace(/_/g, ' ');
}

export function isDriftMetric(metric: string): boolean {
  return DRIFT_METRICS.has(metricKey(metric));
}

// ---------------------------------------------------------------------------------------
// Numbers

const NOT_AVAILABLE = 'n/a';

/** p-values: scientific below 1e-3 ("1.23e-5"), else four decimals ("0.0123"). */
export function formatPValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return value.toFixed(4);
}

/** Shares as percentages with one decimal; a non-zero share that would round to 0.0% reads "<0.1%". */
export function formatShare(value: number | null, { signed = false }: { signed?: boolean } = {}): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  const percent = value * 100;
  const sign = percent < 0 ? '-' : signed && percent > 0 ? '+' : '';
  if (percent !== 0 && Math.abs(percent) < 0.05) return `${sign}<0.1%`;
  return `${sign}${Math.abs(percent).toFixed(1)}%`;
}

/** PSI and other bounded effect sizes: three decimals. */
export function formatFixed3(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  return value.toFixed(3);
}

/** Counts: integers with thousands separators ("12,345"). */
export function formatCount(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

/** Anything else: four significant digits, scientific when very small or very large. */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NOT_AVAILABLE;
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e7) return value.toExponential(2);
  // Number() drops the trailing zeros toPrecision keeps ("0.1000" -> "0.1").
  return String(Number(value.toPrecision(4)));
}

/** A metric's value (or threshold) in the style that metric reads best in. */
export function formatMetricValue(metric: string, value: number | null): string {
  switch (METRICS[metricKey(metric)]?.style ?? 'general') {
    case 'p-value': return formatPValue(value);
    case 'share': return formatShare(value);
    case 'signed-share': return formatShare(value, { signed: true });
    case 'fixed3': return formatFixed3(value);
    case 'count': return formatCount(value);
    case 'general': return formatNumber(value);
  }
}

const OPERATOR_TEXT: Readonly<Record<ComparisonOperator, string>> = {
  '>': '>', '>=': '≥', '<': '<', '<=': '≤', '==': '=', '!=': '≠',
};

export function operatorText(operator: ComparisonOperator): string {
  return OPERATOR_TEXT[operator];
}

// ---------------------------------------------------------------------------------------
// Time

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const DURATION_UNITS: ReadonlyArray<[number, string]> = [[DAY, 'd'], [HOUR, 'h'], [MINUTE, 'm'], [1000, 's']];

/**
 * "1d 2h", "1h", "1h 30m", "45s": the largest unit and the next one when it is not zero,
 * rounded down to whole seconds. "1d 5s" would hide that the hours are zero, so that is "1d".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return '0s';
  const seconds = Math.floor(ms / 1000) * 1000;
  const first = DURATION_UNITS.findIndex(([size]) => seconds >= size);
  const [size, suffix] = DURATION_UNITS[first]!;
  const parts = [`${Math.floor(seconds / size)}${suffix}`];
  const next = DURATION_UNITS[first + 1];
  if (next !== undefined) {
    const count = Math.floor((seconds % size) / next[0]);
    if (count > 0) parts.push(`${count}${next[1]}`);
  }
  return parts.join(' ');
}

function utcParts(epochMs: number): { date: string; time: string } {
  const iso = new Date(epochMs).toISOString(); // 2024-05-01T12:00:30.000Z
  const seconds = iso.slice(17, 19);
  return { date: iso.slice(0, 10), time: seconds === '00' ? iso.slice(11, 16) : iso.slice(11, 19) };
}

/** "2024-05-01 12:00 UTC" (seconds shown only when not zero). */
export function formatUtc(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return NOT_AVAILABLE;
  const { date, time } = utcParts(epochMs);
  return `${date} ${time} UTC`;
}

/** "2024-05-01 12:00–13:00 UTC (1h)", or both dates when the window spans midnight. */
export function formatWindow(window: { start: number; end: number }): string {
  if (!Number.isFinite(window.start) || !Number.isFinite(window.end)) return NOT_AVAILABLE;
  const start = utcParts(window.start);
  const end = utcParts(window.end);
  const range = start.date === end.date
    ? `${start.date} ${start.time}–${end.time} UTC`
    : `${start.date} ${start.time} – ${end.date} ${end.time} UTC`;
  return `${range} (${formatDuration(window.end - window.start)})`;
}

// ---------------------------------------------------------------------------------------
// Severity and state

const SEVERITY: Readonly<Record<Severity, { label: string; emoji: string }>> = {
  critical: { label: 'CRITICAL', emoji: '🔴' },
  warning: { label: 'WARNING', emoji: '🟠' },
  info: { label: 'INFO', emoji: '🔵' },
};

export const RESOLVED_EMOJI = '✅';

export function severityLabel(severity: Severity): string {
  return SEVERITY[severity].label;
}

export function severityEmoji(severity: Severity): string {
  return SEVERITY[severity].emoji;
}

/** The emoji a message leads with: the severity's while firing, a check mark once resolved. */
export function notificationEmoji(notification: Pick<AlertNotification, 'kind' | 'severity'>): string {
  return notification.kind === 'resolved' ? RESOLVED_EMOJI : severityEmoji(notification.severity);
}

const STATUS: Readonly<Record<NotificationKind, string>> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
};

export function statusLabel(kind: NotificationKind): string {
  return STATUS[kind];
}

// ---------------------------------------------------------------------------------------
// Text helpers shared by the renderers

/** Collapses line breaks, tabs and other control characters to single spaces (subjects, headers, list lines). */
export function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').trim();
}

/**
 * Cuts `text` to at most `max` UTF-16 units, ending with `suffix` when cut. Never splits a
 * surrogate pair. Slack and mail count characters, so UTF-16 length is a safe upper bound.
 */
export function truncate(text: string, max: number, suffix = '…'): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - suffix.length);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + suffix;
}

/** The URL when it is an absolute http(s) URL, else null: only those become links. */
export function safeHttpUrl(candidate: string | null | undefined): string | null {
  if (!candidate) return null;
  try {
    const url = new URL(candidate);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

export function modelText(notification: Pick<AlertNotification, 'modelId' | 'modelVersion'>): string {
  return notification.modelVersion === null ? notification.modelId : `${notification.modelId}@${notification.modelVersion}`;
}

export function versionText(modelVersion: string | null): string {
  return modelVersion ?? 'all versions';
}

export function segmentText(segment: AlertNotification['segment']): string {
  return segment === null ? 'all data' : `${segment.name} = ${segment.value}`;
}

export function referenceText(reference: AlertNotification['reference']): string {
  if (reference.description === '') return reference.kind;
  return `${reference.description} (${reference.kind})`;
}

// ---------------------------------------------------------------------------------------
// What an item and a notification say, in plain text

export interface ItemDescription {
  /** The column, or null for a window-level figure. */
  column: string | null;
  metricLabel: string;
  value: string;
  operator: string;
  threshold: string;
  details: Array<{ label: string; value: string }>;
}

export function describeItem(item: NotificationItem): ItemDescription {
  return {
    column: item.column,
    metricLabel: metricDisplayName(item.metric),
    value: formatMetricValue(item.metric, item.value),
    operator: operatorText(item.operator),
    threshold: formatMetricValue(item.metric, item.threshold),
    details: Object.entries(item.details).map(([key, value]) => ({
      label: metricDisplayName(key),
      value: typeof value === 'number' ? formatMetricValue(key, value) : value === null ? NOT_AVAILABLE : value,
    })),
  };
}

/** "age: PSI 0.312 > 0.200 (KS p-value 1.20e-5, reference value 0.1)" */
export function itemLine(item: NotificationItem): string {
  const d = describeItem(item);
  const subject = d.column === null ? '' : `${singleLine(d.column)}: `;
  const details = d.details.length === 0 ? '' : ` (${d.details.map((x) => `${x.label} ${singleLine(x.value)}`).join(', ')})`;
  return `${subject}${d.metricLabel} ${d.value} ${d.operator} ${d.threshold}${details}`;
}

/**
 * One phrase for what happened: "3 features drifted", "accuracy 0.712 < 0.800",
 * "age: missing share 12.0% > 5.0%", "4 columns crossed the rule", "no longer firing".
 */
export function headline(notification: Pick<AlertNotification, 'kind' | 'items'>): string {
  if (notification.kind === 'resolved') return 'no longer firing';
  const { items } = notification;
  if (items.length === 0) return 'rule firing';
  if (items.length === 1) {
    const d = describeItem(items[0]!);
    const subject = d.column === null ? '' : `${singleLine(d.column)}: `;
    return `${subject}${d.metricLabel} ${d.value} ${d.operator} ${d.threshold}`;
  }
  if (items.every((item) => item.column !== null)) {
    const columns = new Set(items.map((item) => item.column)).size;
    if (items.every((item) => isDriftMetric(item.metric))) return `${columns} ${columns === 1 ? 'feature' : 'features'} drifted`;
    return `${columns} ${columns === 1 ? 'column' : 'columns'} crossed the rule`;
  }
  return `${items.length} conditions met`;
}

/** "[FIRING critical] fraud: 3 features drifted (rule any-feature-drifts)", one line, no markup. */
export function alertTitle(notification: AlertNotification): string {
  return singleLine(
    `[${statusLabel(notification.kind)} ${notification.severity}] ${modelText(notification)}: ` +
      `${headline(notification)} (rule ${notification.ruleName})`,
  );
}

/** Title of the item list: what the items are, depending on the rule and the state. */
export function itemsHeading(notification: Pick<AlertNotification, 'kind' | 'items'>): string {
  if (notification.kind === 'resolved') return 'Last evaluated values';
  const { items } = notification;
  if (items.length > 0 && items.every((item) => item.column !== null && isDriftMetric(item.metric))) return 'Drifted features';
  return 'Conditions met';
}

/**
 * The transitions of one rule evaluation, as the messages channels deliver: per (rule,
 * model, version, monitor, segment) at most one firing-or-repeat notification listing
 * every firing instance (new ones first), and one resolved notification listing what
 * resolved. Muted items (silences, inhibition) are left out; a notification left without
 * items is not sent. Pure: `now` and the UI link come in.
 */
import { createHash } from 'node:crypto';
import { formatTimestamp } from '../../analyzer/monitors/definition.js';
import type { AlertNotification, NotificationItem, NotificationKind } from '../notification.js';
import type { Rule } from '../rules/definition.js';
import type { AlertGroup, RuleEvaluation } from '../rules/evaluate.js';
import { renderTemplate, type TemplateContext } from '../rules/template.js';
import type { InstanceTransition } from './machine.js';
import type { AlertItemContext } from './silences.js';

export interface GroupingInput {
  rule: Rule;
  evaluation: RuleEvaluation;
  /** From transitionGroup (alerting/state/machine.ts). */
  transitions: readonly InstanceTransition[];
  now: number;
  /** Where the UI shows this model's results. */
  link: string;
  /** Why an item must not be delivered (silenced, inhibited), or null; see muteBy in silences.ts. */
  mute?: (context: AlertItemContext) => string | null;
}

export interface MutedItem {
  key: string;
  kind: NotificationKind;
  reason: string;
}

export interface GroupingResult {
  notifications: AlertNotification[];
  muted: MutedItem[];
}

/**
 * Stable per (alert group, transition): the same evaluation replayed or redelivered gives
 * the same key, so receivers (and our own outbox) can drop the duplicate.
 */
export function idempotencyKey(ruleId: string, groupKey: string, kind: NotificationKind, windowStart: number, firingSince: number | null): string {
  return createHash('sha256').update(JSON.stringify(['driftwatch-alert/1', ruleId, groupKey, kind, windowStart, firingSince])).digest('hex').slice(0, 40);
}

export function itemContext(rule: Rule, group: AlertGroup, column: string | null): AlertItemContext {
  return {
    rule_id: rule.id,
    rule_name: rule.name,
    model_id: group.modelId,
    model_version: group.modelVersion,
    monitor_id: group.monitorId,
    severity: rule.severity,
    metric: rule.metric,
    column,
    segment_name: group.segment?.name ?? null,
    segment_value: group.segment?.value ?? null,
    labels: rule.labels,
  };
}

/** Four significant digits; integers as they are. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function itemLine(item: NotificationItem): string {
  const subject = item.column === null ? item.metric : `${item.column}: ${item.metric}`;
  const rule = `${item.operator} ${formatNumber(item.threshold)}`;
  if (item.details.absent !== undefined) return `${item.column ?? item.metric}: no longer in the results`;
  if (item.value === null) return `${subject} = n/a (rule: ${rule}; ${String(item.details.no_data ?? 'no data')})`;
  return `${subject} = ${formatNumber(item.value)} (rule: ${rule})`;
}

/** How the item stands, for the message: new, firing, keep_firing (cleared, held), no_data, resolved[_absent|_no_data]. */
function alertDetail(transition: InstanceTransition): string {
  const { instance, emit } = transition;
  if (emit === 'resolved') return instance.absent ? 'resolved_absent' : instance.breached === null ? 'resolved_no_data' : 'resolved';
  if (emit === 'firing') return 'new';
  return instance.breached === null ? 'no_data' : instance.breached ? 'firing' : 'keep_firing';
}

function toItem(rule: Rule, transition: InstanceTransition): NotificationItem {
  const { instance, next } = transition;
  return {
    column: instance.column,
    metric: instance.metric,
    value: instance.value,
    operator: rule.condition.operator,
    threshold: rule.condition.threshold,
    details: {
      ...instance.details,
      alert: alertDetail(transition),
      firing_since: next.firingSince === null ? null : formatTimestamp(next.firingSince),
    },
  };
}

const byColumn = (a: InstanceTransition, b: InstanceTransition) => {
  const left = a.instance.column ?? '';
  const right = b.instance.column ?? '';
  return left < right ? -1 : left > right ? 1 : 0;
};

function templateContext(rule: Rule, evaluation: RuleEvaluation, kind: NotificationKind, items: NotificationItem[], firingSince: number | null, link: string): TemplateContext {
  const { group } = evaluation;
  return {
    rule_id: rule.id,
    rule_name: rule.name,
    severity: rule.severity,
    kind,
    model_id: group.modelId,
    model_version: group.modelVersion ?? '',
    monitor_id: group.monitorId,
    segment: group.segment === null ? '' : `${group.segment.name}=${group.segment.value}`,
    metric: items[0]?.metric ?? rule.metric,
    operator: rule.condition.operator,
    threshold: formatNumber(rule.condition.threshold),
    items_count: String(items.length),
    columns: items.flatMap((item) => (item.column === null ? [] : [item.column])).join(', '),
    items: items.map(itemLine).join('\n'),
    window_start: formatTimestamp(evaluation.window.start),
    window_end: formatTimestamp(evaluation.window.end),
    firing_since: firingSince === null ? '' : formatTimestamp(firingSince),
    reference: evaluation.reference.description,
    link,
    labels: rule.labels,
  };
}

function notification(input: GroupingInput, kind: NotificationKind, transitions: InstanceTransition[]): AlertNotification {
  const { rule, evaluation, now, link } = input;
  const items = transitions.map((transition) => toItem(rule, transition));
  const starts = transitions.flatMap((transition) => (transition.next.firingSince === null ? [] : [transition.next.firingSince]));
  const firingSince = starts.length === 0 ? null : Math.min(...starts);
  const context = templateContext(rule, evaluation, kind, items, firingSince, link);
  const { group } = evaluation;
  return {
    kind,
    idempotencyKey: idempotencyKey(rule.id, evaluation.groupKey, kind, evaluation.window.start, firingSince),
    ruleId: rule.id,
    ruleName: rule.name,
    severity: rule.severity,
    modelId: group.modelId,
    modelVersion: group.modelVersion,
    monitorId: group.monitorId,
    segment: group.segment,
    window: { ...evaluation.window },
    reference: { ...evaluation.reference },
    items,
    labels: { ...rule.labels },
    annotations: {
      summary: renderTemplate(rule.annotations.summary, context),
      description: renderTemplate(rule.annotations.description, context),
      runbookUrl: rule.annotations.runbookUrl === null ? null : renderTemplate(rule.annotations.runbookUrl, context),
    },
    link,
    firingSince,
    createdAt: now,
  };
}

export function groupNotifications(input: GroupingInput): GroupingResult {
  const muted: MutedItem[] = [];
  const deliverable = input.transitions.filter((transition) => {
    if (transition.emit === null) return false;
    const reason = input.mute?.(itemContext(input.rule, input.evaluation.group, transition.instance.column)) ?? null;
    if (reason !== null) muted.push({ key: transition.instance.key, kind: transition.emit, reason });
    return reason === null;
  });
  const notifications: AlertNotification[] = [];
  const fresh = deliverable.filter((transition) => transition.emit === 'firing').sort(byColumn);
  const ongoing = deliverable.filter((transition) => transition.emit === 'repeat').sort(byColumn);
  // New instances make it a 'firing' message; the still-firing ones come along as context.
  if (fresh.length > 0 || ongoing.length > 0) notifications.push(notification(input, fresh.length > 0 ? 'firing' : 'repeat', [...fresh, ...ongoing]));
  const resolved = deliverable.filter((transition) => transition.emit === 'resolved').sort(byColumn);
  if (resolved.length > 0) notifications.push(notification(input, 'resolved', resolved));
  return { notifications, muted };
}

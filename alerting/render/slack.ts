/**
 * An alert notification as a Slack chat.postMessage body: Block Kit blocks plus the
 * `text` fallback Slack shows in notifications and screen readers.
 *
 * Everything user-provided (model ids, feature names, annotations, labels) goes through
 * `escapeMrkdwn`, and every mrkdwn object is `verbatim`, so a feature called
 * "<!channel>" or a URL in a description neither pings anyone nor becomes a link.
 * Slack's limits are kept here, not hoped for: 50 blocks, 3000 characters per text,
 * 2000 per field, 10 fields per section, 150 per header; long item lists end with
 * "… and N more".
 */
import type { ActionsBlock, Button, ContextBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { AlertNotification, NotificationItem } from '../notification.js';
import {
  alertTitle, describeItem, formatDuration, formatUtc, formatWindow, headline, itemsHeading, modelText,
  notificationEmoji, referenceText, safeHttpUrl, segmentText, severityLabel, singleLine, statusLabel, truncate, versionText,
} from './format.js';

export const SLACK_LIMITS = {
  blocks: 50,
  text: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  buttonText: 75,
  buttonUrl: 3000,
  contextElements: 10,
} as const;

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks (mrkdwn, escaped). */
  text: string;
  blocks: KnownBlock[];
}

export interface SlackMessageOptions {
  /** Items listed before "… and N more"; the block limit may cut earlier. Default 20. */
  maxItems?: number;
}

const DEFAULT_MAX_ITEMS = 20;

/** Slack's three control characters as entities; the rest of mrkdwn has no escape. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts already-escaped mrkdwn without leaving half an entity ("&am") at the end, which
 * Slack would show as text.
 */
export function truncateMrkdwn(text: string, max: number, suffix = '…'): string {
  if (text.length <= max) return text;
  const cut = truncate(text, max - suffix.length, '');
  return cut.replace(/&[a-z]{0,3}$/, '') + suffix;
}

/**
 * An identifier (feature, model id) as inline code, so underscores in "is_fraud_flag"
 * do not turn into italics. Names Slack cannot put in a code span stay plain.
 */
function code(identifier: string): string {
  const flat = singleLine(identifier);
  if (flat === '') return '(empty)';
  if (flat.includes('`')) return escapeMrkdwn(flat);
  return `\`${escapeMrkdwn(flat)}\``;
}

function mrkdwn(text: string, max: number = SLACK_LIMITS.text): MrkdwnElement {
  return { type: 'mrkdwn', text: truncateMrkdwn(text, max), verbatim: true };
}

function field(label: string, value: string): MrkdwnElement {
  return mrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.fieldText);
}

function itemLine(item: NotificationItem): string {
  const d = describeItem(item);
  const subject = d.column === null ? '' : `${code(d.column)} — `;
  const details = d.details.map((x) => ` · ${escapeMrkdwn(x.label)} ${escapeMrkdwn(singleLine(x.value))}`).join('');
  return `• ${subject}${escapeMrkdwn(d.metricLabel)} *${d.value}* ${escapeMrkdwn(d.operator)} ${d.threshold}${details}`;
}

function overviewFields(n: AlertNotification): MrkdwnElement[] {
  const fields = [
    field('Model', code(n.modelId)),
    field('Version', n.modelVersion === null ? versionText(null) : code(n.modelVersion)),
    field('Monitor', code(n.monitorId)),
    field('Segment', escapeMrkdwn(singleLine(segmentText(n.segment)))),
    field('Window', escapeMrkdwn(formatWindow(n.window))),
    field('Reference', escapeMrkdwn(singleLine(referenceText(n.reference)))),
  ];
  if (n.firingSince !== null) {
    const label = n.kind === 'resolved' ? 'Fired from' : 'Firing since';
    fields.push(field(label, `${formatUtc(n.firingSince)} (${formatDuration(n.createdAt - n.firingSince)})`));
  }
  return fields.slice(0, SLACK_LIMITS.fieldsPerSection);
}

function button(text: string, url: string, actionId: string, primary: boolean): Button | null {
  const safe = safeHttpUrl(url);
  if (safe === null || safe.length > SLACK_LIMITS.buttonUrl) return null;
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.buttonText), emoji: true },
    url: safe,
    action_id: actionId,
    ...(primary ? { style: 'primary' as const } : {}),
  };
}

/**
 * Packs item lines into sections of at most 3000 characters, using no more than
 * `blockBudget` blocks; returns the sections and how many items did not fit.
 */
function itemSections(n: AlertNotification, maxItems: number, blockBudget: number): { blocks: SectionBlock[]; omitted: number } {
  const heading = `*${itemsHeading(n)} (${n.items.length})*`;
  const sections: string[] = [];
  let current = heading;
  let shown = 0;
  for (const item of n.items.slice(0, maxItems)) {
    const line = truncateMrkdwn(itemLine(item), SLACK_LIMITS.text);
    if (current.length + 1 + line.length <= SLACK_LIMITS.text) {
      current = current === '' ? line : `${current}\n${line}`;
    } else {
      if (sections.length + 1 >= blockBudget) break;
      sections.push(current);
      current = line;
    }
    shown += 1;
  }
  let omitted = n.items.length - shown;
  if (omitted > 0) {
    const more = `… and ${omitted} more`;
    if (current.length + 1 + more.length <= SLACK_LIMITS.text) {
      current = `${current}\n${more}`;
      omitted = 0;
    }
  }
  sections.push(current);
  return { blocks: sections.map((text) => ({ type: 'section', text: mrkdwn(text) })), omitted };
}

export function slackMessage(n: AlertNotification, options: SlackMessageOptions = {}): SlackMessage {
  const maxItems = Math.max(0, options.maxItems ?? DEFAULT_MAX_ITEMS);
  const emoji = notificationEmoji(n);

  const head: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(singleLine(`${emoji} ${statusLabel(n.kind)} · ${severityLabel(n.severity)} · ${n.ruleName}`), SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    {
      type: 'section',
      text: mrkdwn(`${code(modelText(n))}: ${escapeMrkdwn(headline(n))}`),
      fields: overviewFields(n),
    },
  ];
  const summary = n.annotations.summary.trim();
  const description = n.annotations.description.trim();
  if (summary !== '') head.push({ type: 'section', text: mrkdwn(escapeMrkdwn(summary)) });
  if (description !== '' && description !== summary) head.push({ type: 'section', text: mrkdwn(escapeMrkdwn(description)) });

  const tail: KnownBlock[] = [];
  const buttons = [
    button('Open in Driftwatch', n.link, 'open_driftwatch', n.kind !== 'resolved'),
    n.annotations.runbookUrl === null ? null : button('Runbook', n.annotations.runbookUrl, 'open_runbook', false),
  ].filter((b): b is Button => b !== null);
  if (buttons.length > 0) tail.push({ type: 'actions', elements: buttons } satisfies ActionsBlock);

  const context: MrkdwnElement[] = [];
  // A link that cannot be a button (not http(s), too long) is still shown, as inert text.
  if (safeHttpUrl(n.link) === null || n.link.length > SLACK_LIMITS.buttonUrl) {
    context.push(mrkdwn(`Link: ${escapeMrkdwn(singleLine(n.link))}`));
  }
  if (n.annotations.runbookUrl !== null && !buttons.some((b) => b.action_id === 'open_runbook')) {
    context.push(mrkdwn(`Runbook: ${escapeMrkdwn(singleLine(n.annotations.runbookUrl))}`));
  }
  const labels = Object.entries(n.labels);
  if (labels.length > 0) {
    context.push(mrkdwn(labels.map(([key, value]) => `${escapeMrkdwn(singleLine(key))}=${escapeMrkdwn(singleLine(value))}`).join(' · ')));
  }
  context.push(mrkdwn(`Driftwatch · rule ${code(n.ruleId)} · ${formatUtc(n.createdAt)}`));
  tail.push({ type: 'context', elements: context.slice(0, SLACK_LIMITS.contextElements) } satisfies ContextBlock);

  // divider + item sections + an optional "… and N more" context must fit next to head and tail.
  const budget = SLACK_LIMITS.blocks - head.length - tail.length - 1 - 1;
  const items = itemSections(n, maxItems, budget);
  const middle: KnownBlock[] = [{ type: 'divider' }, ...items.blocks];
  if (items.omitted > 0) {
    middle.push({ type: 'context', elements: [mrkdwn(`… and ${items.omitted} more`)] });
  }

  return {
    text: truncateMrkdwn(escapeMrkdwn(`${emoji} ${alertTitle(n)}`), SLACK_LIMITS.text),
    blocks: [...head, ...middle, ...tail],
  };
}

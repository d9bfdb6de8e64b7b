/**
 * An alert notification as an email: subject, plain-text body and HTML body with the
 * same content (for nodemailer's `subject`, `text` and `html`).
 *
 * Every user-provided string (model ids, feature names, annotations, labels, URLs) is
 * HTML-escaped in the HTML body; only absolute http(s) URLs become links. The subject is
 * one line: control characters in user text cannot add header lines.
 */
import type { AlertNotification, NotificationItem } from '../notification.js';
import {
  alertTitle, describeItem, formatDuration, formatUtc, formatWindow, headline, itemLine, itemsHeading, modelText,
  notificationEmoji, referenceText, safeHttpUrl, segmentText, severityLabel, singleLine, statusLabel, truncate, versionText,
} from './format.js';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export interface EmailMessageOptions {
  /** Who the footer says sent the message, e.g. "Driftwatch (staging)". Default "Driftwatch". */
  from?: string;
  /** Items listed before "… and N more". Default 100. */
  maxItems?: number;
}

/** Long subjects are cut by mail clients anyway; past this they only cost header folding. */
export const EMAIL_SUBJECT_MAX = 250;
const DEFAULT_MAX_ITEMS = 100;

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value: & < > " ' become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Multi-line user text: CRLF/CR become LF, other control characters go. */
function paragraphText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

function overviewRows(n: AlertNotification): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Severity', severityLabel(n.severity)],
    ['Model', singleLine(n.modelId)],
    ['Version', singleLine(versionText(n.modelVersion))],
    ['Monitor', singleLine(n.monitorId)],
    ['Segment', singleLine(segmentText(n.segment))],
    ['Window', formatWindow(n.window)],
    ['Reference', singleLine(referenceText(n.reference))],
  ];
  if (n.firingSince !== null) {
    rows.push([n.kind === 'resolved' ? 'Fired from' : 'Firing since', `${formatUtc(n.firingSince)} (${formatDuration(n.createdAt - n.firingSince)})`]);
  }
  return rows;
}

function labelsText(labels: Record<string, string>): string | null {
  const entries = Object.entries(labels);
  if (entries.length === 0) return null;
  return entries.map(([key, value]) => `${singleLine(key)}=${singleLine(value)}`).join(', ');
}

function footerText(n: AlertNotification, from: string): string {
  return `Sent by ${singleLine(from)} · rule ${singleLine(n.ruleName)} (id ${singleLine(n.ruleId)}) · ${formatUtc(n.createdAt)}`;
}

// ---------------------------------------------------------------------------------------

function plainText(n: AlertNotification, items: NotificationItem[], omitted: number, from: string): string {
  const out: string[] = [`${notificationEmoji(n)} ${alertTitle(n)}`, ''];
  const summary = paragraphText(n.annotations.summary);
  const description = paragraphText(n.annotations.description);
  if (summary !== '') out.push(summary, '');
  if (description !== '' && description !== summary) out.push(description, '');

  const rows = overviewRows(n);
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  for (const [label, value] of rows) out.push(`${`${label}:`.padEnd(width + 1)}${value}`);
  out.push('');

  out.push(`${itemsHeading(n)} (${n.items.length}):`);
  for (const item of items) out.push(`  - ${itemLine(item)}`);
  if (omitted > 0) out.push(`  … and ${omitted} more`);
  if (n.items.length === 0) out.push('  (none)');
  out.push('');

  out.push(`Open in Driftwatch: ${singleLine(n.link)}`);
  if (n.annotations.runbookUrl !== null) out.push(`Runbook: ${singleLine(n.annotations.runbookUrl)}`);
  const labels = labelsText(n.labels);
  if (labels !== null) out.push(`Labels: ${labels}`);
  out.push('', '-- ', footerText(n, from));
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------

const STYLE = {
  body: 'margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;',
  title: 'margin:0 0 8px 0;font-size:18px;',
  muted: 'color:#59636e;font-size:12px;',
  table: 'border-collapse:collapse;margin:12px 0;',
  th: 'text-align:left;padding:2px 12px 2px 0;color:#59636e;font-weight:normal;vertical-align:top;',
  td: 'padding:2px 0;vertical-align:top;',
  code: 'font-family:SFMono-Regular,Consolas,monospace;background:#f6f8fa;padding:0 3px;',
} as const;

function htmlParagraph(text: string): string {
  return `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`;
}

function htmlLink(url: string | null, text: string): string {
  const safe = safeHttpUrl(url);
  // Anything that is not http(s) (javascript:, data:, relative) stays inert text.
  if (safe === null) return `${escapeHtml(text)}: ${escapeHtml(singleLine(url ?? ''))}`;
  return `<a href="${escapeHtml(safe)}">${escapeHtml(text)}</a>`;
}

function htmlItem(item: NotificationItem): string {
  const d = describeItem(item);
  const subject = d.column === null ? '' : `<code style="${STYLE.code}">${escapeHtml(singleLine(d.column))}</code>: `;
  const details = d.details.length === 0
    ? ''
    : ` <span style="${STYLE.muted}">(${d.details.map((x) => `${escapeHtml(x.label)} ${escapeHtml(singleLine(x.value))}`).join(', ')})</span>`;
  return `<li>${subject}${escapeHtml(d.metricLabel)} <strong>${escapeHtml(d.value)}</strong> ${escapeHtml(d.operator)} ${escapeHtml(d.threshold)}${details}</li>`;
}

function htmlBody(n: AlertNotification, subject: string, items: NotificationItem[], omitted: number, from: string): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    `<body style="${STYLE.body}">`,
    `<h1 style="${STYLE.title}">${escapeHtml(singleLine(`${notificationEmoji(n)} ${statusLabel(n.kind)} · ${severityLabel(n.severity)} · ${n.ruleName}`))}</h1>`,
    `<p><strong>${escapeHtml(singleLine(modelText(n)))}</strong>: ${escapeHtml(headline(n))}</p>`,
  ];
  const summary = paragraphText(n.annotations.summary);
  const description = paragraphText(n.annotations.description);
  if (summary !== '') out.push(htmlParagraph(summary));
  if (description !== '' && description !== summary) out.push(htmlParagraph(description));

  out.push(`<table style="${STYLE.table}">`);
  for (const [label, value] of overviewRows(n)) {
    out.push(`<tr><th style="${STYLE.th}">${escapeHtml(label)}</th><td style="${STYLE.td}">${escapeHtml(value)}</td></tr>`);
  }
  out.push('</table>');

  out.push(`<h2 style="font-size:15px;margin:16px 0 4px 0;">${escapeHtml(itemsHeading(n))} (${n.items.length})</h2>`);
  if (items.length > 0) out.push('<ul>', ...items.map(htmlItem), '</ul>');
  if (omitted > 0) out.push(`<p>… and ${omitted} more</p>`);
  if (n.items.length === 0) out.push('<p>(none)</p>');

  const links = [htmlLink(n.link, 'Open in Driftwatch')];
  if (n.annotations.runbookUrl !== null) links.push(htmlLink(n.annotations.runbookUrl, 'Runbook'));
  out.push(`<p>${links.join(' · ')}</p>`);
  const labels = labelsText(n.labels);
  if (labels !== null) out.push(`<p style="${STYLE.muted}">Labels: ${escapeHtml(labels)}</p>`);
  out.push(`<p style="${STYLE.muted}">${escapeHtml(footerText(n, from))}</p>`, '</body></html>');
  return `${out.join('\n')}\n`;
}

export function emailMessage(n: AlertNotification, options: EmailMessageOptions = {}): EmailMessage {
  const from = options.from ?? 'Driftwatch';
  const maxItems = Math.max(0, options.maxItems ?? DEFAULT_MAX_ITEMS);
  const items = n.items.slice(0, maxItems);
  const omitted = n.items.length - items.length;
  const subject = truncate(alertTitle(n), EMAIL_SUBJECT_MAX);
  return {
    subject,
    text: plainText(n, items, omitted, from),
    html: htmlBody(n, subject, items, omitted, from),
  };
}

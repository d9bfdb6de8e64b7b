/**
 * Annotation templates: `{{ model_id }}` placeholders over a flat context of strings.
 *
 * Deliberately tiny: a placeholder is a variable name and nothing else (no expressions,
 * filters, loops or code), so a rule written through the API can never run anything.
 * Variables are checked when the rule is parsed, so a typo is a validation error that
 * lists the known names instead of an empty gap in a 3 a.m. message. The output is plain
 * text; each channel escapes it for its own format (Slack mrkdwn, HTML email).
 */

/** Every variable a template may use, besides `labels.<name>` for the rule's own labels. */
export const TEMPLATE_VARIABLES = [
  'rule_id', 'rule_name', 'severity', 'kind',
  'model_id', 'model_version', 'monitor_id', 'segment',
  'metric', 'operator', 'threshold',
  'items_count', 'columns', 'items',
  'window_start', 'window_end', 'firing_since', 'reference', 'link',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** What a template is rendered with: every variable as text ('' when it does not apply). */
export type TemplateContext = Record<TemplateVariable, string> & { labels: Readonly<Record<string, string>> };

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(readonly problem: string) {
    super(problem);
  }
}

type Part = { text: string } | { variable: TemplateVariable } | { label: string };

// `{{`, optional spaces, a name (a dotted `labels.x` allowed), optional spaces, `}}`.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}/y;
const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

function knownList(labelNames: readonly string[]): string {
  const labels = labelNames.length === 0 ? 'labels.<name> of the rule\'s labels (it has none)' : labelNames.map((name) => `labels.${name}`).join(', ');
  return `${TEMPLATE_VARIABLES.join(', ')}, ${labels}`;
}

/**
 * Splits a template into text and placeholders. Throws a TemplateError for an unknown
 * variable or label, or a `{{` that does not open a well-formed placeholder.
 */
export function parseTemplate(source: string, labelNames: readonly string[]): Part[] {
  const parts: Part[] = [];
  let text = '';
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open < 0) {
      text += source.slice(at);
      break;
    }
    text += source.slice(at, open);
    PLACEHOLDER.lastIndex = open;
    const match = PLACEHOLDER.exec(source);
    if (match === null) {
      const snippet = source.slice(open, open + 30);
      throw new TemplateError(`has a "{{" at character ${open + 1} that does not open a placeholder such as {{ model_id }} (got "${snippet}")`);
    }
    const name = match[1]!;
    if (name.startsWith('labels.')) {
      const label = name.slice('labels.'.length);
      if (!labelNames.includes(label)) throw new TemplateError(`uses {{ ${name} }}, but the rule has no label "${label}" (known: ${knownList(labelNames)})`);
      if (text !== '') parts.push({ text });
      parts.push({ label });
    } else {
      if (!KNOWN.has(name)) throw new TemplateError(`uses the unknown variable {{ ${name} }} (known: ${knownList(labelNames)})`);
      if (text !== '') parts.push({ text });
      parts.push({ variable: name as TemplateVariable });
    }
    text = '';
    at = open + match[0].length;
  }
  if (text !== '') parts.push({ text });
  return parts;
}

/** Renders a template that parseTemplate accepted for these labels. */
export function renderTemplate(source: string, context: TemplateContext): string {
  return parseTemplate(source, Object.keys(context.labels))
    .map((part) => ('text' in part ? part.text : 'variable' in part ? context[part.variable] : context.labels[part.label] ?? ''))
    .join('');
}

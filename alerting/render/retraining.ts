/**
 * Retraining triggers: the HTTP request that starts an external pipeline for an alert.
 * Four presets — GitHub Actions (repository_dispatch), Airflow (stable REST API v1 dagRuns),
 * Kubeflow Pipelines (v2beta1 runs) and a generic webhook whose JSON body is a template.
 *
 * Every preset carries the same retraining context (model, window, reference, drifted
 * features, metrics, alert, link, and a callback URL + token with which the pipeline
 * reports back). Secrets from the target config (tokens, passwords, signing secret) go
 * into headers only, never into a body. The requests are built, not sent: the sender checks
 * `request.url` with `checkOutgoingUrl` and applies timeouts and the retry rule that
 * `deduplication` allows.
 */
import { alertColumns, type AlertNotification, type ComparisonOperator, type NotificationKind, type Severity } from '../notification.js';
import { truncate } from './format.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, webhookSignatureHeader } from './webhook.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export class RetrainingConfigError extends Error {
  override readonly name = 'RetrainingConfigError';
  constructor(
    /** The offending config field, e.g. `body_template.conf.model`. */
    readonly field: string,
    /** What is wrong and what to send instead. */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export interface GithubDispatchTarget {
  kind: 'github';
  /** "owner/repo". */
  repository: string;
  /** The `types` a workflow's `on: repository_dispatch` listens for. Default "driftwatch-retrain". */
  event_type?: string;
  /** Fine-grained token with contents: write, or a classic token with repo scope. Header only. */
  token?: string;
  /** For GitHub Enterprise Server, e.g. "https://github.example.com/api/v3". Default "https://api.github.com". */
  api_url?: string;
}

export interface AirflowTarget {
  kind: 'airflow';
  /** The webserver's base URL, e.g. "https://airflow.example.com" (a path prefix is kept). */
  base_url: string;
  dag_id: string;
  auth?: { username: string; password: string } | { token: string };
}

export interface KubeflowTarget {
  kind: 'kubeflow';
  /** The KFP API server, e.g. "https://kubeflow.example.com/pipeline". */
  base_url: string;
  pipeline_id: string;
  pipeline_version_id: string;
  experiment_id?: string;
  token?: string;
  /**
   * Pipeline parameters as a template (see renderJsonTemplate). Default: one string
   * parameter `driftwatch_context` holding the retraining context as JSON, so a pipeline
   * only has to declare that one input.
   */
  parameters_template?: { [name: string]: JsonValue };
}

export interface GenericWebhookTarget {
  kind: 'webhook';
  url: string;
  /** The JSON body as a template (see renderJsonTemplate). Default: the retraining context. */
  body_template?: JsonValue;
  /** Sent as "Authorization: Bearer <token>". */
  token?: string;
  /** Signs the body like alert webhooks (X-Driftwatch-Signature). */
  secret?: string;
}

export type RetrainingTarget = GithubDispatchTarget | AirflowTarget | KubeflowTarget | GenericWebhookTarget;

export interface RetrainingTriggerInput {
  notification: AlertNotification;
  /** Driftwatch's id of this trigger run: one id, at most one pipeline run. */
  triggerRunId: string;
  /** Where the pipeline reports progress and the new model version. */
  callbackUrl: string;
  /** Bearer token for the callback. It is visible wherever the target shows run inputs, so it should be scoped to this run. */
  callbackToken: string;
  /** Signing time; needed only for a webhook target with a secret. */
  nowSeconds?: number;
}

export interface RetrainingRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  /** JSON text, exactly as it is to be sent (and signed). */
  body: string;
  /**
   * What stops a retry from starting a second run: `target` (Airflow refuses a repeated
   * dag_run_id with 409), `idempotency-key` (the receiver is asked to deduplicate on
   * X-Driftwatch-Idempotency-Key), or `none` (GitHub, Kubeflow: retry only when the request
   * cannot have arrived — connection refused, 429).
   */
  deduplication: 'target' | 'idempotency-key' | 'none';
}

// ---------------------------------------------------------------------------------------
// The retraining context

export const RETRAINING_CONTEXT_VERSION = 1;

/** Exactly 10 top-level keys: GitHub's client_payload allows no more. */
export interface RetrainingContext {
  schema_version: 1;
  trigger_run_id: string;
  model: { id: string; version: string | null; monitor_id: string; segment: { name: string; value: string } | null };
  window: { start: string; end: string };
  reference: { kind: string; description: string };
  /** Columns that crossed the rule, in item order, each once. */
  drifted_features: string[];
  metrics: Array<{
    column: string | null;
    metric: string;
    value: number | null;
    operator: ComparisonOperator;
    threshold: number;
    details: Record<string, number | string | null>;
  }>;
  alert: {
    rule_id: string;
    rule_name: string;
    severity: Severity;
    kind: NotificationKind;
    idempotency_key: string;
    summary: string;
    labels: Record<string, string>;
    created_at: string;
  };
  link: string;
  callback: { url: string; token: string };
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

export function retrainingContext(input: RetrainingTriggerInput): RetrainingContext {
  const n = input.notification;
  return {
    schema_version: RETRAINING_CONTEXT_VERSION,
    trigger_run_id: input.triggerRunId,
    model: { id: n.modelId, version: n.modelVersion, monitor_id: n.monitorId, segment: n.segment === null ? null : { ...n.segment } },
    window: { start: new Date(n.window.start).toISOString(), end: new Date(n.window.end).toISOString() },
    reference: { kind: n.reference.kind, description: n.reference.description },
    drifted_features: alertColumns(n),
    metrics: n.items.map((item) => ({
      column: item.column,
      metric: item.metric,
      value: finiteOrNull(item.value),
      operator: item.operator,
      threshold: item.threshold,
      details: Object.fromEntries(Object.entries(item.details).map(([k, v]) => [k, typeof v === 'number' ? finiteOrNull(v) : v])),
    })),
    alert: {
      rule_id: n.ruleId,
      rule_name: n.ruleName,
      severity: n.severity,
      kind: n.kind,
      idempotency_key: n.idempotencyKey,
      summary: n.annotations.summary,
      labels: { ...n.labels },
      created_at: new Date(n.createdAt).toISOString(),
    },
    link: n.link,
    callback: { url: input.callbackUrl, token: input.callbackToken },
  };
}

export const TEMPLATE_VARIABLE_NAMES = [
  'model_id', 'model_version', 'monitor_id', 'segment', 'window_start', 'window_end', 'reference_kind',
  'reference_description', 'drifted_features', 'metrics', 'rule_id', 'rule_name', 'severity', 'alert_kind',
  'idempotency_key', 'summary', 'labels', 'created_at', 'link', 'trigger_run_id', 'callback_url', 'callback_token', 'context',
] as const;

export type TemplateVariableName = (typeof TEMPLATE_VARIABLE_NAMES)[number];

/** The values a template may use by name, each a JSON value. */
export function templateVariables(context: RetrainingContext): { [K in TemplateVariableName]: JsonValue } {
  return {
    model_id: context.model.id,
    model_version: context.model.version,
    monitor_id: context.model.monitor_id,
    segment: context.model.segment,
    window_start: context.window.start,
    window_end: context.window.end,
    reference_kind: context.reference.kind,
    reference_description: context.reference.description,
    drifted_features: context.drifted_features,
    metrics: context.metrics as unknown as JsonValue,
    rule_id: context.alert.rule_id,
    rule_name: context.alert.rule_name,
    severity: context.alert.severity,
    alert_kind: context.alert.kind,
    idempotency_key: context.alert.idempotency_key,
    summary: context.alert.summary,
    labels: context.alert.labels,
    created_at: context.alert.created_at,
    link: context.link,
    trigger_run_id: context.trigger_run_id,
    callback_url: context.callback.url,
    callback_token: context.callback.token,
    context: context as unknown as JsonValue,
  };
}

// ---------------------------------------------------------------------------------------
// The JSON template: string values "{{ name }}" are replaced, nothing is evaluated.

const MAX_TEMPLATE_DEPTH = 32;
/** Stand-in values for checking a template's placeholders before any alert exists. */
const SAMPLE_VARIABLES: Record<string, JsonValue> = Object.fromEntries(TEMPLATE_VARIABLE_NAMES.map((name) => [name, null]));
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;

function placeholderValue(name: string, variables: Record<string, JsonValue>, field: string): JsonValue {
  if (!Object.hasOwn(variables, name)) {
    throw new RetrainingConfigError(field, `unknown placeholder {{ ${name} }}; use one of ${Object.keys(variables).join(', ')}`);
  }
  return variables[name]!;
}

function asText(value: JsonValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Renders a JSON template. A string that is exactly one placeholder ("{{ drifted_features }}")
 * becomes that variable's JSON value, with its type (array, number, null, ...). Placeholders
 * inside longer strings ("model {{ model_id }}") are replaced by text (arrays and objects as
 * JSON). Keys are not templated; values are only substituted, never evaluated, and the result
 * is serialised with JSON.stringify, so a variable cannot change the document's structure.
 * An unknown placeholder throws RetrainingConfigError naming the path.
 */
export function renderJsonTemplate(template: unknown, variables: Record<string, JsonValue>, field = 'template'): JsonValue {
  const render = (node: unknown, path: string, depth: number): JsonValue => {
    if (depth > MAX_TEMPLATE_DEPTH) throw new RetrainingConfigError(path, `nested deeper than ${MAX_TEMPLATE_DEPTH} levels`);
    if (node === null || typeof node === 'boolean') return node;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw new RetrainingConfigError(path, 'numbers must be finite');
      return node;
    }
    if (typeof node === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(node);
      if (whole) return placeholderValue(whole[1]!, variables, path);
      return node.replace(PLACEHOLDER, (_, name: string) => asText(placeholderValue(name, variables, path)));
    }
    if (Array.isArray(node)) return node.map((child, i) => render(child, `${path}[${i}]`, depth + 1));
    const proto: unknown = typeof node === 'object' ? Object.getPrototypeOf(node) : undefined;
    if (proto === Object.prototype || proto === null) {
      // fromEntries defines own properties, so a "__proto__" key stays a plain key.
      return Object.fromEntries(Object.entries(node as object).map(([key, child]) => [key, render(child, `${path}.${key}`, depth + 1)]));
    }
    throw new RetrainingConfigError(path, `${typeof node} is not a JSON value`);
  };
  return render(template, field, 0);
}

// ---------------------------------------------------------------------------------------
// Validation of target configs

const HEADER_TOKEN = /^[\x21-\x7e]+$/;

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RetrainingConfigError(field, 'must be a non-empty string');
  return value;
}

function checkToken(value: string | undefined, field: string): void {
  if (value === undefined) return;
  // A CR/LF in a token would add header lines; visible ASCII is all a bearer token needs.
  if (!HEADER_TOKEN.test(value)) throw new RetrainingConfigError(field, 'must be non-empty visible ASCII without spaces');
}

/** An absolute http(s) URL without credentials or fragment. */
function absoluteUrl(value: unknown, field: string): URL {
  const text = requireString(value, field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RetrainingConfigError(field, `not an absolute URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RetrainingConfigError(field, 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw new RetrainingConfigError(field, 'must not contain credentials; use the auth settings');
  if (url.hash !== '') throw new RetrainingConfigError(field, 'must not have a fragment');
  return url;
}

/** A base URL that paths are appended to: no query, no trailing slash (a path prefix is kept). */
function baseUrl(value: unknown, field: string): string {
  const url = absoluteUrl(value, field);
  if (url.search !== '') throw new RetrainingConfigError(field, 'must not have a query');
  return url.href.replace(/\/+$/, '');
}

const GITHUB_REPOSITORY = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/;
const AIRFLOW_DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** Throws RetrainingConfigError for the first problem in a target config. */
export function validateRetrainingTarget(target: RetrainingTarget): void {
  switch (target.kind) {
    case 'github': {
      if (!GITHUB_REPOSITORY.test(requireString(target.repository, 'repository'))) {
        throw new RetrainingConfigError('repository', 'must be "owner/repo"');
      }
      const eventType = target.event_type ?? DEFAULT_GITHUB_EVENT_TYPE;
      if (eventType.length === 0 || eventType.length > 100) throw new RetrainingConfigError('event_type', 'must be 1 to 100 characters');
      checkToken(target.token, 'token');
      if (target.api_url !== undefined) baseUrl(target.api_url, 'api_url');
      return;
    }
    case 'airflow': {
      baseUrl(target.base_url, 'base_url');
      if (!AIRFLOW_DAG_ID.test(requireString(target.dag_id, 'dag_id'))) {
        throw new RetrainingConfigError('dag_id', 'may contain only letters, digits, "_", "." and "-"');
      }
      if (target.auth !== undefined) {
        if (target.auth === null || typeof target.auth !== 'object' || Array.isArray(target.auth)) {
          throw new RetrainingConfigError('auth', 'must be an object: {"token": ...} or {"username": ..., "password": ...}');
        }
        if ('token' in target.auth) checkToken(target.auth.token, 'auth.token');
        else {
          if (requireString(target.auth.username, 'auth.username').includes(':')) {
            throw new RetrainingConfigError('auth.username', 'must not contain ":" (HTTP Basic)');
          }
          requireString(target.auth.password, 'auth.password');
        }
      }
      return;
    }
    case 'kubeflow': {
      baseUrl(target.base_url, 'base_url');
      requireString(target.pipeline_id, 'pipeline_id');
      requireString(target.pipeline_version_id, 'pipeline_version_id');
      if (target.experiment_id !== undefined) requireString(target.experiment_id, 'experiment_id');
      checkToken(target.token, 'token');
      if (target.parameters_template !== undefined) {
        const rendered = renderJsonTemplate(target.parameters_template, SAMPLE_VARIABLES, 'parameters_template');
        if (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) {
          throw new RetrainingConfigError('parameters_template', 'must be an object of parameter name to value');
        }
      }
      return;
    }
    case 'webhook': {
      absoluteUrl(target.url, 'url');
      checkToken(target.token, 'token');
      if (target.secret !== undefined) requireString(target.secret, 'secret');
      if (target.body_template !== undefined) renderJsonTemplate(target.body_template, SAMPLE_VARIABLES, 'body_template');
      return;
    }
    default:
      throw new RetrainingConfigError('kind', `unknown preset ${JSON.stringify((target as { kind: unknown }).kind)}; use github, airflow, kubeflow or webhook`);
  }
}

// ---------------------------------------------------------------------------------------
// The presets

export const DEFAULT_GITHUB_EVENT_TYPE = 'driftwatch-retrain';
const GITHUB_API = 'https://api.github.com';
/** GitHub rejects a client_payload with more top-level properties. */
export const GITHUB_CLIENT_PAYLOAD_MAX_KEYS = 10;

/** Airflow's default allowed_run_id_pattern is ^[A-Za-z0-9_.~:+-]+$; run_id is at most 250 characters. */
export function airflowDagRunId(triggerRunId: string): string {
  return `driftwatch__${triggerRunId.replace(/[^A-Za-z0-9_.~:+-]/g, '_')}`.slice(0, 250);
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function githubRequest(target: GithubDispatchTarget, context: RetrainingContext): RetrainingRequest {
  const [owner, repo] = target.repository.split('/') as [string, string];
  if (Object.keys(context).length > GITHUB_CLIENT_PAYLOAD_MAX_KEYS) {
    throw new Error(`retraining context has more than ${GITHUB_CLIENT_PAYLOAD_MAX_KEYS} top-level keys; GitHub would reject it`);
  }
  const api = target.api_url === undefined ? GITHUB_API : baseUrl(target.api_url, 'api_url');
  return {
    method: 'POST',
    url: `${api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/dispatches`,
    headers: {
      Accept: 'application/vnd.github+json',
      'Content-Type': 'application/json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'driftwatch',
      ...(target.token === undefined ? {} : { Authorization: `Bearer ${target.token}` }),
    },
    body: json({ event_type: target.event_type ?? DEFAULT_GITHUB_EVENT_TYPE, client_payload: context }),
    deduplication: 'none',
  };
}

function airflowRequest(target: AirflowTarget, context: RetrainingContext): RetrainingRequest {
  const auth: Record<string, string> = target.auth === undefined
    ? {}
    : 'token' in target.auth
      ? { Authorization: `Bearer ${target.auth.token}` }
      : { Authorization: `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`, 'utf8').toString('base64')}` };
  return {
    method: 'POST',
    url: `${baseUrl(target.base_url, 'base_url')}/api/v1/dags/${encodeURIComponent(target.dag_id)}/dagRuns`,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...auth },
    // dag_run_id from the trigger run id: a retried POST gets 409 instead of a second run.
    body: json({ dag_run_id: airflowDagRunId(context.trigger_run_id), conf: context }),
    deduplication: 'target',
  };
}

function kubeflowRequest(target: KubeflowTarget, context: RetrainingContext): RetrainingRequest {
  const parameters = target.parameters_template === undefined
    ? { driftwatch_context: json(context) }
    : renderJsonTemplate(target.parameters_template, templateVariables(context), 'parameters_template');
  const displayName = truncate(`driftwatch-retrain ${context.model.id} ${context.trigger_run_id}`, 128, '');
  return {
    method: 'POST',
    url: `${baseUrl(target.base_url, 'base_url')}/apis/v2beta1/runs`,
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...(target.token === undefined ? {} : { Authorization: `Bearer ${target.token}` }),
    },
    body: json({
      display_name: displayName,
      description: `Retraining triggered by Driftwatch rule ${context.alert.rule_name} (${context.alert.severity}) for window ${context.window.start} to ${context.window.end}`,
      ...(target.experiment_id === undefined ? {} : { experiment_id: target.experiment_id }),
      pipeline_version_reference: { pipeline_id: target.pipeline_id, pipeline_version_id: target.pipeline_version_id },
      runtime_config: { parameters },
    }),
    deduplication: 'none',
  };
}

function webhookTargetRequest(target: GenericWebhookTarget, context: RetrainingContext, nowSeconds: number | undefined): RetrainingRequest {
  const body = json(target.body_template === undefined
    ? context
    : renderJsonTemplate(target.body_template, templateVariables(context), 'body_template'));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [IDEMPOTENCY_HEADER]: context.trigger_run_id,
  };
  if (target.token !== undefined) headers.Authorization = `Bearer ${target.token}`;
  if (target.secret !== undefined) {
    if (nowSeconds === undefined) throw new RangeError('nowSeconds is needed to sign a webhook retraining trigger');
    headers[SIGNATURE_HEADER] = webhookSignatureHeader(target.secret, nowSeconds, body);
  }
  return { method: 'POST', url: absoluteUrl(target.url, 'url').href, headers, body, deduplication: 'idempotency-key' };
}

/** The request that starts the pipeline. Throws RetrainingConfigError when the target config is invalid. */
export function retrainingRequest(target: RetrainingTarget, input: RetrainingTriggerInput): RetrainingRequest {
  validateRetrainingTarget(target);
  requireString(input.triggerRunId, 'triggerRunId');
  const context = retrainingContext(input);
  switch (target.kind) {
    case 'github': return githubRequest(target, context);
    case 'airflow': return airflowRequest(target, context);
    case 'kubeflow': return kubeflowRequest(target, context);
    case 'webhook': return webhookTargetRequest(target, context, input.nowSeconds);
  }
}

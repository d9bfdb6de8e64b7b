/**
 * Sends a retraining trigger (alerting/render/retraining.ts) to its pipeline: the built
 * request, POSTed to the checked address (pinned-post.ts), and a `DeliveryError` whose
 * `retryable` says whether another attempt is safe, i.e. cannot start a second run.
 *
 * That depends on what deduplicates a repeated request (`request.deduplication`):
 *   - always retried: connection refused or unreachable (nothing was sent), a connection or
 *     timeout lost before the whole request was written, and 429;
 *   - `idempotency-key` (generic webhook): also timeouts, lost connections and 5xx, like
 *     alert webhooks: the receiver drops the duplicate;
 *   - `target` (Airflow: the dag_run_id is fixed): the same, and a 409 is success, since an
 *     earlier attempt that looked failed did create the run;
 *   - `none` (GitHub, Kubeflow): a timeout, a lost connection after the request was sent or
 *     a 5xx is final, since the pipeline may have started and a repeat would start another.
 * 401/403 are DW_DELIVERY_AUTH, other 4xx and 3xx DW_DELIVERY_HTTP_STATUS, all final.
 */
import type { RetrainingRequest } from '../render/retraining.js';
import type { OutgoingUrlPolicy, Resolver } from '../render/url-policy.js';
import { PinnedPostError, postToCheckedUrl, statusError, type PinnedPostResponse } from './pinned-post.js';
import { checkTimeout, DeliveryError, type Channel } from './types.js';

export interface RetrainingSenderOptions {
  urlPolicy: OutgoingUrlPolicy;
  /** Default: the system resolver. Injected by tests. */
  resolver?: Resolver;
  /** Whole request, connect to the last byte of the answer. Default 10 s. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for an https target with a private CA. */
  ca?: string | readonly string[];
}

export interface RetrainingSendResult {
  responseCode: number;
  /** One line for the delivery log. */
  detail: string;
  /** The target said the run exists already (Airflow 409 for our dag_run_id): an earlier attempt created it. */
  alreadyExisted: boolean;
}

export const RETRAINING_DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Driftwatch-Retraining/1';
const WHAT = 'retraining target';
const NOT_REPEATED = 'not repeated: the target may have received it, and a second request could start a second pipeline run';

type Deduplication = RetrainingRequest['deduplication'];

/** A failure before any answer, re-judged for a target that cannot drop a repeated request. */
function failureBeforeAnswer(error: unknown, deduplication: Deduplication): unknown {
  if (!(error instanceof PinnedPostError) || deduplication !== 'none' || !error.retryable || !error.requestSent) return error;
  const code = error.code === 'DW_DELIVERY_TIMEOUT' ? 'DW_DELIVERY_TIMEOUT' : 'DW_DELIVERY_OUTCOME_UNKNOWN';
  return new DeliveryError(code, `${error.message}; ${NOT_REPEATED}`, { retryable: false, cause: error });
}

/** Success for 2xx (and Airflow's 409); throws `DeliveryError` for every other status. */
function answerOutcome(response: PinnedPostResponse, deduplication: Deduplication): RetrainingSendResult {
  const { status, snippet, target } = response;
  // No snippet on success: Airflow and Kubeflow echo the run's inputs, which hold the callback token.
  if (status >= 200 && status < 300) return { responseCode: status, detail: `HTTP ${status} from ${target}`, alreadyExisted: false };
  if (status === 409 && deduplication === 'target') {
    return { responseCode: status, detail: `HTTP 409 from ${target}: the run exists already (created by an earlier attempt)`, alreadyExisted: true };
  }
  const who = `${WHAT} ${target}`;
  if (status === 401 || status === 403) {
    throw new DeliveryError('DW_DELIVERY_AUTH', `${who} answered HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}; check the configured token or password`, {
      retryable: false, responseCode: status,
    });
  }
  const error = statusError(status, response.headers, snippet, who);
  // A 429 was refused before any work started; a 5xx may have come after the run was created.
  if (error.retryable && status !== 429 && deduplication === 'none') {
    throw new DeliveryError(error.code, `${error.message}; ${NOT_REPEATED}`, { retryable: false, responseCode: status });
  }
  throw error;
}

export class RetrainingSender {
  private readonly options: RetrainingSenderOptions;
  private readonly timeoutMs: number;

  constructor(options: RetrainingSenderOptions) {
    this.options = options;
    this.timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? RETRAINING_DEFAULT_TIMEOUT_MS);
  }

  /** Resolves when the target started the run (or had started it, `alreadyExisted`); throws `DeliveryError` otherwise. */
  async send(request: RetrainingRequest): Promise<RetrainingSendResult> {
    let response: PinnedPostResponse;
    try {
      response = await postToCheckedUrl({
        url: request.url, headers: request.headers, body: request.body, urlPolicy: this.options.urlPolicy,
        resolver: this.options.resolver, timeoutMs: this.timeoutMs, ca: this.options.ca, userAgent: USER_AGENT, what: WHAT,
      });
    } catch (error) {
      throw failureBeforeAnswer(error, request.deduplication);
    }
    return answerOutcome(response, request.deduplication);
  }
}

/**
 * The trigger as a `Channel`, so deliverWithRetries drives its retries with the retry
 * policy. The notification is ignored: the request was built (and a webhook target's
 * signature made) once, and every attempt sends it unchanged.
 */
export function retrainingChannel(id: string, sender: RetrainingSender, request: RetrainingRequest): Channel {
  return {
    kind: 'retraining',
    id,
    async send() {
      const { responseCode, detail } = await sender.send(request);
      return { responseCode, detail };
    },
  };
}

/**
 * Email over SMTP with nodemailer: the HTML and plain-text bodies of emailMessage(), one
 * message to all configured recipients.
 *
 * The Message-ID is derived from the idempotency key, so every retry of one delivery is
 * the same message to mail clients and duplicate filters.
 *
 * Whether a failed send may be retried depends on how far the SMTP session got, which
 * nodemailer's transport does not tell (a connection lost before MAIL FROM and one lost
 * after the final "." are the same ECONNECTION error there). So this drives nodemailer's
 * SMTPConnection itself, with MailComposer building the message, and notes when the
 * message body starts to flow (the server answered DATA with 354):
 *   - before that, nothing can have been accepted: connection refused, greeting or
 *     connection timeouts, a connection lost during the envelope are all retried;
 *   - after that, a lost connection or a timeout without a reply is ambiguous (the
 *     server may have queued it): not retried, so the alert is not mailed twice;
 *   - an explicit SMTP reply decides by itself: 4xx (temporary) is retried, 5xx
 *     (permanent) is not, at any stage.
 * Recipients the server refuses while others are accepted do not fail the delivery (a
 * retry would mail the others twice); they are named in the detail.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { AlertNotification } from '../notification.js';
import { emailMessage, type EmailMessageOptions } from '../render/email.js';
import { IDEMPOTENCY_HEADER } from '../render/webhook.js';
import {
  checkTimeout, DeliveryError, errorMessage, shortText,
  type Channel, type DeliveryAttempt, type DeliveryErrorCode, type DeliverySuccess,
} from './types.js';

export type SmtpStage = 'connect' | 'auth' | 'envelope' | 'data';

export type SmtpSecurity =
  /** TLS from the first byte (port 465). */
  | 'tls'
  /** Plain connection upgraded with STARTTLS; fails if the server does not offer it (port 587). */
  | 'starttls'
  /** No TLS at all: only for a relay on the same host or network. */
  | 'none';

export interface EmailChannelOptions {
  id: string;
  host: string;
  port: number;
  security: SmtpSecurity;
  auth?: { user: string; password: string };
  /** "Driftwatch <alerts@example.com>" or a bare address. */
  from: string;
  to: readonly string[];
  /** Right-hand side of the Message-ID. Default: the domain of `from`. */
  messageIdDomain?: string;
  /** Name sent in EHLO. Default: nodemailer's (the host name). */
  clientName?: string;
  tls?: { ca?: string | readonly string[]; rejectUnauthorized?: boolean; servername?: string };
  /** TCP (and TLS) connect. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Connected until the server's 220 greeting. Default 10 s. */
  greetingTimeoutMs?: number;
  /** Silence on the socket at any later point. Default 30 s. */
  socketTimeoutMs?: number;
  /** The whole send, connect to the reply to the message. Default 60 s. */
  timeoutMs?: number;
  render?: EmailMessageOptions;
}

export const EMAIL_DEFAULT_TIMEOUTS = { connectionTimeoutMs: 10_000, greetingTimeoutMs: 10_000, socketTimeoutMs: 30_000, timeoutMs: 60_000 } as const;


const FALLBACK_DOMAIN = 'driftwatch.invalid';

function domainOf(address: string): string | null {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address);
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * `<driftwatch.KEY@domain>`: the key itself when it is made of letters, digits, "-" and
 * "_" (the keys from alerting/state/grouping.ts are hex), else a SHA-256 of it, so the
 * result is always a valid msg-id.
 */
export function emailMessageId(idempotencyKey: string, domain: string): string {
  const local = /^[A-Za-z0-9_-]{1,128}$/.test(idempotencyKey)
    ? idempotencyKey
    : createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  const right = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(domain) ? domain.toLowerCase() : FALLBACK_DOMAIN;
  return `<driftwatch.${local}@${right}>`;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  syscall?: string;
}

/**
 * A socket error while TLS is being set up that is not a system call failure: nodemailer
 * replaces the code of Node's certificate errors (DEPTH_ZERO_SELF_SIGNED_CERT, …) with
 * ESOCKET, but those never carry a `syscall`, while refused, reset and unreachable do.
 */
function isTlsSetupFailure(e: SmtpError, stage: SmtpStage, tlsInUse: boolean): boolean {
  return tlsInUse && stage === 'connect' && e.code === 'ESOCKET' && typeof e.syscall !== 'string';
}

/** A nodemailer SMTP error as a DeliveryError, given how far the session got and whether TLS is in use. */
export function smtpDeliveryError(error: unknown, stage: SmtpStage, server: string, tlsInUse = false): DeliveryError {
  const e = (error ?? {}) as SmtpError;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : null;
  const message = `${server}: ${shortText(errorMessage(error), 300)}`;
  if (reply !== null && reply >= 400 && reply < 600) {
    // A reply is the server's decision: 4xx "try again later", 5xx "never".
    const code: DeliveryErrorCode = e.code === 'EAUTH' ? 'DW_DELIVERY_AUTH' : e.code === 'ETLS' ? 'DW_DELIVERY_TLS' : 'DW_DELIVERY_REJECTED';
    return new DeliveryError(code, message, { retryable: reply < 500, responseCode: reply, cause: error });
  }
  if (e.code === 'EAUTH') return new DeliveryError('DW_DELIVERY_AUTH', message, { retryable: false, responseCode: reply, cause: error });
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') {
    return new DeliveryError('DW_DELIVERY_REJECTED', message, { retryable: false, responseCode: reply, cause: error });
  }
  if (e.code === 'ETLS' || isTlsSetupFailure(e, stage, tlsInUse)) {
    return new DeliveryError('DW_DELIVERY_TLS', message, { retryable: false, responseCode: reply, cause: error });
  }
  if (stage === 'data') {
    return new DeliveryError('DW_DELIVERY_OUTCOME_UNKNOWN', `${message} (after the message was sent; not retried, the server may have accepted it)`, {
      retryable: false, responseCode: reply, cause: error,
    });
  }
  if (/ECONNREFUSED/.test(e.message ?? '')) return new DeliveryError('DW_DELIVERY_CONNECTION_REFUSED', message, { retryable: true, cause: error });
  if (e.code === 'EDNS') return new DeliveryError('DW_DELIVERY_UNREACHABLE', message, { retryable: true, cause: error });
  if (e.code === 'ETIMEDOUT') return new DeliveryError('DW_DELIVERY_TIMEOUT', message, { retryable: true, cause: error });
  return new DeliveryError('DW_DELIVERY_CONNECTION_LOST', message, { retryable: true, cause: error });
}

function replyCode(response: string | undefined): number | null {
  const match = /^(\d{3})/.exec(response ?? '');
  return match ? Number(match[1]) : null;
}

export class EmailChannel implements Channel {
  readonly kind = 'email' as const;
  readonly id: string;
  private readonly options: EmailChannelOptions;
  private readonly timeouts: { connectionTimeoutMs: number; greetingTimeoutMs: number; socketTimeoutMs: number; timeoutMs: number };
  private readonly server: string;

  constructor(options: EmailChannelOptions) {
    if (options.to.length === 0) throw new RangeError(`email channel ${options.id}: at least one recipient is needed`);
    if (!Number.isSafeInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new RangeError(`email channel ${options.id}: port must be 1 to 65535 (got ${options.port})`);
    }
    this.id = options.id;
    this.options = options;
    this.timeouts = {
      connectionTimeoutMs: checkTimeout('connectionTimeoutMs', options.connectionTimeoutMs ?? EMAIL_DEFAULT_TIMEOUTS.connectionTimeoutMs),
      greetingTimeoutMs: checkTimeout('greetingTimeoutMs', options.greetingTimeoutMs ?? EMAIL_DEFAULT_TIMEOUTS.greetingTimeoutMs),
      socketTimeoutMs: checkTimeout('socketTimeoutMs', options.socketTimeoutMs ?? EMAIL_DEFAULT_TIMEOUTS.socketTimeoutMs),
      timeoutMs: checkTimeout('timeoutMs', options.timeoutMs ?? EMAIL_DEFAULT_TIMEOUTS.timeoutMs),
    };
    this.server = `SMTP ${options.host}:${options.port}`;
  }

  /** The Message-ID this channel gives the notification (the same on every attempt). */
  messageId(notification: AlertNotification): string {
    return emailMessageId(notification.idempotencyKey, this.options.messageIdDomain ?? domainOf(this.options.from) ?? FALLBACK_DOMAIN);
  }

  private async compose(notification: AlertNotification): Promise<{ raw: Buffer; from: string | false; to: string[] }> {
    const rendered = emailMessage(notification, this.options.render);
    const mail = new MailComposer({
      from: this.options.from,
      to: [...this.options.to],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: this.messageId(notification),
      headers: {
        [IDEMPOTENCY_HEADER]: notification.idempotencyKey.replace(/[\r\n]/g, ''),
        // RFC 3834: no vacation auto-replies to alerts.
        'Auto-Submitted': 'auto-generated',
      },
    }).compile();
    const envelope = mail.getEnvelope();
    return { raw: await mail.build(), from: envelope.from, to: envelope.to };
  }

  async send(notification: AlertNotification, _attempt: DeliveryAttempt): Promise<DeliverySuccess> {
    const message = await this.compose(notification);
    const { tls } = this.options;
    const connection = new SMTPConnection({
      host: this.options.host,
      port: this.options.port,
      secure: this.options.security === 'tls',
      requireTLS: this.options.security === 'starttls',
      ignoreTLS: this.options.security === 'none',
      ...(this.options.clientName === undefined ? {} : { name: this.options.clientName }),
      connectionTimeout: this.timeouts.connectionTimeoutMs,
      greetingTimeout: this.timeouts.greetingTimeoutMs,
      socketTimeout: this.timeouts.socketTimeoutMs,
      logger: false,
      tls: {
        ...(tls?.ca === undefined ? {} : { ca: typeof tls.ca === 'string' ? tls.ca : [...tls.ca] }),
        ...(tls?.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
        ...(tls?.servername === undefined ? {} : { servername: tls.servername }),
      },
    });

    return new Promise<DeliverySuccess>((resolve, reject) => {
      let stage: SmtpStage = 'connect';
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const fail = (error: unknown): void => finish(() => {
        connection.close();
        reject(smtpDeliveryError(error, stage, this.server, this.options.security !== 'none'));
      });

      const timer = setTimeout(() => {
        const timeout = Object.assign(new Error(`the send did not finish within ${this.timeouts.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        fail(timeout);
      }, this.timeouts.timeoutMs);

      connection.on('error', fail);
      connection.once('end', () => fail(Object.assign(new Error('connection closed unexpectedly'), { code: 'ECONNECTION' })));

      const sendMessage = (): void => {
        stage = 'envelope';
        let pushed = false;
        // SMTPConnection pipes the body only after DATA was answered with 354: the first read marks that moment.
        const body = new Readable({
          read() {
            stage = 'data';
            if (pushed) return;
            pushed = true;
            this.push(message.raw);
            this.push(null);
          },
        });
        connection.send({ from: message.from, to: message.to, size: message.raw.length }, body, (error, info) => {
          if (error) return fail(error);
          finish(() => {
            connection.quit();
            const rejected = info.rejected.length === 0
              ? ''
              : `; refused for ${info.rejected.join(', ')}${info.rejectedErrors?.length ? ` (${shortText(info.rejectedErrors.map((e) => e.response ?? e.message).join('; '), 200)})` : ''}`;
            resolve({
              responseCode: replyCode(info.response),
              detail: `${this.server} accepted ${this.messageId(notification)} for ${info.accepted.length} recipient(s)${rejected}: ${shortText(info.response ?? '')}`,
            });
          });
        });
      };

      connection.connect((error?: Error) => {
        if (error) return fail(error);
        if (settled) return;
        const auth = this.options.auth;
        if (auth === undefined) return sendMessage();
        // Configured credentials are always used, even if AUTH is not advertised: the server then refuses, visibly.
        stage = 'auth';
        connection.login({ user: auth.user, pass: auth.password }, (loginError) => {
          if (loginError) return fail(loginError);
          if (!settled) sendMessage();
        });
      });
    });
  }
}

// The channel senders over their real protocols on loopback: Slack's Web API (a local
// HTTP server standing in for slack.com/api), SMTP (smtp-server), and a webhook receiver
// (node:http / node:https). No library is mocked; every test talks to 127.0.0.1 only and
// retries use an injected sleep, so nothing depends on the machine's speed beyond
// generous timeouts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { deliverWithRetries, type DeliveryAttemptRecord, type DeliveryOutcome } from '../../alerting/channels/deliver.js';
import { EmailChannel, emailMessageId, type EmailChannelOptions } from '../../alerting/channels/email.js';
import { SlackChannel } from '../../alerting/channels/slack.js';
import { DeliveryError, type Channel, type DeliveryErrorCode } from '../../alerting/channels/types.js';
import { WebhookChannel, type WebhookChannelOptions } from '../../alerting/channels/webhook.js';
import type { AlertNotification } from '../../alerting/notification.js';
import { emailMessage } from '../../alerting/render/email.js';
import { slackMessage } from '../../alerting/render/slack.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verifyWebhookSignature, webhookPayload } from '../../alerting/render/webhook.js';
import { closedPort, closeHttp, listen, readBody } from '../helpers/loopback.js';
import { SAMPLE_FEATURES, SAMPLE_IDEMPOTENCY_KEY, sampleNotification } from '../helpers/notification.js';
import { deliveryError } from '../helpers/delivery.js';

const GENEROUS_MS = 20_000;
const firstAttempt = () => ({ number: 1, startedAt: Date.now() });

// ---------------------------------------------------------------------------------------
// Shared helpers

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function assertFailure(error: DeliveryError, code: DeliveryErrorCode, retryable: boolean, responseCode: number | null = error.responseCode): void {
  assert.equal(error.code, code, `code (message: ${error.message})`);
  assert.equal(error.retryable, retryable, `retryable (message: ${error.message})`);
  assert.equal(error.responseCode, responseCode, 'responseCode');
}

/** deliverWithRetries with an instant, recorded sleep and a clock that the sleeps advance. */
async function deliverRecorded(
  channel: Channel, n: AlertNotification, maxAttempts: number, onSleep: (ms: number) => Promise<void> | void = () => {},
): Promise<{ outcome: DeliveryOutcome; records: DeliveryAttemptRecord[]; sleeps: number[] }> {
  const records: DeliveryAttemptRecord[] = [];
  const sleeps: number[] = [];
  let skew = 0;
  const outcome = await deliverWithRetries(channel, n, { initialMs: 1_000, maxMs: 10_000, maxAttempts }, {
    onAttempt: (record) => { records.push(record); },
  }, {
    now: () => Date.now() + skew,
    sleep: async (ms) => { sleeps.push(ms); skew += ms; await onSleep(ms); },
  });
  return { outcome, records, sleeps };
}

let certificate: { key: string; cert: string } | null | undefined;
/** A throw-away self-signed certificate for 127.0.0.1, localhost and alerts.driftwatch.test; null without openssl. */
function testCertificate(): { key: string; cert: string } | null {
  if (certificate !== undefined) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=driftwatch-test', '-addext', 'subjectAltName=DNS:localhost,DNS:alerts.driftwatch.test,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: GENEROUS_MS });
    certificate = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    certificate = null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return certificate;
}

// ---------------------------------------------------------------------------------------
// Slack

interface SlackRequest { path: string; authorization: string | undefined; contentType: string | undefined; form: URLSearchParams }
type SlackReply = (res: http.ServerResponse) => void;

const slackOk: SlackReply = (res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ ok: true, channel: 'C0ALERTS', ts: '1714568520.000100' }));
};

/** Stands in for https://slack.com/api/: answers the n-th request with replies[n] (default: ok). */
async function fakeSlack(replies: SlackReply[] = []) {
  const requests: SlackRequest[] = [];
  let posted = 0;
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({
      path: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'],
      form: new URLSearchParams(body.toString('utf8')),
    });
    const reply = replies[requests.length - 1] ?? slackOk;
    if (reply === slackOk) posted += 1;
    reply(res);
  });
  const port = await listen(server);
  cleanups.push(() => closeHttp(server));
  return { requests, port, url: `http://127.0.0.1:${port}/api/`, posted: () => posted };
}

function slackChannel(slackApiUrl: string, timeoutMs = GENEROUS_MS): SlackChannel {
  return new SlackChannel({ id: 'slack-risk', token: 'xoxb-test-token', channel: 'C0ALERTS', slackApiUrl, timeoutMs });
}

describe('Slack', () => {
  test('posts chat.postMessage with the rendered blocks, the fallback text and the bot token', async () => {
    const slack = await fakeSlack();
    const n = sampleNotification();
    const success = await slackChannel(slack.url).send(n, firstAttempt());

    assert.equal(slack.requests.length, 1);
    const [request] = slack.requests;
    assert.equal(request!.path, '/api/chat.postMessage');
    assert.equal(request!.authorization, 'Bearer xoxb-test-token');
    assert.match(request!.contentType ?? '', /application\/x-www-form-urlencoded/);
    const expected = slackMessage(n);
    assert.equal(request!.form.get('channel'), 'C0ALERTS');
    assert.equal(request!.form.get('text'), expected.text);
    assert.deepEqual(JSON.parse(request!.form.get('blocks') ?? 'null'), expected.blocks);
    assert.equal(request!.form.get('unfurl_links'), 'false');
    const metadata = JSON.parse(request!.form.get('metadata') ?? 'null') as { event_type: string; event_payload: Record<string, string> };
    assert.equal(metadata.event_type, 'driftwatch_alert');
    assert.equal(metadata.event_payload.idempotency_key, SAMPLE_IDEMPOTENCY_KEY);
    for (const feature of SAMPLE_FEATURES) assert.ok(request!.form.get('blocks')!.includes(feature), `blocks list ${feature}`);

    assert.equal(success.responseCode, 200);
    assert.match(success.detail, /C0ALERTS/);
  });

  test('429 with Retry-After, then success: one retry after the asked wait, exactly one post', async () => {
    const slack = await fakeSlack([
      (res) => { res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' }); res.end('{"ok":false,"error":"ratelimited"}'); },
    ]);
    const { outcome, records, sleeps } = await deliverRecorded(slackChannel(slack.url), sampleNotification(), 3);

    assert.equal(outcome.status, 'delivered');
    assert.equal(outcome.attempts, 2);
    assert.equal(slack.requests.length, 2);
    assert.equal(slack.posted(), 1, 'exactly one successful post');
    assert.deepEqual(sleeps, [1_000], 'waited what Retry-After asked');
    assert.deepEqual(records.map((r) => [r.status, r.responseCode, r.errorCode]), [
      ['retrying', 429, 'DW_DELIVERY_RATE_LIMITED'],
      ['delivered', 200, null],
    ]);
  });

  test('429 without Retry-After is still retryable, with our own backoff', async () => {
    const slack = await fakeSlack([(res) => { res.writeHead(429); res.end(); }]);
    const error = await deliveryError(slackChannel(slack.url).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_RATE_LIMITED', true, 429);
    assert.equal(error.retryAfterMs, null);
    assert.equal(slack.requests.length, 1, 'the client did not retry on its own');
  });

  test('a 500 is not retried: one request only (Slack may have posted it)', async () => {
    const slack = await fakeSlack([(res) => { res.writeHead(500); res.end('oops'); }]);
    const { outcome, records } = await deliverRecorded(slackChannel(slack.url), sampleNotification(), 5);

    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.attempts, 1);
    assert.equal(slack.requests.length, 1);
    assert.equal(slack.posted(), 0);
    assert.deepEqual(records.map((r) => [r.status, r.responseCode, r.errorCode, r.retryable]), [['failed', 500, 'DW_DELIVERY_HTTP_STATUS', false]]);
  });

  test('a timeout is not retried', async () => {
    const held: http.ServerResponse[] = [];
    const slack = await fakeSlack([(res) => { held.push(res); }]);
    const { outcome } = await deliverRecorded(slackChannel(slack.url, 500), sampleNotification(), 5);

    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.status === 'failed' && outcome.error.code, 'DW_DELIVERY_TIMEOUT');
    assert.equal(outcome.status === 'failed' && outcome.error.retryable, false);
    assert.equal(slack.requests.length, 1);
    for (const res of held) res.destroy();
  });

  test('Slack API errors are final: channel_not_found, invalid_auth', async () => {
    const apiError = (error: string): SlackReply => (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error }));
    };
    const slack = await fakeSlack([apiError('channel_not_found'), apiError('invalid_auth')]);
    const channel = slackChannel(slack.url);
    const notFound = await deliveryError(channel.send(sampleNotification(), firstAttempt()));
    assertFailure(notFound, 'DW_DELIVERY_REJECTED', false, 200);
    assert.match(notFound.message, /channel_not_found/);
    const badToken = await deliveryError(channel.send(sampleNotification(), firstAttempt()));
    assertFailure(badToken, 'DW_DELIVERY_AUTH', false, 200);
  });

  test('connection refused (nothing was sent) is retryable', async () => {
    const port = await closedPort();
    const error = await deliveryError(slackChannel(`http://127.0.0.1:${port}/api/`).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_CONNECTION_REFUSED', true, null);
  });
});

// ---------------------------------------------------------------------------------------
// Email

interface ReceivedMail { from: string; to: string[]; raw: string; user: string | undefined; secure: boolean }

interface SmtpHandlers {
  onMailFrom?: (address: string, sockets: Set<net.Socket>, callback: (err?: Error | null) => void) => void;
  onRcptTo?: (address: string, callback: (err?: Error | null) => void) => void;
  /** After the whole message arrived; default: accept. */
  onMessage?: (mail: ReceivedMail, index: number, sockets: Set<net.Socket>, callback: (err?: Error | null, message?: string) => void) => void;
}

function smtpReply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

async function smtpServer(handlers: SmtpHandlers = {}, options: Partial<SMTPServerOptions> = {}) {
  const messages: ReceivedMail[] = [];
  const sockets = new Set<net.Socket>();
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 1_000,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'alerts' && auth.password === 's3cret') callback(null, { user: 'alerts' });
      else callback(smtpReply(535, 'Authentication credentials invalid'));
    },
    onMailFrom(address, _session, callback) {
      if (handlers.onMailFrom) handlers.onMailFrom(address.address, sockets, callback);
      else callback();
    },
    onRcptTo(address, _session, callback) {
      if (handlers.onRcptTo) handlers.onRcptTo(address.address, callback);
      else callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
        };
        messages.push(mail);
        if (handlers.onMessage) handlers.onMessage(mail, messages.length - 1, sockets, callback);
        else callback(null, 'Queued as test-1');
      });
    },
    ...options,
  });
  server.on('error', () => {}); // sockets the tests destroy on purpose
  server.server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server.server);
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { port, messages, sockets };
}

function emailChannel(port: number, overrides: Partial<EmailChannelOptions> = {}): EmailChannel {
  return new EmailChannel({
    id: 'email-risk',
    host: '127.0.0.1',
    port,
    security: 'none',
    auth: { user: 'alerts', password: 's3cret' },
    from: 'Driftwatch <alerts@driftwatch.example.com>',
    to: ['ops@example.com', 'ml-team@example.com'],
    connectionTimeoutMs: GENEROUS_MS,
    greetingTimeoutMs: GENEROUS_MS,
    socketTimeoutMs: GENEROUS_MS,
    timeoutMs: GENEROUS_MS * 2,
    ...overrides,
  });
}

// A small independent MIME reader (headers, RFC 2047 words, multipart, QP and base64).

function splitHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function decodeQuotedPrintableBytes(text: string, underscoreIsSpace: boolean): Buffer {
  const bytes: number[] = [];
  const source = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i]!;
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      bytes.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '_' && underscoreIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeHeaderValue(value: string): string {
  const joined = value.replace(/\?=\s+=\?/g, '?==?');
  let out = '';
  let pending: Buffer[] = [];
  let last = 0;
  const flush = () => { out += Buffer.concat(pending).toString('utf8'); pending = []; };
  for (const match of joined.matchAll(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g)) {
    if (match.index! > last) { flush(); out += joined.slice(last, match.index); }
    pending.push(match[2]!.toUpperCase() === 'B' ? Buffer.from(match[3]!, 'base64') : decodeQuotedPrintableBytes(match[3]!, true));
    last = match.index! + match[0].length;
  }
  flush();
  return out + joined.slice(last);
}

interface MimePart { headers: Map<string, string>; body: string }

function parseMime(raw: string): { headers: Map<string, string>; parts: MimePart[] } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = splitHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const decode = (partHeaders: Map<string, string>, content: string): string => {
    const encoding = (partHeaders.get('content-transfer-encoding') ?? '7bit').toLowerCase();
    if (encoding === 'quoted-printable') return decodeQuotedPrintableBytes(content, false).toString('utf8');
    if (encoding === 'base64') return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
    return content;
  };
  if (boundary === undefined) return { headers, parts: [{ headers, body: decode(headers, body) }] };
  const parts = body.split(`--${boundary}`).slice(1, -1).map((chunk) => {
    const content = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const at = content.indexOf('\r\n\r\n');
    const partHeaders = splitHeaders(content.slice(0, at));
    return { headers: partHeaders, body: decode(partHeaders, content.slice(at + 4)) };
  });
  return { headers, parts };
}

const lf = (text: string) => text.replace(/\r\n/g, '\n').trimEnd();

describe('Email (SMTP)', () => {
  test('delivers the HTML and text message to every recipient, with a Message-ID from the idempotency key', async () => {
    const smtp = await smtpServer();
    const n = sampleNotification();
    const channel = emailChannel(smtp.port);
    const success = await channel.send(n, firstAttempt());

    assert.equal(smtp.messages.length, 1);
    const mail = smtp.messages[0]!;
    assert.equal(mail.from, 'alerts@driftwatch.example.com');
    assert.deepEqual(mail.to, ['ops@example.com', 'ml-team@example.com']);
    assert.equal(mail.user, 'alerts', 'authenticated with the configured user');

    const expected = emailMessage(n);
    const { headers, parts } = parseMime(mail.raw);
    assert.equal(decodeHeaderValue(headers.get('subject') ?? ''), expected.subject);
    assert.match(headers.get('to') ?? '', /ops@example\.com.*ml-team@example\.com/);
    const messageId = emailMessageId(SAMPLE_IDEMPOTENCY_KEY, 'driftwatch.example.com');
    assert.equal(messageId, `<driftwatch.${SAMPLE_IDEMPOTENCY_KEY}@driftwatch.example.com>`);
    assert.equal(headers.get('message-id'), messageId);
    assert.equal(channel.messageId(n), messageId);
    assert.equal(headers.get(IDEMPOTENCY_HEADER.toLowerCase()), SAMPLE_IDEMPOTENCY_KEY);
    assert.equal(headers.get('auto-submitted'), 'auto-generated');
    assert.match(headers.get('content-type') ?? '', /multipart\/alternative/);

    const text = parts.find((p) => /text\/plain/.test(p.headers.get('content-type') ?? ''));
    const html = parts.find((p) => /text\/html/.test(p.headers.get('content-type') ?? ''));
    assert.ok(text && html, 'a text and an HTML part');
    assert.equal(lf(text.body), lf(expected.text));
    assert.equal(lf(html.body), lf(expected.html));
    for (const feature of SAMPLE_FEATURES) {
      assert.ok(text.body.includes(feature), `text lists ${feature}`);
      assert.ok(html.body.includes(feature), `HTML lists ${feature}`);
    }

    assert.equal(success.responseCode, 250);
    assert.ok(success.detail.includes(messageId));
    assert.match(success.detail, /2 recipient/);
  });

  test('a temporary 451 after the message is retried; both copies carry the same Message-ID', async () => {
    const smtp = await smtpServer({
      onMessage: (_mail, index, _sockets, callback) => {
        if (index === 0) callback(smtpReply(451, 'Local error in processing, try again'));
        else callback(null, 'Queued');
      },
    });
    const { outcome, records } = await deliverRecorded(emailChannel(smtp.port), sampleNotification(), 3);

    assert.equal(outcome.status, 'delivered');
    assert.equal(outcome.attempts, 2);
    assert.deepEqual(records.map((r) => [r.status, r.responseCode, r.errorCode]), [
      ['retrying', 451, 'DW_DELIVERY_REJECTED'],
      ['delivered', 250, null],
    ]);
    assert.equal(smtp.messages.length, 2);
    const ids = smtp.messages.map((m) => parseMime(m.raw).headers.get('message-id'));
    assert.equal(ids[0], ids[1], 'a duplicate is recognisable by its Message-ID');
  });

  const REPLIES: Array<{ name: string; handlers: SmtpHandlers; code: DeliveryErrorCode; retryable: boolean; responseCode: number }> = [
    {
      name: 'every recipient refused permanently (550)',
      handlers: { onRcptTo: (_a, cb) => cb(smtpReply(550, 'No such user')) },
      code: 'DW_DELIVERY_REJECTED', retryable: false, responseCode: 550,
    },
    {
      name: 'every recipient refused temporarily (450, greylisting)',
      handlers: { onRcptTo: (_a, cb) => cb(smtpReply(450, 'Greylisted, try again later')) },
      code: 'DW_DELIVERY_REJECTED', retryable: true, responseCode: 450,
    },
    {
      name: 'sender refused temporarily (451)',
      handlers: { onMailFrom: (_a, _s, cb) => cb(smtpReply(451, 'Temporary local problem')) },
      code: 'DW_DELIVERY_REJECTED', retryable: true, responseCode: 451,
    },
    {
      name: 'message refused permanently after DATA (554)',
      handlers: { onMessage: (_m, _i, _s, cb) => cb(smtpReply(554, 'Message rejected as spam')) },
      code: 'DW_DELIVERY_REJECTED', retryable: false, responseCode: 554,
    },
  ];

  for (const row of REPLIES) {
    test(`an SMTP reply decides: ${row.name}`, async () => {
      const smtp = await smtpServer(row.handlers);
      const error = await deliveryError(emailChannel(smtp.port).send(sampleNotification(), firstAttempt()));
      assertFailure(error, row.code, row.retryable, row.responseCode);
    });
  }

  test('wrong credentials (535) are final', async () => {
    const smtp = await smtpServer();
    const error = await deliveryError(emailChannel(smtp.port, { auth: { user: 'alerts', password: 'wrong' } }).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_AUTH', false, 535);
    assert.equal(smtp.messages.length, 0);
  });

  test('a connection lost before DATA is retried (nothing can have been accepted)', async () => {
    const smtp = await smtpServer({
      onMailFrom: (_address, sockets) => { for (const socket of sockets) socket.destroy(); },
    });
    const error = await deliveryError(emailChannel(smtp.port).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_CONNECTION_LOST', true, null);
    assert.equal(smtp.messages.length, 0);
  });

  test('a connection lost after the whole message was sent is NOT retried (the server may have queued it)', async () => {
    const smtp = await smtpServer({
      onMessage: (_mail, _index, sockets) => { for (const socket of sockets) socket.destroy(); },
    });
    const { outcome, records } = await deliverRecorded(emailChannel(smtp.port), sampleNotification(), 5);

    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(records.map((r) => [r.status, r.errorCode, r.retryable]), [['failed', 'DW_DELIVERY_OUTCOME_UNKNOWN', false]]);
    assert.equal(smtp.messages.length, 1, 'the server did receive the message');
  });

  test('connection refused is retryable', async () => {
    const port = await closedPort();
    const error = await deliveryError(emailChannel(port).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_CONNECTION_REFUSED', true, null);
  });

  test('a server that never greets times out, retryable', async () => {
    const silent = net.createServer(() => { /* accepts and says nothing */ });
    const held = new Set<net.Socket>();
    silent.on('connection', (socket) => held.add(socket));
    const port = await listen(silent);
    cleanups.push(() => new Promise<void>((resolve) => { for (const s of held) s.destroy(); silent.close(() => resolve()); }));

    const error = await deliveryError(emailChannel(port, { greetingTimeoutMs: 300 }).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_TIMEOUT', true, null);
  });

  test('recipients refused while others are accepted: delivered, the refused ones named', async () => {
    const smtp = await smtpServer({
      onRcptTo: (address, cb) => (address === 'nobody@example.com' ? cb(smtpReply(550, 'No such user')) : cb()),
    });
    const success = await emailChannel(smtp.port, { to: ['ops@example.com', 'nobody@example.com'] }).send(sampleNotification(), firstAttempt());
    assert.deepEqual(smtp.messages.map((m) => m.to), [['ops@example.com']]);
    assert.match(success.detail, /1 recipient\(s\); refused for nobody@example\.com/);
  });

  test('STARTTLS: upgrades and verifies the server certificate; refuses to go on without it', async (t) => {
    const tls = testCertificate();
    if (tls === null) return t.skip('openssl is not available to make a test certificate');

    const secure = await smtpServer({}, { disabledCommands: [], key: tls.key, cert: tls.cert });
    await emailChannel(secure.port, { security: 'starttls', tls: { ca: tls.cert } }).send(sampleNotification(), firstAttempt());
    assert.equal(secure.messages.length, 1);
    assert.equal(secure.messages[0]!.secure, true, 'the message went over TLS');

    const untrusted = await deliveryError(emailChannel(secure.port, { security: 'starttls' }).send(sampleNotification(), firstAttempt()));
    assertFailure(untrusted, 'DW_DELIVERY_TLS', false);

    const plainOnly = await smtpServer(); // STARTTLS disabled
    const refused = await deliveryError(emailChannel(plainOnly.port, { security: 'starttls' }).send(sampleNotification(), firstAttempt()));
    assert.equal(refused.code, 'DW_DELIVERY_TLS');
    assert.equal(refused.retryable, false);
    assert.equal(plainOnly.messages.length, 0, 'nothing sent in the clear');
  });
});

// ---------------------------------------------------------------------------------------
// Webhook

interface WebhookReceived { path: string; host: string | undefined; servername: string | undefined; headers: http.IncomingHttpHeaders; body: Buffer }
type WebhookReply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const SECRET = 'whsec_integration';
const accept: WebhookReply = (_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); };

/** A receiver answering the n-th request with replies[n] (default: 200). */
async function webhookReceiver(replies: WebhookReply[] = [], options: { port?: number; tls?: { key: string; cert: string } } = {}) {
  const received: WebhookReceived[] = [];
  let accepted = 0;
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = await readBody(req);
    received.push({
      path: req.url ?? '', host: req.headers.host, servername: (req.socket as TLSSocket).servername || undefined, headers: req.headers, body,
    });
    const reply = replies[received.length - 1] ?? accept;
    if (reply === accept) accepted += 1;
    reply(req, res);
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  const port = await listen(server, options.port ?? 0);
  cleanups.push(() => closeHttp(server));
  return { received, port, accepted: () => accepted };
}

const loopbackPolicy = { allowedHosts: ['127.0.0.1'], allowPrivate: true };

function webhookChannel(url: string, overrides: Partial<WebhookChannelOptions> = {}): WebhookChannel {
  return new WebhookChannel({ id: 'hook-retrain', url, secret: SECRET, urlPolicy: loopbackPolicy, timeoutMs: GENEROUS_MS, ...overrides });
}

const status = (code: number, headers: Record<string, string> = {}): WebhookReply => (_req, res) => { res.writeHead(code, headers); res.end(`status ${code}`); };

describe('Webhook', () => {
  test('POSTs the signed v1 body; the receiver verifies the HMAC and the idempotency key', async () => {
    const receiver = await webhookReceiver();
    const n = sampleNotification();
    const success = await webhookChannel(`http://127.0.0.1:${receiver.port}/hooks/driftwatch`).send(n, firstAttempt());

    assert.equal(receiver.received.length, 1);
    const request = receiver.received[0]!;
    assert.equal(request.path, '/hooks/driftwatch');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers[IDEMPOTENCY_HEADER.toLowerCase()], SAMPLE_IDEMPOTENCY_KEY);
    const verification = verifyWebhookSignature(SECRET, request.headers[SIGNATURE_HEADER.toLowerCase()] as string, request.body, Math.floor(Date.now() / 1000));
    assert.equal(verification.ok, true, JSON.stringify(verification));
    assert.equal(verifyWebhookSignature('another-secret', request.headers[SIGNATURE_HEADER.toLowerCase()] as string, request.body, Math.floor(Date.now() / 1000)).ok, false);
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), webhookPayload(n));
    assert.equal(success.responseCode, 200);
    assert.match(success.detail, /HTTP 200/);
  });

  test('503, 503, then 200: one successful delivery; the same idempotency key three times, signed afresh each time', async () => {
    const receiver = await webhookReceiver([status(503), status(503)]);
    const { outcome, records, sleeps } = await deliverRecorded(webhookChannel(`http://127.0.0.1:${receiver.port}/hook`), sampleNotification(), 5);

    assert.equal(outcome.status, 'delivered');
    assert.equal(outcome.attempts, 3);
    assert.equal(receiver.accepted(), 1, 'exactly one successful delivery');
    assert.deepEqual(receiver.received.map((r) => r.headers[IDEMPOTENCY_HEADER.toLowerCase()]), [SAMPLE_IDEMPOTENCY_KEY, SAMPLE_IDEMPOTENCY_KEY, SAMPLE_IDEMPOTENCY_KEY]);
    assert.deepEqual(sleeps, [1_000, 2_000]);
    assert.deepEqual(records.map((r) => [r.status, r.responseCode]), [['retrying', 503], ['retrying', 503], ['delivered', 200]]);

    const timestamps = receiver.received.map((r) => {
      const header = r.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      const verification = verifyWebhookSignature(SECRET, header, r.body, Math.floor(Date.now() / 1000));
      assert.equal(verification.ok, true, JSON.stringify(verification));
      return verification.ok ? verification.timestampSeconds : -1;
    });
    assert.ok(timestamps[0]! < timestamps[1]! && timestamps[1]! < timestamps[2]!, `each attempt signed at its own time: ${timestamps.join(', ')}`);
  });

  test('a 400 is not retried', async () => {
    const receiver = await webhookReceiver([status(400)]);
    const { outcome, records } = await deliverRecorded(webhookChannel(`http://127.0.0.1:${receiver.port}/hook`), sampleNotification(), 5);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.attempts, 1);
    assert.equal(receiver.received.length, 1);
    assert.deepEqual(records.map((r) => [r.status, r.responseCode, r.errorCode, r.retryable]), [['failed', 400, 'DW_DELIVERY_HTTP_STATUS', false]]);
    assert.match(outcome.status === 'failed' ? outcome.error.message : '', /status 400/, 'the receiver\'s answer is kept');
  });

  const STATUSES: Array<{ code: number; headers?: Record<string, string>; ok?: true; retryable?: boolean; retryAfterMs?: number | null }> = [
    { code: 200, ok: true },
    { code: 202, ok: true },
    { code: 204, ok: true },
    { code: 301, headers: { Location: 'http://169.254.169.254/latest' }, retryable: false },
    { code: 401, retryable: false },
    { code: 404, retryable: false },
    { code: 409, retryable: false },
    { code: 422, retryable: false },
    { code: 429, headers: { 'Retry-After': '7' }, retryable: true, retryAfterMs: 7_000 },
    { code: 429, retryable: true, retryAfterMs: null },
    { code: 500, retryable: true },
    { code: 502, retryable: true },
    { code: 503, headers: { 'Retry-After': '2' }, retryable: true, retryAfterMs: 2_000 },
    { code: 504, retryable: true },
  ];

  test('status table: 2xx delivered; 429 and 5xx retryable (with Retry-After); 3xx and other 4xx final', async () => {
    const receiver = await webhookReceiver(STATUSES.map((row) => status(row.code, row.headers)));
    const channel = webhookChannel(`http://127.0.0.1:${receiver.port}/hook`);
    for (const row of STATUSES) {
      if (row.ok) {
        const success = await channel.send(sampleNotification(), firstAttempt());
        assert.equal(success.responseCode, row.code);
        continue;
      }
      const error = await deliveryError(channel.send(sampleNotification(), firstAttempt()));
      assert.equal(error.responseCode, row.code);
      assert.equal(error.retryable, row.retryable, `HTTP ${row.code} retryable`);
      if (row.retryAfterMs !== undefined) assert.equal(error.retryAfterMs, row.retryAfterMs, `HTTP ${row.code} Retry-After`);
    }
    assert.equal(receiver.received.length, STATUSES.length, 'the redirect was not followed');
  });

  test('connection refused is retried, and the retry delivers once the receiver is up', async () => {
    const port = await closedPort();
    let receiver: Awaited<ReturnType<typeof webhookReceiver>> | undefined;
    const { outcome, records } = await deliverRecorded(webhookChannel(`http://127.0.0.1:${port}/hook`), sampleNotification(), 3, async () => {
      receiver ??= await webhookReceiver([], { port });
    });
    assert.equal(outcome.status, 'delivered');
    assert.equal(outcome.attempts, 2);
    assert.deepEqual(records.map((r) => [r.status, r.errorCode, r.retryable]), [
      ['retrying', 'DW_DELIVERY_CONNECTION_REFUSED', true],
      ['delivered', null, null],
    ]);
    assert.equal(receiver?.received.length, 1);
  });

  test('a receiver that does not answer times out, retryable (it dedups by key)', async () => {
    const held: http.ServerResponse[] = [];
    const receiver = await webhookReceiver([(_req, res) => { held.push(res); }]);
    const error = await deliveryError(webhookChannel(`http://127.0.0.1:${receiver.port}/hook`, { timeoutMs: 500 }).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_TIMEOUT', true, null);
    for (const res of held) res.destroy();
  });

  test('a private address is refused unless allowPrivate; nothing reaches it', async () => {
    const receiver = await webhookReceiver();
    const publicOnly = { allowedHosts: ['*'], allowPrivate: false };
    const refused = [
      webhookChannel(`http://127.0.0.1:${receiver.port}/hook`, { urlPolicy: publicOnly }),
      webhookChannel(`https://127.0.0.1:${receiver.port}/hook`, { urlPolicy: publicOnly }),
      webhookChannel(`https://[::ffff:127.0.0.1]:${receiver.port}/hook`, { urlPolicy: publicOnly }),
      webhookChannel(`https://internal.driftwatch.test:${receiver.port}/hook`, { urlPolicy: publicOnly, resolver: async () => ['10.1.2.3'] }),
      webhookChannel(`http://127.0.0.1:${receiver.port}/hook`, { urlPolicy: { allowedHosts: ['hooks.example.com'], allowPrivate: true } }),
    ];
    for (const channel of refused) {
      const error = await deliveryError(channel.send(sampleNotification(), firstAttempt()));
      assertFailure(error, 'DW_DELIVERY_URL_REFUSED', false, null);
    }
    assert.equal(receiver.received.length, 0);

    await webhookChannel(`http://127.0.0.1:${receiver.port}/hook`, { urlPolicy: { allowedHosts: ['127.0.0.1'], allowPrivate: true } })
      .send(sampleNotification(), firstAttempt());
    assert.equal(receiver.received.length, 1);
  });

  test('a name that does not resolve is refused, retryably', async () => {
    const error = await deliveryError(webhookChannel('https://hooks.driftwatch.test/x', {
      urlPolicy: { allowedHosts: ['*'], allowPrivate: false },
      resolver: async () => { throw Object.assign(new Error('queryA ENOTFOUND hooks.driftwatch.test'), { code: 'ENOTFOUND' }); },
    }).send(sampleNotification(), firstAttempt()));
    assertFailure(error, 'DW_DELIVERY_URL_REFUSED', true, null);
  });

  test('the request goes to the checked address, once resolved, with the name in Host', async () => {
    const receiver = await webhookReceiver();
    let lookups = 0;
    const channel = webhookChannel(`http://alerts.driftwatch.test:${receiver.port}/hook`, {
      urlPolicy: { allowedHosts: ['*.driftwatch.test'], allowPrivate: true },
      // .test never resolves in public DNS: the request can only arrive through the checked answer.
      resolver: async (hostname) => { lookups += 1; assert.equal(hostname, 'alerts.driftwatch.test'); return ['127.0.0.1']; },
    });
    await channel.send(sampleNotification(), firstAttempt());
    await channel.send(sampleNotification(), firstAttempt());
    assert.equal(lookups, 2, 'one resolution per attempt, by the check');
    assert.deepEqual(receiver.received.map((r) => r.host), [`alerts.driftwatch.test:${receiver.port}`, `alerts.driftwatch.test:${receiver.port}`]);
  });

  test('https to a pinned address keeps SNI and certificate checks on the host name', async (t) => {
    const tls = testCertificate();
    if (tls === null) return t.skip('openssl is not available to make a test certificate');
    const receiver = await webhookReceiver([], { tls });
    const options = {
      urlPolicy: { allowedHosts: ['alerts.driftwatch.test'], allowPrivate: true },
      resolver: async () => ['127.0.0.1'],
    };
    const url = `https://alerts.driftwatch.test:${receiver.port}/hook`;

    const success = await webhookChannel(url, { ...options, ca: tls.cert }).send(sampleNotification(), firstAttempt());
    assert.equal(success.responseCode, 200);
    assert.equal(receiver.received[0]?.servername, 'alerts.driftwatch.test');

    const untrusted = await deliveryError(webhookChannel(url, options).send(sampleNotification(), firstAttempt()));
    assertFailure(untrusted, 'DW_DELIVERY_TLS', false, null);

    // The certificate does not name this host: verification is against the name, not the address.
    const wrongName = await deliveryError(webhookChannel(`https://other.driftwatch.test:${receiver.port}/hook`, {
      ...options, urlPolicy: { allowedHosts: ['*.driftwatch.test'], allowPrivate: true }, ca: tls.cert,
    }).send(sampleNotification(), firstAttempt()));
    assertFailure(wrongName, 'DW_DELIVERY_TLS', false, null);
    assert.equal(receiver.received.length, 1);
  });
});

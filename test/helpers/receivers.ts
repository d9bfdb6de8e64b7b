// Real receivers on loopback for delivery tests: an SMTP server (smtp-server), a stand-in
// for Slack's Web API, and HTTP receivers for webhooks and retraining pipelines whose
// answers a test can script (fail n times, then succeed).
import http from 'node:http';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { closeHttp, listen, readBody } from './loopback.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  raw: string;
  at: number;
}

export interface SlackPost {
  path: string;
  authorization: string | undefined;
  channel: string | null;
  text: string | null;
  blocks: unknown;
  at: number;
}

export interface HttpRequestRecord {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
}

/** The Subject header of a raw message (unfolded; ASCII subjects as sent). */
function subjectOf(raw: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const match = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(head);
  return match === null ? '' : match[1]!.replace(/\r?\n[ \t]/g, ' ');
}

export async function startSmtpReceiver(): Promise<{ port: number; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 1_000,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: subjectOf(raw),
          raw,
          at: Date.now(),
        });
        callback(null, 'Queued');
      });
    },
  });
  server.on('error', () => {});
  const port = await listen(server.server);
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function startSlackReceiver(): Promise<{ url: string; posts: SlackPost[]; close(): Promise<void> }> {
  const posts: SlackPost[] = [];
  const server = http.createServer(async (req, res) => {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const blocks = form.get('blocks');
    posts.push({
      path: req.url ?? '', authorization: req.headers.authorization, channel: form.get('channel'), text: form.get('text'),
      blocks: blocks === null ? null : JSON.parse(blocks), at: Date.now(),
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: true, channel: form.get('channel'), ts: `${Date.now() / 1000}` }));
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/api/`, posts, close: () => closeHttp(server) };
}

export interface HttpReceiver {
  url: string;
  requests: HttpRequestRecord[];
  /** Requests answered 2xx. */
  accepted(): HttpRequestRecord[];
  /** The next `count` requests are answered `status`. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

/** Answers 200 {"ok":true} unless told to fail; records every request. */
export async function startHttpReceiver(path = '/hook'): Promise<HttpReceiver> {
  const requests: HttpRequestRecord[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    let status = 200;
    if (failures.count > 0) {
      failures = { ...failures, count: failures.count - 1 };
      status = failures.status;
    }
    requests.push({ path: req.url ?? '', headers: req.headers, body, status, at: Date.now() });
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(status < 300 ? { ok: true } : { error: 'scripted failure' }));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    accepted: () => requests.filter((request) => request.status >= 200 && request.status < 300),
    failNext: (count, status) => { failures = { count, status }; },
    close: () => closeHttp(server),
  };
}

// Faults on the real services: SIGTERM, a ClickHouse outage, and SIGKILL of the ingest
// process, each mid-stream. Afterwards every accepted event is present exactly once.
// The test runs its own ClickHouse instance (other ports, its own data dir) so that
// stopping it disturbs nothing else.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Producer } from 'kafkajs';
import { loadConfig, type DriftwatchConfig } from '../../config/config.js';
import { dropTestDatabase, rawKafka, scalar, testEnv } from '../helpers/environment.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
const CH_PORTS = ['--http-port', '38123', '--tcp-port', '39000', '--interserver-port', '39009'];

const stateDir = mkdtempSync(join(tmpdir(), 'driftwatch-faults-'));
const clickhouseDir = join(stateDir, 'clickhouse');
const env = testEnv('faults', { DRIFTWATCH_CLICKHOUSE_URL: 'http://127.0.0.1:38123', DRIFTWATCH_CLICKHOUSE_TIMEOUT_MS: '5000', DRIFTWATCH_LOG_LEVEL: 'info' });
const config: DriftwatchConfig = loadConfig(env, undefined);
let producer: Producer;
let ingest: ChildProcess | undefined;
let produced = 0;

async function clickhouse(action: 'start' | 'stop'): Promise<void> {
  await run('bash', [join(REPO, 'scripts/clickhouse.sh'), action, '--dir', clickhouseDir, ...CH_PORTS], { timeout: 90_000 });
}

function startIngest(): ChildProcess {
  const log = openSync(join(stateDir, 'ingest.log'), 'a');
  const child = spawn(process.execPath, [CLI, 'start', '--roles', 'ingest'], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  ingest = child;
  return child;
}

async function stopIngest(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null> {
  const child = ingest;
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const code = await exited;
  ingest = undefined;
  return code;
}

function event(i: number): string {
  return JSON.stringify({
    event_id: `f-${i}`, model_id: 'faults', model_version: 'v1', timestamp: Date.UTC(2026, 10, 25) + i * 10,
    features: { x: i % 97, y: `c${i % 5}` }, prediction: i % 3,
  });
}

/** Produces `count` more events in chunks, like a serving stack that keeps sending. */
async function produceMore(count: number, chunk = 500, pauseMs = 20): Promise<void> {
  const end = produced + count;
  while (produced < end) {
    const size = Math.min(chunk, end - produced);
    const start = produced;
    await producer.send({ topic: config.kafka.topics.predictions, acks: -1, messages: Array.from({ length: size }, (_, k) => ({ value: event(start + k) })) });
    produced += size;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

const stored = () => scalar(config, 'SELECT count() AS value FROM predictions FINAL');

async function assertExactlyOnce(): Promise<void> {
  await waitFor(async () => (await stored()) >= produced, { what: `${produced} events stored`, timeoutMs: 90_000, intervalMs: 500 });
  assert.equal(await stored(), produced);
  assert.equal(await scalar(config, 'SELECT uniqExact(event_id) AS value FROM predictions'), produced);
  assert.equal(await scalar(config, `SELECT max(toUInt64(substring(event_id, 3))) AS value FROM predictions`), produced - 1);
}

before(async () => {
  await clickhouse('start');
  producer = rawKafka(config).producer();
  await producer.connect();
});

after(async () => {
  await stopIngest('SIGKILL');
  await producer?.disconnect();
  await dropTestDatabase(config).catch(() => undefined);
  await clickhouse('stop').catch(() => undefined);
  // Keep the ingest log for a look after a failure.
  try {
    writeFileSync(join(tmpdir(), 'driftwatch-faults-ingest.log'), readFileSync(join(stateDir, 'ingest.log')));
  } catch {
    // no log: ingest never started
  }
  rmSync(stateDir, { recursive: true, force: true });
});

test('SIGTERM mid-stream drains and commits: nothing lost, nothing redelivered', async () => {
  startIngest();
  const sending = produceMore(20_000);
  await waitFor(async () => (await stored().catch(() => 0)) > 2_000, { what: 'ingest under way', timeoutMs: 60_000 });
  assert.equal(await stopIngest('SIGTERM'), 0, 'graceful shutdown exits 0');
  await sending;
  startIngest();
  await assertExactlyOnce();
  // A graceful stop commits what it wrote, so no batch was written twice (no merge needed to hide it).
  assert.equal(await scalar(config, 'SELECT count() AS value FROM predictions'), produced);
});

/** An abrupt outage: a graceful stop keeps serving open keep-alive connections while it drains. */
async function crashClickHouse(): Promise<void> {
  const pid = Number(readFileSync(join(clickhouseDir, 'server.pid'), 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, { what: 'ClickHouse to die' });
}

test('ClickHouse killed mid-stream and restarted: ingest pauses, retries, loses nothing', async () => {
  const before = await stored();
  // Slow enough (about 12 s) that events keep arriving while ClickHouse is down.
  const sending = produceMore(30_000, 250, 100);
  await waitFor(async () => (await stored()) > before + 2_000, { what: 'ingest under way' });
  await crashClickHouse();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await clickhouse('start');
  await sending;
  await assertExactlyOnce();
  assert.equal(ingest?.exitCode, null, 'the ingest process survived the outage');
  const log = readFileSync(join(stateDir, 'ingest.log'), 'utf8');
  assert.match(log, /ClickHouse write failed, retrying/);
});

test('the ingest process killed with SIGKILL mid-stream and restarted: every event exactly once', async () => {
  const before = await stored();
  const sending = produceMore(20_000);
  await waitFor(async () => (await stored()) > before + 2_000, { what: 'ingest under way' });
  await stopIngest('SIGKILL');
  await sending;
  startIngest();
  await assertExactlyOnce();
});

test('SIGTERM while ClickHouse is down exits after the drain deadline; the batch is read again later', async () => {
  const before = await stored();
  await crashClickHouse();
  await produceMore(5_000);
  // Give the consumer time to pick the batch up and start retrying against the dead server.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const started = Date.now();
  assert.equal(await stopIngest('SIGTERM'), 0, 'graceful shutdown exits 0');
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 25, `shutdown took ${seconds} s; the drain deadline is 15 s`);
  await clickhouse('start');
  assert.equal(await stored(), before, 'nothing was written while ClickHouse was down');
  startIngest();
  await assertExactlyOnce();
});

// Analysis jobs as they travel over Kafka, and which succeeded runs satisfy them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJob, encodeJob, jobId, JobFormatError, satisfiedSince, type AnalysisJob } from '../../analyzer/service/jobs.js';

const job: AnalysisJob = {
  jobId: jobId('fraud-hourly', Date.UTC(2026, 10, 20, 12), 'manual', 1_795_000_000_000),
  monitorId: 'fraud-hourly',
  windowStart: Date.UTC(2026, 10, 20, 12),
  windowEnd: Date.UTC(2026, 10, 20, 13),
  reason: 'manual',
  requestedMs: 1_795_000_000_000,
};

test('a job round-trips through its message, keyed by monitor so a monitor\'s jobs share a partition', () => {
  const message = encodeJob(job);
  assert.equal(message.key, 'fraud-hourly');
  assert.deepEqual(decodeJob(Buffer.from(message.value)), job);
  assert.equal(job.jobId, 'fraud-hourly@2026-11-20T12:00:00.000Z#manual:1795000000000');
});

test('malformed job messages are refused with the field at fault', () => {
  const valid = JSON.parse(encodeJob(job).value) as Record<string, unknown>;
  const cases: Array<[Buffer | null, RegExp]> = [
    [null, /has no value/],
    [Buffer.from('{'), /not JSON/],
    [Buffer.from(JSON.stringify({ ...valid, monitor_id: '' })), /monitor_id must be a non-empty string/],
    [Buffer.from(JSON.stringify({ ...valid, window_start: 1.5 })), /window_start must be epoch milliseconds/],
    [Buffer.from(JSON.stringify({ ...valid, window_end: valid.window_start })), /must end after it starts/],
    [Buffer.from(JSON.stringify({ ...valid, reason: 'whim' })), /reason must be one of schedule, manual, backfill, late_labels/],
    [Buffer.from('null'), /must be a JSON object/],
    [Buffer.from(JSON.stringify({ ...valid, job_id: 7 })), /job_id must be a non-empty string/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => decodeJob(bytes), (error: unknown) => error instanceof JobFormatError && message.test(error.message), String(bytes));
  }
});

test('a scheduled window needs one success ever; an explicit request needs a run started after it', () => {
  const table: Array<[AnalysisJob['reason'], number]> = [
    ['schedule', 0],
    ['manual', job.requestedMs],
    ['backfill', job.requestedMs],
    ['late_labels', job.requestedMs],
  ];
  for (const [reason, since] of table) assert.equal(satisfiedSince({ ...job, reason }), since, reason);
});

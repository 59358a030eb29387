import { attentionOf, formatAge, formatStatus, type QueueStatus, type RunningJobStatus, type SystemStatus } from '../src/status';

// How `refinery status` prints what it read (the reading itself is checked end to end in test/e2e/jobs-cli.test.ts
// and test/e2e/dlq-cli.test.ts).

const MINUTE = 60_000;

function queue(subscription: string, figures: Partial<QueueStatus>): QueueStatus {
  return {
    service: 'matcher',
    subscription,
    queue: `matcher-${subscription}`,
    deadLetterQueue: `matcher-${subscription}-dlq`,
    waiting: 0,
    inFlight: 0,
    deadLettered: 0,
    oldestAgeMs: 0,
    deadLetterOldestAgeMs: 0,
    ...figures,
  };
}

function job(jobId: string, idleMs: number, stuck: boolean): RunningJobStatus {
  return {
    jobId,
    tenantId: 'acme',
    status: 'running',
    submittedAt: '2026-12-07T10:00:00.000Z',
    ageMs: idleMs + 5 * MINUTE,
    rows: { done: 1000, total: 4000 },
    chunks: { done: 1, total: 4 },
    idleMs,
    stuck,
    waitingFor: '1 of 4 chunks were labeled; chunks 2, 3, 4 (rows 1001-4000) never were',
  };
}

const AWS: SystemStatus = {
  location: { kind: 'aws', stage: 'prod' },
  readAt: '2026-12-07T12:00:00.000Z',
  stuckAfterMinutes: 120,
  queues: [queue('chunks', { waiting: 3, inFlight: 2, oldestAgeMs: null }), queue('expressChunks', {})],
  jobs: [job('job_A', 130 * MINUTE, true), job('job_B', 3 * 60 * MINUTE, true), job('job_C', 45_000, false)],
  providers: { circuits: 'unknown', reason: "kept in each matcher function instance's memory, not readable from outside" },
  attention: ['2 jobs stuck, the longest for 3h 0m'],
  notes: ['oldest message ages: n/a (CloudWatch GetMetricData failed: access denied)'],
};

describe('refinery status output', () => {
  it('prints ages short: seconds, minutes, hours, days', () => {
    expect([0, 45_000, 12 * MINUTE + 5000, 130 * MINUTE, 50 * 60 * MINUTE].map(formatAge)).toEqual(['0s', '45s', '12m 5s', '2h 10m', '2d 2h']);
  });

  it('shows an age CloudWatch could not give as n/a, with the note saying why, and stuck jobs with what they wait for', () => {
    const text = formatStatus(AWS);
    expect(text.split('\n').slice(0, 2)).toEqual([
      'refinery status of AWS stage prod, read at 2026-12-07T12:00:00.000Z',
      'attention: 2 jobs stuck, the longest for 3h 0m',
    ]);
    expect(text).toMatch(/^ {2}matcher\/chunks\s+3\s+2\s+n\/a\s+0\s+-$/m);
    expect(text).toMatch(/^ {2}matcher\/expressChunks\s+0\s+0\s+-\s+0\s+-$/m);
    expect(text).toMatch(/^ {2}job_A\s+acme\s+running, STUCK\s+1000\/4000\s+1\/4\s+2h 15m\s+2h 10m$/m);
    expect(text).toMatch(/^ {2}job_C\s+acme\s+running\s+1000\/4000\s+1\/4\s+5m 45s\s+45s$/m);
    expect(text).toContain('  job_B: 1 of 4 chunks were labeled; chunks 2, 3, 4 (rows 1001-4000) never were');
    expect(text).not.toContain('  job_C: ');
    expect(text).toContain("circuit states: unknown (kept in each matcher function instance's memory, not readable from outside)");
    expect(text.endsWith('note: oldest message ages: n/a (CloudWatch GetMetricData failed: access denied)')).toBe(true);
  });

  it('names what needs attention: dead letters by subscription, stuck jobs by id or by count', () => {
    const dead = [queue('chunks', { deadLettered: 2 }), queue('expressChunks', { deadLettered: 1 }), queue('erasure', {})];
    expect(attentionOf(dead, [job('job_A', 130 * MINUTE, true)])).toEqual([
      '3 dead-lettered messages (matcher/chunks, matcher/expressChunks)',
      '1 job stuck for 2h 10m (job_A)',
    ]);
    expect(attentionOf(AWS.queues, AWS.jobs)).toEqual(['2 jobs stuck, the longest for 3h 0m']);
    expect(attentionOf(AWS.queues, [job('job_C', 45_000, false)])).toEqual([]);
  });

  it('says plainly when nothing needs attention and no job is running', () => {
    const text = formatStatus({ ...AWS, jobs: [], attention: [], notes: [] });
    expect(text).toContain('attention: none (nothing dead-lettered, no job idle for 120 minutes or more)\n');
    expect(text).toContain('Running jobs (stuck: idle for 120 minutes or more)\n  none\n');
    expect(text).not.toContain('note:');
  });
});

import {
  attentionOf,
  formatAge,
  formatStatus,
  type ProviderCircuitStatus,
  type QueueStatus,
  type RunningJobStatus,
  type SystemStatus,
} from '../src/status';

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
  providers: { circuits: [], source: "each provider's latest circuit transition any matcher container reported (the last writer wins)" },
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
    expect(text).toContain(
      "Providers (each provider's latest circuit transition any matcher container reported (the last writer wins))\n  every provider: closed (no failure recorded)\n",
    );
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

  it("prints each provider's recorded circuit: state, since when, by whom, the last reason; a stopped run's open circuit with its age", () => {
    const crm: ProviderCircuitStatus = {
      provider: 'crm',
      state: 'open',
      since: '2026-12-07T11:58:00.000Z',
      ageMs: 2 * MINUTE,
      reason: '5 consecutive failed calls, the last: crm is unavailable: GET /people failed 5 time(s), last with HTTP 503',
      recordedBy: 'pid 4242 thread 1 on host-a',
      writerRunning: true,
    };
    const pdl: ProviderCircuitStatus = {
      provider: 'people-data-labs',
      state: 'open',
      since: '2026-12-05T09:00:00.000Z',
      ageMs: 51 * 60 * MINUTE,
      reason: 'the trial call failed: HTTP 502',
      recordedBy: 'pid 977 on host-a',
      writerRunning: false,
    };
    const directory: ProviderCircuitStatus = { ...crm, provider: 'directory', state: 'closed', reason: 'the trial call succeeded' };
    const circuits = [crm, directory, pdl];
    const attention = attentionOf([], [], circuits);
    // The stopped run's open circuit is shown, not called for attention: it says nothing of the provider now.
    expect(attention).toEqual(['provider circuit not closed: crm open for 2m 0s']);
    const text = formatStatus({
      ...AWS,
      location: { kind: 'local', dataDir: '/data' },
      jobs: [],
      providers: { circuits, source: "each provider's latest circuit transition recorded in the data dir" },
      attention,
      notes: [],
    });
    expect(text).toContain('attention: provider circuit not closed: crm open for 2m 0s\n');
    const providers = text.slice(text.indexOf('Providers')).split('\n');
    expect(providers[0]).toBe("Providers (each provider's latest circuit transition recorded in the data dir)");
    expect(providers[1]).toMatch(/^ {2}provider\s+circuit\s+since\s+for\s+recorded by\s+last reason$/);
    expect(providers[2]).toMatch(
      /^ {2}crm\s+open\s+2026-12-07T11:58:00.000Z\s+2m 0s\s+pid 4242 thread 1 on host-a\s+5 consecutive failed calls, the last: crm is unavailable: .+ HTTP 503$/,
    );
    expect(providers[3]).toMatch(
      /^ {2}directory\s+closed\s+2026-12-07T11:58:00.000Z\s+2m 0s\s+pid 4242 thread 1 on host-a\s+the trial call succeeded$/,
    );
    expect(providers[4]).toMatch(
      /^ {2}people-data-labs\s+open\s+2026-12-05T09:00:00.000Z\s+2d 3h\s+pid 977 on host-a \(stopped\)\s+the trial call failed: HTTP 502$/,
    );
    expect(providers.slice(5)).toEqual([
      '  people-data-labs: open 2d 3h ago by a run that has stopped (pid 977 on host-a no longer runs): what that run saw, not the provider now; its next call starts closed',
      '  any other provider: closed (no failure recorded)',
    ]);
  });

  it('says when the circuits could not be read', () => {
    const text = formatStatus({
      ...AWS,
      providers: { ...AWS.providers, circuits: null },
      notes: ['provider circuits: n/a (cannot read DynamoDB table t: no such table)'],
    });
    expect(text).toContain('\n  circuit states: n/a (see the note below)\n');
    expect(text).toContain('note: provider circuits: n/a (cannot read DynamoDB table t: no such table)');
  });
});

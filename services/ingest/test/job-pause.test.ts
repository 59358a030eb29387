import { jobViewSchema } from '@refinery/events';
import { type JobState, publicJobView } from '../src/domain/job-state';

// The platform's pause (the local mode's full or read-only data dir) shows on every job still in the pipeline.

const running: JobState = {
  jobId: 'job_1',
  tenantId: 'acme',
  status: 'running',
  filename: 'book.csv',
  rows: { total: 4000, done: 1000, matched: 800, unmatched: 150, invalid: 50 },
  byMethod: { exact: 700, fuzzy: 90, nickname: 10 },
  chunks: { total: 8, done: 2 },
  createdAt: '2026-11-28T12:00:00.000Z',
  completedAt: null,
  error: null,
  submitted: true,
  version: 12,
};
const pause = {
  reason: 'no space left in the data dir /srv/data (ENOSPC: no space left on device); free space there',
  since: new Date('2026-11-28T12:01:00.000Z'),
};

describe('publicJobView with a pause of the platform', () => {
  it('shows the pause, with its reason and since when, on a job in the pipeline', () => {
    const view = publicJobView(running, pause);
    expect(view.paused).toEqual({ reason: pause.reason, since: '2026-11-28T12:01:00.000Z' });
    expect(view.status).toBe('running');
    expect(jobViewSchema.parse(view)).toEqual(view);
  });

  it('says nothing of it on a job that has ended, nor when nothing is paused', () => {
    expect(publicJobView({ ...running, status: 'completed' }, pause).paused).toBeUndefined();
    expect(publicJobView({ ...running, status: 'failed', error: { reason: 'bad file' } }, pause).paused).toBeUndefined();
    expect(publicJobView(running).paused).toBeUndefined();
  });
});

import type { ScheduledHandler } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { expireAwaitingUploads } from '../domain/awaiting-uploads';
import { JobHistory } from '../domain/job-history';
import { abortExpiredMultipartUploads } from '../domain/multipart-uploads';
import { StuckJobs } from '../domain/stuck-jobs';

/**
 * Every few minutes (the declared schedule): fails the jobs that have not moved for stuckJobMinutes, and those whose
 * upload has not arrived uploadExpiryMinutes after their creation (aborting their multipart uploads, if any).
 */
export function createSweepHandler(deps: IngestDeps): ScheduledHandler {
  const stuck = new StuckJobs({ table: deps.jobs, clock: deps.clock, publisher: deps.publisher, logger: deps.logger });
  const history = new JobHistory(deps.jobs);
  return async () => {
    const outcome = await stuck.sweep(deps.config.stuckJobMinutes * 60_000);
    deps.logger.info(outcome, 'swept for stuck jobs');
    // Every sweep says how many it found, none included: an alarm on "more than 0" then has data to judge.
    deps.metrics.record('stuckJobs', outcome.stuck, {});
    const expiry = await expireAwaitingUploads(
      { table: deps.jobs, clock: deps.clock, publisher: deps.publisher, logger: deps.logger, currentJob: (jobId) => history.current(jobId) },
      deps.config.uploadExpiryMinutes * 60_000,
    );
    deps.logger.info(expiry, 'swept for jobs whose upload never arrived');
    const aborted = await abortExpiredMultipartUploads(
      { table: deps.jobs, objects: deps.objects, uploadsBucket: deps.config.uploadsBucket, now: deps.clock.now(), logger: deps.logger },
      deps.config.uploadExpiryMinutes * 60_000,
    );
    deps.logger.info(aborted, 'swept for multipart uploads never completed');
  };
}

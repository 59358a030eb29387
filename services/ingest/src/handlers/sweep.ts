import type { ScheduledHandler } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { StuckJobs } from '../domain/stuck-jobs';

/** Every few minutes (the declared schedule): fails the jobs that have not moved for stuckJobMinutes. */
export function createSweepHandler(deps: IngestDeps): ScheduledHandler {
  const stuck = new StuckJobs({ table: deps.jobs, clock: deps.clock, publisher: deps.publisher, logger: deps.logger });
  return async () => {
    const outcome = await stuck.sweep(deps.config.stuckJobMinutes * 60_000);
    deps.logger.info(outcome, 'swept for stuck jobs');
  };
}

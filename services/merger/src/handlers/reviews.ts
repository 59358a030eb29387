import { resultRef } from '@refinery/chunk-records';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MergerDeps } from '../config';
import { merger } from '../definition';
import { Ledger } from '../domain/ledger';
import { reviseResult } from '../domain/revise-result';

/**
 * review.decided.v1 -> result version N, from version N - 1 and the decision. Decisions apply in order: one whose
 * previous version is not written yet goes back to the queue until it is. A redelivered decision finds its version
 * written and is done.
 */
export function createReviewsHandler(deps: MergerDeps): SubscriptionBinding {
  const ledger = new Ledger(deps.ledger, deps.clock, deps.config.retentionDays);
  return createEventSubscriptionHandler({
    subscription: merger.subscriptions.reviews,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { jobId, tenantId } = event.metadata;
      const { version, row, decision } = event.data;
      const plan = await ledger.plan(jobId);
      if (!plan) {
        // Nothing to revise, now or later: the decision stays in the job's history; the message is done.
        logger.warn({ version }, 'review decision for a job this merger never planned; ignored');
        return;
      }
      const bucket = deps.config.resultsBucket;
      const target = resultRef(bucket, tenantId, jobId, version);
      if (await deps.objects.head(target)) return;
      const source = resultRef(bucket, tenantId, jobId, version - 1);
      if (!(await deps.objects.head(source))) {
        throw new Error(`result version ${version - 1} of job ${jobId} is not written yet; decision ${version} waits for it`);
      }
      const info = await reviseResult(deps.objects, source, target, plan.columns.length, event.data);
      logger.info({ version, row, decision, bytes: info.sizeBytes }, 'result revised');
    },
  });
}

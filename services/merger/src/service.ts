import { implementService, type ServiceParts } from '@refinery/runtime';
import type { MergerDeps } from './config';
import { merger } from './definition';
import { createEraseHandler } from './handlers/erase';
import { createFailuresHandler } from './handlers/failures';
import { createProgressHandler } from './handlers/progress';
import { createReviewsHandler } from './handlers/reviews';

/** The merger's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function mergerHandlers(deps: MergerDeps): ServiceParts<typeof merger> {
  return {
    subscriptions: {
      progress: createProgressHandler(deps, merger.subscriptions.progress),
      expressProgress: createProgressHandler(deps, merger.subscriptions.expressProgress),
      reviews: createReviewsHandler(deps),
      failures: createFailuresHandler(deps),
      erasure: createEraseHandler(deps),
    },
  };
}

export const mergerService = implementService(merger, (context) =>
  mergerHandlers({
    ...context,
    config: { resultsBucket: context.buckets.results, retentionDays: context.settings.retentionDays },
    ledger: context.tables.ledger,
  }),
);

export * from './config';
export { merger } from './definition';

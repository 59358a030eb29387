import { createEventSubscriptionHandler, errorMessage, type SubscriptionBinding } from '@refinery/runtime';
import type { NotifierDeps } from '../config';
import { notifier } from '../definition';
import { JobViewStore } from '../domain/job-views';
import { encodeServerMessage } from '../domain/live-messages';
import { ConnectionRegistry } from '../domain/socket-connections';

/**
 * job.progressed.v1 -> the job's view is kept (when newer than the stored one) and pushed as `{"type":"job"}` to every
 * open connection of the job's tenant; connections found gone are forgotten. Every snapshot received is pushed, in
 * whatever order it came: clients keep the highest version (ingest throttles how often it publishes).
 *
 * Live updates are best effort: a push that fails is logged and skipped (the next snapshot or a `sync` catches the
 * client up), and a message that keeps failing (the table is down) goes to the dead-letter queue without reporting a
 * failed stage — a notifier hiccup must never fail the user's job.
 */
export function createProgressHandler(deps: NotifierDeps): SubscriptionBinding {
  const connections = new ConnectionRegistry(deps.subscriptions, deps.sockets, deps.clock);
  const views = new JobViewStore(deps.subscriptions);
  // The subscription reports no failed stage (reportsStageFailures: false in src/definition.ts).
  return createEventSubscriptionHandler({
    subscription: notifier.subscriptions.progress,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger: base }) => {
      const { tenantId, jobId } = event.metadata;
      const { job } = event.data;
      const logger = base.child({ tenantId, jobId, version: job.version });
      const kept = await views.keep(tenantId, job);
      const message = encodeServerMessage({ type: 'job', job });
      const ids = await connections.ofTenant(tenantId);
      const outcomes = await Promise.all(
        ids.map(async (connectionId) => {
          try {
            return await connections.send(connectionId, message);
          } catch (error) {
            logger.warn({ connectionId, error: errorMessage(error) }, 'could not push to a connection; skipped');
            return 'failed' as const;
          }
        }),
      );
      const count = (what: string) => outcomes.filter((outcome) => outcome === what).length;
      logger.debug({ kept, sent: count('sent'), gone: count('gone'), failed: count('failed') }, 'job progress pushed');
    },
  });
}

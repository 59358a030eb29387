import {
  createSubscriptionHandler,
  decodeObjectCreated,
  describeObjectCreated,
  type ObjectCreatedNotice,
  type SubscriptionBinding,
} from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { ingest } from '../definition';
import { Jobs } from '../domain/jobs';
import { jobErasure } from './erasure';

/**
 * An input landed in the uploads bucket: check it and submit its job (once, however often S3 tells us), then publish
 * the job's progress (job.submitted.v1 is in its history now, whether this handler or the request that stored the
 * input submitted it).
 */
export function createUploadsHandler(deps: IngestDeps): SubscriptionBinding {
  const jobs = new Jobs(deps);
  const erasure = jobErasure(deps);
  const submitted = new WeakSet<ObjectCreatedNotice>();
  return createSubscriptionHandler({
    subscription: ingest.subscriptions.uploads,
    publisher: deps.publisher,
    logger: deps.logger,
    decode: (body) => decodeObjectCreated(body, ingest.subscriptions.uploads),
    describe: describeObjectCreated,
    handle: async (notice, { logger }) => {
      if (notice.bucket !== deps.config.uploadsBucket || !notice.job) {
        logger.warn({ bucket: notice.bucket, key: notice.key }, 'ignoring an object that is not a job input');
        return;
      }
      if (await erasure.isErased(notice.job.jobId)) {
        // Uploaded to a URL handed out before the job was erased: the file goes too.
        await deps.objects.delete({ bucket: notice.bucket, key: notice.key });
        logger.info({ jobId: notice.job.jobId }, 'upload of an erased job deleted');
        return;
      }
      const outcome = await jobs.submit(notice.job.jobId);
      if (outcome !== 'no-input') submitted.add(notice);
      logger.info({ jobId: notice.job.jobId, outcome }, 'upload handled');
    },
    afterBatch: (handled, { logger }) =>
      jobs.progress.publishForBatch(
        handled.flatMap(({ messageId, message }) => (message.job && submitted.has(message) ? [{ messageId, ...message.job }] : [])),
        logger,
      ),
  });
}

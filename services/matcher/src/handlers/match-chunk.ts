import { toNdjsonBatches } from '@refinery/chunk-records';
import { readCsvRows } from '@refinery/csv';
import { chunkMatchedV1, createEvent, deriveEventId, emptyMatchCounts, followUpMetadata, toPublishEntry } from '@refinery/events';
import { isProviderUnavailable } from '@refinery/providers';
import { createEventSubscriptionHandler, NonRetryableError, recordChunkDone, type SubscriptionBinding } from '@refinery/runtime';
import type { MatcherDeps } from '../config';
import { matcher } from '../definition';
import { jobModelRef, StoredJobModel } from '../domain/job-model';
import { learnJobModel, matchRowBatches } from '../domain/match-rows';
import { StoredNicknames } from '../domain/nickname-store';
import { ProviderAnswers } from '../domain/provider-answers';
import { providersWithin } from '../domain/provider-deadline';

/**
 * chunk.planned.v1 -> reads only the chunk's byte range, matches its rows with the job's linkage model (learnt from
 * the job's first rows by the first chunk to need it), writes them as one NDJSON object and publishes chunk.matched.v1
 * (with the chunk's lane, for the labeler's queues). The object key and event id derive from the chunk, so a redelivery rewrites the same
 * object with the same content and republishes the same event. Both of the matcher's lanes (`chunks`, `expressChunks`)
 * run it.
 */
export function createMatchChunkHandler(
  deps: MatcherDeps,
  // Either lane's queue (the same work; failures name the subscription that gave up).
  subscription: typeof matcher.subscriptions.chunks | typeof matcher.subscriptions.expressChunks = matcher.subscriptions.chunks,
): SubscriptionBinding {
  const nicknames = new StoredNicknames(deps.nicknames);
  return createEventSubscriptionHandler({
    subscription,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger, deadline }) => {
      const startedAt = deps.clock.now();
      const { input, range, rows, format, columns, chunk, thresholds, sample, lane } = event.data;
      const chunkKey = `tenants/${event.metadata.tenantId}/jobs/${event.metadata.jobId}/matched/${String(chunk.index).padStart(9, '0')}`;
      const progress = { bucket: deps.config.chunksBucket, key: `${chunkKey}.answers.ndjson` };
      // Only remote providers' answers are kept; a directory-only matcher never reads or writes progress.
      const answers = deps.providers.some(ProviderAnswers.keeps) ? await ProviderAnswers.load(deps.objects, progress) : new ProviderAnswers();
      const providers = providersWithin(deps.providers, deadline);
      const modelRef = jobModelRef(deps.config.chunksBucket, event.metadata.tenantId, event.metadata.jobId);
      const jobModel = new StoredJobModel(deps.objects, modelRef);
      const counts = emptyMatchCounts();
      let produced = 0;
      const result = { bucket: deps.config.chunksBucket, key: `${chunkKey}.ndjson` };
      try {
        // The job's first rows (an older event without them: this chunk's own), whichever chunk gets here first.
        const from = sample ?? { range, rows };
        const ownRows = from.rows.first === rows.first;
        const { model, learnt } = await jobModel.loadOrLearn(async () =>
          learnJobModel(readCsvRows(await deps.objects.get(input, from.range), format, { limits: deps.config.limits }), {
            firstRow: from.rows.first,
            columns,
            limits: deps.config.limits,
            providers,
            nicknames,
            defaultRegion: deps.config.defaultRegion,
            batchSize: deps.config.lookupBatchSize,
            // Answers about another chunk's rows are not this chunk's progress.
            answers: ownRows ? answers : new ProviderAnswers(),
          }),
        );
        if (learnt) logger.info({ chunk: chunk.index, trainedOn: model.trainedOn, matchRate: model.matchRate }, "learnt the job's linkage model");
        const records = readCsvRows(await deps.objects.get(input, range), format, { limits: deps.config.limits, firstLine: rows.firstLine });
        const matched = matchRowBatches(records, {
          firstRow: rows.first,
          columns,
          limits: deps.config.limits,
          providers,
          answers,
          nicknames,
          defaultRegion: deps.config.defaultRegion,
          batchSize: deps.config.lookupBatchSize,
          counts,
          model,
          ...(thresholds ? { thresholds } : {}),
        });
        await deps.objects.put(
          result,
          toNdjsonBatches(
            (async function* () {
              for await (const batch of matched) {
                produced += batch.length;
                yield batch;
              }
            })(),
          ),
          { contentType: 'application/x-ndjson' },
        );
      } catch (error) {
        if (!isProviderUnavailable(error)) throw error;
        // An outage is not the data's fault: keep what was answered and let the queue bring the chunk back later.
        await answers.save(deps.objects, progress);
        logger.warn(
          { chunk: chunk.index, provider: error.provider, kept: answers.size, retryAfterMs: error.retryAfterMs },
          'provider unavailable; the chunk will be retried',
        );
        throw error;
      }
      if (produced !== rows.count) {
        // The planner and the parser disagree about this range: retrying reads the same bytes, so say so and stop.
        throw new NonRetryableError(
          `chunk ${chunk.index + 1} (from line ${rows.firstLine}) should hold ${rows.count} rows but ${produced} were read; the file may be malformed there`,
        );
      }
      const matchedEvent = createEvent(chunkMatchedV1, {
        service: 'matcher',
        metadata: {
          ...followUpMetadata(event, deriveEventId(event.metadata.eventId, chunkMatchedV1.type)),
          occurredAt: deps.clock.now().toISOString(),
        },
        // The chunk's lane goes on to the labeler's queue of the same lane; a chunk planned without one stays without (bulk).
        data: { chunk, rows: { first: rows.first, count: rows.count }, result, counts, model: modelRef, ...(lane ? { lane } : {}) },
      });
      await deps.publisher.publish([toPublishEntry(matchedEvent)]);
      recordChunkDone(deps, 'matcher', startedAt);
      logger.info({ chunk: chunk.index, rows: rows.count, matched: counts.matched, invalid: counts.invalid }, 'chunk matched');
    },
  });
}

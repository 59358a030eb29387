// The review queue's routes: `GET /jobs/{id}/review` (a page of the rows in review, with the candidate proposed and the
// weight of every field) and `POST /jobs/{id}/review/{row}` (a person's decision: accept or reject).
import { createEvent, type DomainEvent, deriveEventId, reviewDecidedV1, toPublishEntry } from '@refinery/events';
import { estimateModel, type LabelledPair } from '@refinery/matching';
import type { PublishEntry } from '@refinery/ports';
import { type ApiRequest, type ApiResponse, HttpError, json, parseJsonBody } from '@refinery/runtime';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import { type CurrentJob, type HistoryEvent, JobHistory } from '../domain/job-history';
import { type JobState, type ReviewState, type RowDecision, reviewFigures } from '../domain/job-state';
import type { Jobs } from '../domain/jobs';
import {
  latestResultVersion,
  REVIEW_FILTERS,
  type ReviewFilter,
  readReviewItems,
  readReviewModel,
  rescorer,
  reviewPage,
} from '../domain/review-queue';
import { completedResult } from './job-reads';

export const DEFAULT_REVIEW_LIMIT = 20;
export const MAX_REVIEW_LIMIT = 100;
// Two people deciding at once may both claim the next version: the loser tries the one after.
const VERSION_CLAIM_ATTEMPTS = 5;

const decisionSchema = z.object({ decision: z.enum(['accept', 'reject']) });
const NO_NICKNAMES = { variantsOf: () => new Set<string>() };

// A recorded event as the bus takes it again (same id, same data: its consumers recognise it).
function historyEntry(entry: HistoryEvent): PublishEntry {
  return toPublishEntry({ type: entry.type, source: 'refinery.ingest', metadata: entry.metadata, data: entry.data } as DomainEvent);
}

/** A completed job's review state, or the 409/404 that says why it has none. */
function reviewOf(state: JobState): ReviewState {
  if (state.status !== 'completed') {
    throw new HttpError(409, 'not_completed', `job ${state.jobId} is ${state.status}; its review queue exists once it has completed`);
  }
  if (!state.review) throw new HttpError(404, 'no_review', `job ${state.jobId} has no rows in review: every row was matched, unmatched or invalid`);
  return state.review;
}

function intOption(request: ApiRequest, name: string, min: number, max: number): number | undefined {
  const asked = request.query[name];
  if (asked === undefined) return undefined;
  const value = Number(asked);
  if (asked.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, 'invalid_option', `${name} must be an integer from ${min} to ${max}, got "${asked}"`);
  }
  return value;
}

// The latest decision of each row, as labelled pairs for the job's model.
function labelledPairs(decisions: ReadonlyMap<number, RowDecision>): LabelledPair[] {
  return [...decisions.values()].map(({ pair, decision }) => ({
    contact: pair.contact,
    candidate: { id: pair.candidateId, fields: pair.candidate },
    same: decision === 'accept',
    levels: pair.levels,
  }));
}

/** `GET /jobs/{id}/review?status=pending|decided|all&limit=&after=`. */
export async function reviewQueueOf(deps: IngestDeps, found: CurrentJob, request: ApiRequest): Promise<ApiResponse> {
  const review = reviewOf(found.state);
  const asked = request.query.status ?? 'pending';
  if (!(REVIEW_FILTERS as readonly string[]).includes(asked)) {
    throw new HttpError(400, 'invalid_option', `status must be one of ${REVIEW_FILTERS.join(', ')}, got "${asked}"`);
  }
  const limit = intOption(request, 'limit', 1, MAX_REVIEW_LIMIT) ?? DEFAULT_REVIEW_LIMIT;
  const after = intOption(request, 'after', 0, Number.MAX_SAFE_INTEGER);
  const items = await readReviewItems(deps.objects, review.items);
  const decisions = await new JobHistory(deps.jobs).decisions(found.state.jobId);
  // The job's model learns from the decisions made so far: the pairs still pending are scored again with it.
  const labelled = labelledPairs(decisions);
  const base = labelled.length > 0 ? await readReviewModel(deps.objects, found.state, review.items) : undefined;
  const taught = base && estimateModel([], { start: base, labelled, nicknames: NO_NICKNAMES });
  const page = reviewPage(items, decisions, {
    filter: asked as ReviewFilter,
    limit,
    ...(after !== undefined ? { after } : {}),
    ...(taught ? { rescore: rescorer(taught) } : {}),
  });
  return json(
    200,
    { review: reviewFigures(review), ...(taught ? { model: { labelledPairs: taught.trainedOn.labelledPairs } } : {}), ...page },
    { 'cache-control': 'no-store' },
  );
}

/** `POST /jobs/{id}/review/{row}` with `{"decision":"accept"|"reject"}`: 202 with the version of the result it makes. */
export async function decideReviewRow(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const jobId = request.pathParameters.id ?? '';
  const rowText = request.pathParameters.row ?? '';
  const row = /^\d{1,15}$/.test(rowText) ? Number(rowText) : Number.NaN;
  if (!Number.isSafeInteger(row)) throw new HttpError(400, 'invalid_row', `row must be a 0-based row number, got "${rowText}"`);
  const parsed = decisionSchema.safeParse(parseJsonBody(request));
  if (!parsed.success)
    throw new HttpError(400, 'invalid_body', `send {"decision":"accept"} or {"decision":"reject"}: ${z.prettifyError(parsed.error)}`);
  const { decision } = parsed.data;
  for (let attempt = 0; attempt < VERSION_CLAIM_ATTEMPTS; attempt += 1) {
    const found = await jobs.stateFor(request.tenantId, jobId);
    if (!found) throw new HttpError(404, 'not_found', `no job ${jobId}`);
    const review = reviewOf(found.state);
    const items = await readReviewItems(deps.objects, review.items);
    const item = items.find((candidate) => candidate.row === row);
    if (!item) throw new HttpError(404, 'not_in_review', `row ${row} of job ${jobId} is not in its review queue`);
    const earlier = await jobs.history.decision(jobId, row);
    const version = earlier && earlier.decision === decision ? earlier.version : review.version + 1;
    const event = createEvent(reviewDecidedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(jobId, reviewDecidedV1.type, version),
        tenantId: found.state.tenantId,
        jobId,
        correlationId: request.requestId,
        causationId: request.requestId,
        occurredAt: deps.clock.now().toISOString(),
      },
      data: {
        row,
        decision,
        version,
        candidateId: item.candidateId,
        method: item.method,
        score: item.score,
        contact: item.contact as Record<string, string>,
        candidate: item.candidate as Record<string, string>,
        comparison: { levels: [...item.comparison.levels], namesSwapped: item.comparison.namesSwapped },
      },
    });
    // The same decision again (a retry after a lost answer) republishes its event: the merger writes a version once.
    const repeated = earlier !== undefined && earlier.version === version;
    if (!repeated && !(await jobs.history.append(event))) continue;
    // Every decision the result has not caught up with goes out again with this one: a decision recorded but never
    // published (a publish that failed after the append) would otherwise hold back every version after it.
    const written = (await latestResultVersion(deps.objects, completedResult(found.state), found.state.review, found.state.tenantId, jobId)).version;
    const unwritten = await unwrittenDecisions(jobs, jobId, written, review.version, event.metadata.eventId);
    await deps.publisher.publish([...unwritten.map(historyEntry), toPublishEntry(event)]);
    if (!repeated) await jobs.progress.publishLatest(found.state.tenantId, jobId);
    return json(202, { row, decision, version }, { location: `/jobs/${jobId}/review` });
  }
  throw new HttpError(409, 'busy', `other decisions on job ${jobId} kept arriving at the same moment; send this one again`);
}

/** The recorded decisions of versions after `written` up to `latest` but the one given (each found by its derived id). */
async function unwrittenDecisions(jobs: Jobs, jobId: string, written: number, latest: number, besides: string): Promise<HistoryEvent[]> {
  const found: HistoryEvent[] = [];
  for (let version = written + 1; version <= latest; version += 1) {
    const eventId = deriveEventId(jobId, reviewDecidedV1.type, version);
    if (eventId === besides) continue;
    const event = await jobs.history.event(jobId, eventId);
    if (event) found.push(event);
  }
  return found;
}

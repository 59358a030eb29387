// A completed job's review queue: the rows whose best candidate was likely enough to ask a person about but not to
// match without asking (the merger writes them, one ReviewItem per line, beside the result). Decisions are events of
// the job's history (review.decided.v1): the queue's state is the items with the latest decision of each row.
import { fromNdjson, type ReviewItem, resultRef, reviewModelRef } from '@refinery/chunk-records';
import type { ObjectRefData } from '@refinery/events';
import { type LinkageModel, parseLinkageModel, probabilityOfWeight, ScoringModel } from '@refinery/matching';
import { ObjectNotFoundError, type ObjectStore } from '@refinery/ports';
import type { ReviewDecisionKind, ReviewState, RowDecision } from './job-state';

export const REVIEW_FILTERS = ['pending', 'decided', 'all'] as const;
export type ReviewFilter = (typeof REVIEW_FILTERS)[number];

export interface ReviewEntry extends ReviewItem {
  readonly status: 'pending' | 'accepted' | 'rejected';
  /** The version of the result file the decision made (absent while pending). */
  readonly version?: number;
  /**
   * The pair's match probability under the job's model once it has learnt from the decisions made so far (absent
   * before any decision, or when the job has no model to learn with).
   */
  readonly probabilityNow?: number;
}

export interface ReviewPage {
  readonly items: ReviewEntry[];
  /** The 0-based row after which the next page starts, or null on the last page. */
  readonly next: number | null;
}

const STATUS_OF: Readonly<Record<ReviewDecisionKind, ReviewEntry['status']>> = { accept: 'accepted', reject: 'rejected' };

/** Every item of the queue, in row order (the file holds a small share of a job's rows). */
export async function readReviewItems(objects: ObjectStore, ref: ObjectRefData): Promise<ReviewItem[]> {
  const items: ReviewItem[] = [];
  for await (const item of fromNdjson<ReviewItem>(await objects.get(ref))) items.push(item);
  return items;
}

/** One page of the queue, filtered by decision, rows after `after`. */
export function reviewPage(
  items: readonly ReviewItem[],
  decisions: ReadonlyMap<number, RowDecision>,
  query: { filter: ReviewFilter; limit: number; after?: number; rescore?: (item: ReviewItem) => number | undefined },
): ReviewPage {
  const page: ReviewEntry[] = [];
  for (const item of items) {
    if (query.after !== undefined && item.row <= query.after) continue;
    const decided = decisions.get(item.row);
    if (query.filter === 'pending' && decided) continue;
    if (query.filter === 'decided' && !decided) continue;
    if (page.length === query.limit) return { items: page, next: page[page.length - 1]?.row ?? null };
    const probabilityNow = decided ? undefined : query.rescore?.(item);
    page.push({
      ...item,
      status: decided ? STATUS_OF[decided.decision] : 'pending',
      ...(decided ? { version: decided.version } : {}),
      ...(probabilityNow === undefined ? {} : { probabilityNow }),
    });
  }
  return { items: page, next: null };
}

/** The model the job was matched with, kept by the merger beside the queue (absent for jobs matched before it was). */
export async function readReviewModel(
  objects: ObjectStore,
  state: { tenantId: string; jobId: string },
  items: ObjectRefData,
): Promise<LinkageModel | undefined> {
  const ref = reviewModelRef(items.bucket, state.tenantId, state.jobId);
  try {
    return parseLinkageModel((await objects.getBuffer(ref)).toString('utf8'), `the job's review model (${ref.key})`);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Scores a pending pair again with a model that learnt from the decisions: the pair's own odds against no match (its
 * row's other candidates are not kept, so this is the probability the pair alone would get).
 */
export function rescorer(model: LinkageModel): (item: ReviewItem) => number {
  const scoring = new ScoringModel(model);
  return (item) => Number(probabilityOfWeight(scoring.weightOf(Int8Array.from(item.comparison.levels))).toFixed(6));
}

/** The newest version of the result that exists: decisions are written in order, so walk down from the last one. */
export async function latestResultVersion(
  objects: ObjectStore,
  result: ObjectRefData,
  review: ReviewState | undefined,
  tenantId: string,
  jobId: string,
): Promise<{ ref: ObjectRefData; version: number }> {
  for (let version = review?.version ?? 0; version > 0; version -= 1) {
    const ref = resultRef(result.bucket, tenantId, jobId, version);
    if (await objects.head(ref)) return { ref, version };
  }
  return { ref: result, version: 0 };
}

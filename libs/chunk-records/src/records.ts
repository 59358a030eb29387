import type { CanonicalField, ContactFields } from '@refinery/contacts';
import type { FieldLabel } from '@refinery/labeling';
import type { MatchMethod } from '@refinery/matching';

// Events carry references; these are the rows behind them. Each chunk object is NDJSON: one row per line, in row
// order. Like event schemas, these formats are contracts between services: add fields freely, never change one.

// review: no candidate was likely enough to match, one was likely enough to ask a person about (the job's
// review queue); it carries that candidate (matchId, provider) and counts as unmatched until decided.
export type MatchStatus = 'matched' | 'review' | 'unmatched' | 'invalid';

/** A line of a matched chunk (matcher -> labeler). */
export interface MatchedRow {
  /** 0-based data row index in the whole file. */
  readonly row: number;
  /** The record's cells exactly as parsed. */
  readonly cells: readonly string[];
  /** The contact as read through the header mapping and standardized. */
  readonly contact: ContactFields;
  readonly status: MatchStatus;
  readonly method: MatchMethod | null;
  /** 0-1; for unmatched rows the best candidate's score; 0 for invalid rows. */
  readonly score: number;
  /** The provider's record id when matched, or the candidate proposed when in review. */
  readonly matchId: string | null;
  /** Why, in words (for invalid rows: what is missing or wrong). */
  readonly reason: string;
  /** The provider's current values when matched (or of the candidate proposed, in review). */
  readonly provider: ContactFields | null;
  /** In review only: the pair's comparison vector, to score it again once reviewers have taught the job's model. */
  readonly comparison?: ReviewComparison;
}

export interface ReviewComparison {
  readonly levels: readonly number[];
  readonly namesSwapped: boolean;
}

/** What a person needs to decide a row in review, carried from the matcher through the labeler to the merger. */
export interface ReviewProposal {
  readonly contact: ContactFields;
  readonly candidate: ContactFields;
  readonly comparison: ReviewComparison;
}

/**
 * A line of a job's review queue (review.ndjson beside the result, merger -> ingest): a row in review with the
 * candidate proposed. Like the other formats, a contract: add fields freely, never change one.
 */
export interface ReviewItem extends ReviewProposal {
  /** 0-based data row index. */
  readonly row: number;
  readonly candidateId: string;
  readonly method: MatchMethod;
  readonly score: number;
  readonly reason: string;
}

/** A line of a labeled chunk (labeler -> merger). */
export interface LabeledRow {
  readonly row: number;
  readonly cells: readonly string[];
  readonly status: MatchStatus;
  readonly method: MatchMethod | null;
  readonly score: number;
  readonly matchId: string | null;
  readonly reason: string;
  readonly labels: Readonly<Record<CanonicalField, FieldLabel>>;
  /** In review only. */
  readonly review?: ReviewProposal;
}

import type { ContactFields } from '@refinery/contacts';

export interface Candidate {
  id: string;
  // Standardized, like the contact it is compared with.
  fields: ContactFields;
  updatedAt?: string;
  // The provider's own confidence in [0, 1] that this is the person asked about (People Data Labs'
  // likelihood 1-10 is 0.1-1.0). Absent for providers that only return look-alikes (a directory).
  confidence?: number;
}

export interface FindCandidatesOptions {
  // When the caller must have its answer (epoch ms, the invocation's deadline): a provider that would have to wait
  // past it (a Retry-After) gives up at once, saying how long to wait, rather than sleep into the caller's timeout.
  readonly deadline?: number;
}

export interface ContactProvider {
  readonly name: string;
  // True when asking again costs nothing (an in-memory directory); the matcher keeps the answers of
  // every other provider with a chunk's progress, so a retry after an outage does not ask again.
  readonly inMemory?: boolean;
  // How many people it holds, when it knows (a directory): the prior of the linkage model depends on it.
  readonly population?: number;
  // One candidate list per contact, in the same order. Contacts are standardized. Lists are short
  // (the provider blocks) and best first.
  findCandidates(contacts: readonly ContactFields[], options?: FindCandidatesOptions): Promise<Candidate[][]>;
}

export interface NicknameLookup {
  variantsOf(name: string): ReadonlySet<string>;
}

export type MatchMethod = 'exact' | 'fuzzy' | 'nickname';

// matched: probability at or above the match threshold; review: between the review and the match
// threshold, the best candidate proposed to a person; unmatched: below, or no candidate.
export type MatchDecision =
  | { status: 'matched'; method: MatchMethod; score: number; candidate: Candidate; reason: string }
  // levels: the pair's comparison vector (one level per comparison, -1 when missing), so the pair can be
  // scored again by a model that learnt from reviewers' decisions, without the nickname table.
  | { status: 'review'; method: MatchMethod; score: number; candidate: Candidate; reason: string; levels: number[]; namesSwapped: boolean }
  | { status: 'unmatched'; score: number; reason: string };

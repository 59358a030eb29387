import type { ContactFields } from '@refinery/contacts';
import { type Assessment, assessCandidate } from './assess';
import { comparableContact } from './comparable-contact';
import { explainAmbiguity, explainMatch, explainNoMatch } from './explain';
import { DEFAULT_THRESHOLDS, type MatchThresholds } from './thresholds';
import type { Candidate, MatchDecision, MatchMethod, NicknameLookup } from './types';

type Accepted = Assessment & { method: MatchMethod };

function isAccepted(assessment: Assessment): assessment is Accepted {
  return assessment.method !== undefined;
}

// The contact's first name is looked up once per candidate; remember the answers for this decision.
function rememberingLookups(nicknames: NicknameLookup): NicknameLookup {
  const remembered = new Map<string, ReadonlySet<string>>();
  return {
    variantsOf(name: string): ReadonlySet<string> {
      let variants = remembered.get(name);
      if (variants === undefined) {
        variants = nicknames.variantsOf(name);
        remembered.set(name, variants);
      }
      return variants;
    },
  };
}

// A shared identifier outranks any name-based match, and a compatible name beside it outranks a typing
// slip (twins Hayden and Jayden share a phone, a street and a birth date: "Hayden" is Hayden, not a
// close call). Among name-based matches (fuzzy and nickname) the evidence decides, so a nickname with
// two corroborating fields beats a look-alike with one.
function tier(assessment: Accepted): number {
  return (assessment.method === 'exact' ? 0 : 2) + (assessment.evidence.typo === undefined ? 0 : 1);
}

function byPreference(a: Accepted, b: Accepted): number {
  return tier(a) - tier(b) || b.score - a.score;
}

export function decideMatch(
  contact: ContactFields,
  candidates: readonly Candidate[],
  nicknames: NicknameLookup,
  thresholds: Partial<MatchThresholds> = {},
): MatchDecision {
  const settings: MatchThresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const subject = comparableContact(contact);
  const lookup = rememberingLookups(nicknames);
  const assessments = candidates.map((candidate) => assessCandidate(subject, candidate, lookup, settings));
  // An unmatched decision still reports how close the best candidate came.
  const topScore = assessments.reduce((top, assessment) => Math.max(top, assessment.score), 0);
  const accepted = assessments.filter(isAccepted).sort(byPreference);
  const [best, runnerUp] = accepted;
  if (best === undefined) {
    return { status: 'unmatched', score: topScore, reason: explainNoMatch(assessments) };
  }
  if (runnerUp !== undefined && tier(runnerUp) === tier(best) && best.score - runnerUp.score < settings.ambiguityMargin) {
    return { status: 'unmatched', score: topScore, reason: explainAmbiguity(best, runnerUp, settings.ambiguityMargin) };
  }
  return {
    status: 'matched',
    method: best.method,
    score: best.score,
    candidate: best.candidate,
    reason: explainMatch(subject, best, runnerUp),
  };
}

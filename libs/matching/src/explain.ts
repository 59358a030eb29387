import type { Assessment } from './assess';
import { type ComparableContact, displayName } from './comparable-contact';

function quoted(text: string): string {
  return `"${text}"`;
}

function nameQualifier(assessment: Assessment): string {
  const { first, last } = assessment.evidence.names;
  const notes: string[] = [];
  if (first === 'nickname') {
    notes.push('nickname');
  } else if (first === 'initial') {
    notes.push('first name is an initial');
  }
  if (last === 'compound') {
    notes.push('compound last name');
  }
  if (assessment.evidence.typo !== undefined) {
    notes.push(`one typing slip in the ${assessment.evidence.typo}`);
  }
  return notes.length === 0 ? '' : `, ${notes.join(', ')}`;
}

export function describeName(contact: ComparableContact, assessment: Assessment): string {
  const score = assessment.evidence.names.score.toFixed(2);
  const names = `${quoted(displayName(contact))} ~ ${quoted(displayName(assessment.comparable))}`;
  return `name ${names} (${score}${nameQualifier(assessment)})`;
}

export function explainMatch(contact: ComparableContact, best: Assessment, runnerUp: Assessment | undefined): string {
  const { sharedIdentifiers, corroborating } = best.evidence;
  const parts: string[] = [];
  if (sharedIdentifiers.length > 0) {
    parts.push(`${sharedIdentifiers.join(' and ')} equal`);
  }
  parts.push(describeName(contact, best));
  if (corroborating.length > 0) {
    parts.push(`${corroborating.join(', ')} equal`);
  }
  if (best.evidence.providerConfidence > 0) {
    parts.push(`provider confidence ${best.evidence.providerConfidence.toFixed(2)}`);
  }
  if (runnerUp !== undefined) {
    parts.push(`preferred over ${quoted(displayName(runnerUp.comparable))} (${runnerUp.score.toFixed(2)})`);
  }
  return parts.join('; ');
}

// Namesakes look alike in a reason; the provider's id tells them apart.
function describeCandidate(assessment: Assessment): string {
  return `${quoted(displayName(assessment.comparable))} (id ${assessment.candidate.id}, ${assessment.score.toFixed(2)})`;
}

export function explainAmbiguity(best: Assessment, runnerUp: Assessment, margin: number): string {
  return `ambiguous: ${describeCandidate(best)} and ${describeCandidate(runnerUp)} are within ${margin} of each other; declined rather than guess`;
}

export function explainNoMatch(assessments: readonly Assessment[]): string {
  let best: Assessment | undefined;
  for (const assessment of assessments) {
    if (best === undefined || assessment.score > best.score) {
      best = assessment;
    }
  }
  if (best === undefined) {
    return 'the provider returned no candidates';
  }
  const anyIdentifier = assessments.some((assessment) => assessment.evidence.sharedIdentifiers.length > 0);
  const prefix = anyIdentifier ? '' : 'no candidate shares an identifier; ';
  const name = best.evidence.names.score.toFixed(2);
  return `${prefix}best ${quoted(displayName(best.comparable))} (name ${name}) ${best.rejection ?? 'was not accepted'}`;
}

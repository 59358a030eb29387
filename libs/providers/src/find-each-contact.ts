import type { ContactFields } from '@refinery/contacts';
import type { Candidate } from '@refinery/matching';
import { isProviderUnavailable, ProviderBatchError, type ProviderUnavailableError } from './errors';

// One look-up per contact, all started at once (the provider's rate limiter decides how many really run), so a
// batch takes as long as its slowest contact rather than the sum of them.
//
// Every look-up is allowed to settle before anything is thrown: no request is left running unobserved, and the
// answers that did arrive are not thrown away. When some contacts could not be answered because the provider is
// unavailable, the error is a ProviderBatchError carrying the answered ones, so the caller keeps them (they may
// have cost credits) and asks again later only for the rest. Any other error (a refused request, an unreadable
// response) is thrown as is: retrying later would not help, someone has to look.
export async function findEachContact(
  provider: string,
  contacts: readonly ContactFields[],
  lookUp: (contact: ContactFields, index: number) => Promise<Candidate[]>,
): Promise<Candidate[][]> {
  const outcomes = await Promise.allSettled(contacts.map(async (contact, index) => lookUp(contact, index)));
  const answered = new Map<number, Candidate[]>();
  const unanswered: number[] = [];
  const unavailable: ProviderUnavailableError[] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') {
      answered.set(index, outcome.value);
      return;
    }
    if (!isProviderUnavailable(outcome.reason)) {
      return;
    }
    unanswered.push(index);
    unavailable.push(outcome.reason);
  });
  const otherFailure = outcomes.find(
    (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && !isProviderUnavailable(outcome.reason),
  );
  if (otherFailure !== undefined) {
    throw otherFailure.reason;
  }
  if (unanswered.length > 0) {
    const waits = unavailable.flatMap((error) => (error.retryAfterMs === undefined ? [] : [error.retryAfterMs]));
    throw new ProviderBatchError(provider, answered, unanswered, {
      ...(waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {}),
      cause: unavailable[0],
    });
  }
  return contacts.map((_contact, index) => answered.get(index) ?? []);
}

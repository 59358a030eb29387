import type { ContactFields } from '@refinery/contacts';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { ProviderUnavailableError } from '@refinery/providers';

/**
 * The providers, each call raced against the invocation's deadline (its function's timeout less a margin). A provider
 * that has not answered by then is unavailable for this delivery: the matcher keeps the answers it has (the chunk's
 * progress) and the chunk comes back after its backoff, instead of Lambda killing the function at its timeout and
 * every answer of the chunk being lost with it, the reason too.
 */
export function providersWithin(providers: readonly ContactProvider[], deadline: number, now: () => number = Date.now): ContactProvider[] {
  return providers.map((provider) => ({
    name: provider.name,
    ...(provider.inMemory !== undefined ? { inMemory: provider.inMemory } : {}),
    ...(provider.population !== undefined ? { population: provider.population } : {}),
    findCandidates: (contacts: readonly ContactFields[]) => withinDeadline(provider, contacts, deadline, now),
  }));
}

async function withinDeadline(
  provider: ContactProvider,
  contacts: readonly ContactFields[],
  deadline: number,
  now: () => number,
): Promise<Candidate[][]> {
  const left = deadline - now();
  const outOfTime = () =>
    new ProviderUnavailableError(
      provider.name,
      `${provider.name} had not answered ${contacts.length} contact(s) when the matcher had to stop to end before its function's timeout; ` +
        'the provider is slow or not answering',
    );
  if (left <= 0) throw outOfTime();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(outOfTime()), left);
  });
  const call = provider.findCandidates(contacts, { deadline });
  // Abandoned at the deadline, the call may still fail later: that must not be an unhandled rejection.
  call.catch(() => undefined);
  try {
    return await Promise.race([call, expired]);
  } finally {
    clearTimeout(timer);
  }
}

import type { ContactFields } from '@refinery/contacts';
import type { Candidate, ContactProvider, FindCandidatesOptions } from '@refinery/matching';
import { providersWithin } from '../src/domain/provider-deadline';

describe('providersWithin', () => {
  it("hands each provider the invocation's deadline, so a Retry-After past it fails at once with retryAfterMs", async () => {
    const seen: FindCandidatesOptions[] = [];
    const provider: ContactProvider = {
      name: 'recording',
      findCandidates: async (contacts: readonly ContactFields[], options?: FindCandidatesOptions): Promise<Candidate[][]> => {
        seen.push(options ?? {});
        return contacts.map(() => []);
      },
    };
    const deadline = Date.now() + 60_000;
    const [within] = providersWithin([provider], deadline);
    await expect(within?.findCandidates([{ email: 'a@example.com' } as ContactFields])).resolves.toEqual([[]]);
    expect(seen).toEqual([{ deadline }]);
  });
});

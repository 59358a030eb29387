import { decideMatch, estimateModel, prepareCandidate, priorModel } from '@refinery/matching';
import { candidate, contact, nicknames } from './fixtures';
import { sample } from './sample';

const household = { last_name: 'Dow', street: '12 Elm St', city: 'Austin', state: 'TX', postcode: '78701', phone: '+1 512 555 0100' };
const model = { ...priorModel(), population: 50_000 };

describe('the household cap', () => {
  it.each([
    ['Jon', 'Jan'],
    ['Mark', 'Mary'],
    ['Hayden', 'Jayden'],
    ['J.', 'Jane'],
  ])('does not take %s for %s when only the household agrees (a typing slip, an initial: not one person)', (book, candidateName) => {
    const member = candidate('member', { first_name: candidateName, ...household });
    const decision = decideMatch(contact({ first_name: book, ...household }), [member], nicknames, { model });
    expect(decision.status).not.toBe('matched');
    expect(decision.reason).toContain('household evidence capped');
  });

  it('still matches the same first name at the same address', () => {
    const member = candidate('member', { first_name: 'Jane', ...household });
    expect(decideMatch(contact({ first_name: 'Jane', ...household }), [member], nicknames, { model }).status).toBe('matched');
  });
});

describe('a street in another town', () => {
  it('adds nothing when no place agrees and one differs, and counts where the town agrees', () => {
    const person = candidate('p', { first_name: 'Ann', last_name: 'Lee', street: '5 Main St', city: 'Boston', state: 'MA', postcode: '02108' });
    const elsewhere = decideMatch(
      contact({ first_name: 'Ann', last_name: 'Lee', street: '5 Main St', city: 'Denver', state: 'CO', postcode: '80202' }),
      [person],
      nicknames,
      { model },
    );
    expect(elsewhere.reason).toMatch(/places nest \(one town, one street\) -\d+\.\d/);
    const sameTown = decideMatch(
      contact({ first_name: 'Ann', last_name: 'Lee', street: '5 Main St', city: 'Boston', state: 'MA' }),
      [person],
      nicknames,
      {
        model,
      },
    );
    expect(sameTown.score).toBeGreaterThan(elsewhere.score);
    // In the same town only the state (inside the city) is left out: the street counts.
    expect(sameTown.reason).toMatch(/street_name exact \+\d+\.\d.*places nest \(one town, one street\) -3\.2/);
  });
});

describe('u from random pairs of the book', () => {
  it('does not depend on how many candidates the provider hands out', () => {
    const { rows } = sample({ rows: 300 });
    const few = estimateModel(
      rows.map((row) => ({ ...row, candidates: row.candidates.slice(0, 1) })),
      { nicknames },
    );
    const many = estimateModel(rows, { nicknames });
    expect(many.comparisons.last_name.u).toEqual(few.comparisons.last_name.u);
    expect(many.comparisons.first_name.u).toEqual(few.comparisons.first_name.u);
  });
});

describe('prepared candidates', () => {
  it("keep the provider's confidence", () => {
    expect(prepareCandidate({ id: 'x', fields: { first_name: 'Ann' }, confidence: 0.8 }).confidence).toBe(0.8);
  });
});

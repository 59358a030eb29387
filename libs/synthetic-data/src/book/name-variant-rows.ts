import { nicknamesByName } from '../data/nicknames';
import type { Random } from '../random/random';
import { stripAccents } from '../text/accents';
import { titleCase } from '../text/title-case';
import type { BookContext } from './book-context';
import { changeCaseOrAccents } from './case-and-accents';
import type { DraftRow } from './draft-row';
import { currentRow, drawDirectoryPerson, matchedDraft, staleRow } from './matched-rows';
import { typoName } from './typos';

type NameField = 'first_name' | 'last_name';

/** One typing mistake in the first or the last name of the draft; false when neither name allows one. */
function addTypo(random: Random, draft: DraftRow): boolean {
  const fields: readonly NameField[] = random.chance(0.5) ? ['first_name', 'last_name'] : ['last_name', 'first_name'];
  for (const field of fields) {
    const typo = typoName(random, draft.values[field]);
    if (typo !== undefined) {
      draft.values[field] = typo.name;
      draft.variations.push(`typo:${field}:${typo.operation}`);
      return true;
    }
  }
  return false;
}

/** One typing mistake in the first or the last name. */
export function typoRow(context: BookContext, random: Random): DraftRow {
  const draft = matchedDraft('typo', drawDirectoryPerson(context, random));
  return addTypo(random, draft) ? draft : { ...draft, kind: 'current', variations: ['fallback_from:typo'] };
}

/**
 * A typing mistake in a name of an out-of-date row: the hard case, where the e-mail or phone that would vouch for the
 * person may be the old one, and the name must be recognised through the typo with the remaining fields alone.
 */
export function typoStaleRow(context: BookContext, random: Random): DraftRow {
  const draft = staleRow(context, random);
  return addTypo(random, draft) ? { ...draft, kind: 'typo_stale' } : { ...draft, variations: [...draft.variations, 'fallback_from:typo_stale'] };
}

// Most people have a first name with a common nickname; after this many draws without one, give up.
const NICKNAME_ATTEMPTS = 200;

/** The first name replaced by a common nickname of it (Robert -> Bob). */
export function nicknameRow(context: BookContext, random: Random): DraftRow {
  for (let attempt = 0; attempt < NICKNAME_ATTEMPTS; attempt++) {
    const person = drawDirectoryPerson(context, random);
    const canonical = stripAccents(person.first_name).toLowerCase();
    const nicknames = nicknamesByName().get(canonical);
    if (nicknames !== undefined && nicknames.length > 0) {
      const nickname = random.pick(nicknames);
      const draft = matchedDraft('nickname', person, [`nickname:first_name:${canonical}->${nickname}`]);
      draft.values.first_name = titleCase(nickname);
      return draft;
    }
  }
  const fallback = currentRow(context, random);
  fallback.variations.push('fallback_from:nickname');
  return fallback;
}

/** The first name, the last name or both in other case or accents ("JOSÉ", "mcdonald", "Zoë"). */
export function accentsCaseRow(context: BookContext, random: Random): DraftRow {
  const person = drawDirectoryPerson(context, random);
  const draft = matchedDraft('accents_case', person);
  const roll = random.next();
  const fields: readonly NameField[] = roll < 0.5 ? ['first_name'] : roll < 0.8 ? ['last_name'] : ['first_name', 'last_name'];
  for (const field of fields) {
    const changed = changeCaseOrAccents(random, person[field]);
    draft.values[field] = changed.name;
    draft.variations.push(`case_accents:${field}:${changed.change}`);
  }
  return draft;
}

import { emptyContactValues } from '../fields';
import type { Random } from '../random/random';
import { OUTSIDE_DOMAINS } from '../reference/email-domains';
import { emailLocalPart } from '../values/emails';
import { drawPersonName } from '../values/names';
import type { BookContext } from './book-context';
import type { DraftRow } from './draft-row';
import { outsideContact } from './outside-values';

// Nothing to match on: no name, e-mail or phone beside an employer and a town; a name alone; nothing; a
// name with an e-mail that is no address. (A row missing one name but with an e-mail is matchable.)
export const INVALID_REASONS = ['no_name', 'name_only', 'empty_row', 'malformed_email'] as const;

export type InvalidReason = (typeof INVALID_REASONS)[number];

function malformedEmail(random: Random, first: string, last: string): string {
  const local = emailLocalPart(random, first, last, '', { kind: 'provider', namesakes: 1 });
  const domain = random.pick(OUTSIDE_DOMAINS);
  switch (random.int(4)) {
    case 0:
      return `${local}@`;
    case 1:
      return `${local}.${domain}`;
    case 2:
      return `${local}@@${domain}`;
    default:
      return `${local.slice(0, 1)} ${local.slice(1)}@${domain}`;
  }
}

/** A row no system should try to match: nothing to match on (see INVALID_REASONS). */
export function invalidRow(context: BookContext, random: Random): DraftRow {
  const reason = random.pick(INVALID_REASONS);
  const name = drawPersonName(random);
  const values = emptyContactValues();
  switch (reason) {
    case 'no_name': {
      const { company, title, city, state, country } = outsideContact(random, context.phones, name);
      Object.assign(values, { company, title, city, state, country });
      break;
    }
    case 'name_only':
      Object.assign(values, { first_name: name.first, last_name: name.last });
      break;
    case 'empty_row':
      break;
    case 'malformed_email':
      Object.assign(values, { first_name: name.first, last_name: name.last, email: malformedEmail(random, name.first, name.last) });
      break;
  }
  return { kind: 'invalid', match: undefined, values, variations: [`invalid:${reason}`], applyFormatting: false };
}

import type { Random } from '../random/random';
import { drawPersonName } from '../values/names';
import type { BookContext } from './book-context';
import type { DraftRow } from './draft-row';
import { drawDirectoryPerson } from './matched-rows';
import { outsideContact } from './outside-values';

/** Somebody the directory does not know. Their name may exist in the directory by chance, nothing else does. */
export function strangerRow(context: BookContext, random: Random): DraftRow {
  const name = drawPersonName(random);
  return { kind: 'stranger', match: undefined, values: outsideContact(random, context.phones, name), variations: [], applyFormatting: true };
}

/** Same first and last name as a directory person, and nothing else in common with them. */
export function lookalikeRow(context: BookContext, random: Random): DraftRow {
  const person = drawDirectoryPerson(context, random);
  const values = outsideContact(random, context.phones, { first: person.first_name, last: person.last_name }, person);
  return { kind: 'lookalike', match: undefined, values, variations: [`lookalike_of:${person.id}`], applyFormatting: true };
}

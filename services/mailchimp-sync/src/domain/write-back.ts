import { withoutFormulaGuard } from '@refinery/csv';
import type { MailchimpBatchOperation } from '@refinery/mailchimp';

// Result columns the write-back reads (libs/chunk-records RESULT_COLUMNS): status and latest value per field.
const MERGE_TAGS = { first_name: 'FNAME', last_name: 'LNAME', phone: 'PHONE', company: 'COMPANY' } as const;
const ADDRESS_FIELDS = ['street', 'city', 'state', 'postcode', 'country'] as const;
const WRITTEN = new Set(['old', 'new']);

export const TAGS = { matched: 'refinery-matched', unmatched: 'refinery-unmatched', updated: 'refinery-updated' } as const;

function birthdayMergeValue(isoDate: string): string | undefined {
  const parts = /^\d{4}-(\d{2})-(\d{2})$/u.exec(isoDate);
  // Mailchimp's BIRTHDAY merge field is month and day only.
  return parts ? `${parts[1]}/${parts[2]}` : undefined;
}

/**
 * What to write back for one result row: merge fields whose value the book had out of date (`old`) or missing (`new`),
 * with the provider's latest value, and tags saying how the row ended. Confirmed values are already right in
 * Mailchimp and are not rewritten; the e-mail address is never changed (it is the member's identity there).
 */
/** A field's latest value as the result file has it, the spreadsheet guard taken off again. */
function latest(row: Readonly<Record<string, string>>, field: string): string {
  return withoutFormulaGuard(row[`${field}_latest`] ?? '');
}

export function writeBackOperations(listId: string, row: Readonly<Record<string, string>>): MailchimpBatchOperation[] {
  const memberId = row['Member Id'] ?? '';
  if (!/^[a-f0-9]{32}$/u.test(memberId) || row.match_status === 'invalid') return [];
  const path = `/lists/${listId}/members/${memberId}`;
  if (row.match_status !== 'matched') {
    return [
      {
        method: 'POST',
        path: `${path}/tags`,
        body: JSON.stringify({ tags: [{ name: TAGS.unmatched, status: 'active' }] }),
        operation_id: `${memberId}:tags`,
      },
    ];
  }
  const mergeFields: Record<string, unknown> = {};
  const changed = (field: string): boolean => WRITTEN.has(row[`${field}_status`] ?? '') && latest(row, field) !== '';
  for (const [field, tag] of Object.entries(MERGE_TAGS)) {
    if (changed(field)) mergeFields[tag] = latest(row, field);
  }
  if (changed('birth_date')) {
    const birthday = birthdayMergeValue(latest(row, 'birth_date'));
    if (birthday) mergeFields.BIRTHDAY = birthday;
  }
  if (ADDRESS_FIELDS.some(changed)) {
    // Mailchimp takes an address whole (addr1, city, state and zip required): latest values where the provider has
    // them, the book's own otherwise.
    const value = (field: (typeof ADDRESS_FIELDS)[number]): string =>
      row[`${field}_status`] === 'unverified' || row[`${field}_status`] === 'empty' ? '' : latest(row, field);
    const address = { addr1: value('street'), city: value('city'), state: value('state'), zip: value('postcode'), country: value('country') };
    if (address.addr1 && address.city && address.state && address.zip) mergeFields.ADDRESS = address;
  }
  const updated = Object.keys(mergeFields).length > 0;
  const tags = [{ name: TAGS.matched, status: 'active' }, ...(updated ? [{ name: TAGS.updated, status: 'active' }] : [])];
  return [
    ...(updated ? [{ method: 'PATCH' as const, path, body: JSON.stringify({ merge_fields: mergeFields }), operation_id: `${memberId}:fields` }] : []),
    { method: 'POST', path: `${path}/tags`, body: JSON.stringify({ tags }), operation_id: `${memberId}:tags` },
  ];
}

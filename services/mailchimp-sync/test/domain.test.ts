import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { AUDIENCE_HEADER, audienceCells } from '../src/domain/audience-csv';
import { KeyVault } from '../src/domain/key-vault';
import { TAGS, writeBackOperations } from '../src/domain/write-back';
import { pageRanges, pageRangesFor } from '../src/handlers/plan-import';

describe('pageRanges', () => {
  it('covers every member with overlapping pages of at most 1,000', () => {
    for (const total of [1, 999, 1000, 1001, 1900, 1901, 25_000, 123_457]) {
      const ranges = pageRanges(total, 1000, 100);
      expect(ranges[0]).toEqual({ offset: 0, count: 1000 });
      const last = ranges[ranges.length - 1]!;
      expect(last.offset + last.count).toBeGreaterThanOrEqual(total);
      ranges.slice(1).forEach((range, i) => {
        // Each page starts 100 members before the previous one ends: up to 100 removals while paging shift nobody out.
        expect(ranges[i]!.offset + ranges[i]!.count - range.offset).toBe(100);
      });
      // No page is wasted: without the last one, some members would be missed.
      if (ranges.length > 1) expect(ranges[ranges.length - 2]!.offset + 1000).toBeLessThan(total);
    }
    expect(pageRanges(25_000, 1000, 100)).toHaveLength(28);
    // A redelivered request rebuilds the very same ranges from the stored page count.
    expect(pageRangesFor(28, 1000, 100)).toEqual(pageRanges(25_000, 1000, 100));
  });
});

describe('audience rows', () => {
  it('maps merge fields to columns libs/contacts knows, the address object or text split into its parts', () => {
    const fromObject = audienceCells({
      id: 'a'.repeat(32),
      email_address: 'ann@example.com',
      merge_fields: {
        FNAME: 'Ann',
        LNAME: 'Lee',
        PHONE: '+1 415 555 0100',
        COMPANY: 'Acme',
        BIRTHDAY: '03/14',
        ADDRESS: { addr1: '1 Main St', addr2: 'Apt 4', city: 'Springfield', state: 'IL', zip: '62701', country: 'US' },
      },
    });
    expect(Object.fromEntries(AUDIENCE_HEADER.map((name, i) => [name, fromObject[i]]))).toEqual({
      'Member Id': 'a'.repeat(32),
      'Email Address': 'ann@example.com',
      'First Name': 'Ann',
      'Last Name': 'Lee',
      'Phone Number': '+1 415 555 0100',
      Company: 'Acme',
      Street: '1 Main St, Apt 4',
      City: 'Springfield',
      State: 'IL',
      Zip: '62701',
      Country: 'US',
      Birthday: '03/14',
    });
    const fromText = audienceCells({ id: 'b', merge_fields: { ADDRESS: '675 Ponce de Leon Ave NE  Suite 5000  Atlanta  GA  30308  US' } });
    expect(fromText.slice(6)).toEqual(['675 Ponce de Leon Ave NE, Suite 5000', 'Atlanta', 'GA', '30308', 'US', '']);
  });
});

describe('write-back operations', () => {
  const member = 'c'.repeat(32);
  const row = (values: Record<string, string>) => ({ 'Member Id': member, match_status: 'matched', ...values });

  it('writes old and new values with their latest value, never confirmed ones nor the e-mail, and tags the member', () => {
    const operations = writeBackOperations(
      'list1',
      row({
        first_name_status: 'confirmed',
        first_name_latest: 'Ann',
        phone_status: 'new',
        phone_latest: "'+14155550100",
        company_status: 'old',
        company_latest: 'Globex',
        email_status: 'old',
        email_latest: 'ann@globex.example',
        birth_date_status: 'new',
        birth_date_latest: '1980-03-14',
      }),
    );
    expect(operations).toEqual([
      {
        method: 'PATCH',
        path: `/lists/list1/members/${member}`,
        body: JSON.stringify({ merge_fields: { PHONE: '+14155550100', COMPANY: 'Globex', BIRTHDAY: '03/14' } }),
        operation_id: `${member}:fields`,
      },
      {
        method: 'POST',
        path: `/lists/list1/members/${member}/tags`,
        body: JSON.stringify({
          tags: [
            { name: TAGS.matched, status: 'active' },
            { name: TAGS.updated, status: 'active' },
          ],
        }),
        operation_id: `${member}:tags`,
      },
    ]);
  });

  it('writes an address only whole, tags unmatched rows, and skips invalid rows and unknown members', () => {
    const address = writeBackOperations(
      'l',
      row({
        street_status: 'old',
        street_latest: '9 Oak Rd',
        city_status: 'confirmed',
        city_latest: 'Denver',
        state_status: 'confirmed',
        state_latest: 'CO',
        postcode_status: 'new',
        postcode_latest: '80202',
        country_status: 'empty',
      }),
    );
    expect(JSON.parse(address[0]!.body!)).toEqual({
      merge_fields: { ADDRESS: { addr1: '9 Oak Rd', city: 'Denver', state: 'CO', zip: '80202', country: '' } },
    });
    const partial = writeBackOperations('l', row({ street_status: 'new', street_latest: '9 Oak Rd', city_status: 'empty' }));
    expect(partial.map((operation) => operation.method)).toEqual(['POST']);
    expect(writeBackOperations('l', { 'Member Id': member, match_status: 'unmatched' })).toEqual([
      {
        method: 'POST',
        path: `/lists/l/members/${member}/tags`,
        body: JSON.stringify({ tags: [{ name: TAGS.unmatched, status: 'active' }] }),
        operation_id: `${member}:tags`,
      },
    ]);
    expect(writeBackOperations('l', { 'Member Id': member, match_status: 'invalid' })).toEqual([]);
    expect(writeBackOperations('l', { 'Member Id': '../../x', match_status: 'matched' })).toEqual([]);
  });
});

describe('KeyVault', () => {
  let ports: TestPorts;
  beforeEach(() => (ports = createTestPorts()));
  afterEach(() => ports.cleanup());

  it('stores keys encrypted, bound to their tenant', async () => {
    const table = ports.table('state');
    const vault = new KeyVault(table, Buffer.alloc(32, 7), { newId: (prefix) => `${prefix}_01TEST` });
    const ref = await vault.store('acme', 'secretkey123-us6', new Date('2026-11-28T00:00:00Z'));
    expect(ref).toBe('mck_01TEST');
    expect(JSON.stringify(await table.get({ pk: `key#${ref}`, sk: 'key' }))).not.toContain('secretkey123');
    expect(await vault.open('acme', ref)).toBe('secretkey123-us6');
    expect(await vault.open('globex', ref)).toBeUndefined();
    const otherKey = new KeyVault(table, Buffer.alloc(32, 8), { newId: (prefix) => `${prefix}_02` });
    await expect(otherKey.open('acme', ref)).rejects.toThrow();
    expect(() => new KeyVault(table, Buffer.alloc(16), { newId: () => 'x' })).toThrow('32 bytes');
  });

  it('rotates its key-encryption key: the newest seals, an older one still opens, a removed one no longer does', async () => {
    const table = ports.table('state');
    const [old, fresh] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    const before = await new KeyVault(table, [old], { newId: (prefix) => `${prefix}_OLD` }).store('acme', 'old-key-us6', new Date());
    const during = new KeyVault(table, [fresh, old], { newId: (prefix) => `${prefix}_NEW` });
    const after = await during.store('acme', 'new-key-us6', new Date());
    expect(await during.open('acme', before)).toBe('old-key-us6');
    expect(await during.open('acme', after)).toBe('new-key-us6');
    const rotated = new KeyVault(table, [fresh], { newId: () => 'x' });
    expect(await rotated.open('acme', after)).toBe('new-key-us6');
    await expect(rotated.open('acme', before)).rejects.toThrow('cannot be opened with any key-encryption key');
  });
});

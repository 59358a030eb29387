import { checkUsable, mapColumns, type MappedField } from '@refinery/contacts';

const synonymGroups: Record<MappedField, string[]> = {
  first_name: ['First Name', 'given name', 'Forename', 'first', 'FNAME', 'first_name', 'firstName'],
  last_name: ['Last Name', 'surname', 'Family Name', 'last', 'lname', 'last_name'],
  email: ['E-mail', 'Email Address', 'mail', 'EMAIL', 'e_mail'],
  phone: ['Phone', 'Phone Number', 'Mobile', 'cell', 'Tel', 'Telephone', 'Téléphone'],
  company: ['Company', 'Organization', 'Organisation', 'Employer', 'Company Name'],
  title: ['Title', 'Job Title', 'Position', 'Role'],
  street: ['Street', 'Address', 'Street Address', 'Address Line 1', 'Address1'],
  city: ['City', 'Town'],
  state: ['State', 'Province', 'Region'],
  postcode: ['Postcode', 'ZIP', 'Zip Code', 'Postal Code', 'zip-code'],
  country: ['Country', 'Country Code'],
  birth_date: ['Birth Date', 'Date of Birth', 'DOB', 'Birthday', 'birthdate'],
  full_name: ['Name', 'Full Name', 'Contact Name'],
};

describe('mapColumns', () => {
  for (const [field, headers] of Object.entries(synonymGroups)) {
    it(`maps every synonym of ${field}`, () => {
      for (const header of headers) {
        expect(mapColumns([header])).toEqual([{ index: 0, name: header, field }]);
      }
    });
  }

  it('ignores case, accents, separators, surrounding quotes and a byte-order mark', () => {
    const headers = ['"First Name"', "'last.name'", '  E-MAIL_ADDRESS ', '\uFEFFzip code', 'Dáte of Bírth'];
    expect(mapColumns(headers).map((column) => column.field)).toEqual([
      'first_name',
      'last_name',
      'email',
      'postcode',
      'birth_date',
    ]);
  });

  it('leaves unknown headers unmapped', () => {
    expect(mapColumns(['Notes', 'favourite colour'])).toEqual([
      { index: 0, name: 'Notes', field: null },
      { index: 1, name: 'favourite colour', field: null },
    ]);
  });

  it('gives a field to the first column that claims it and null to later ones', () => {
    expect(mapColumns(['Email', 'E-mail', 'Mobile', 'Phone']).map((column) => column.field)).toEqual([
      'email',
      null,
      'phone',
      null,
    ]);
  });

  it('lets an explicit mapping override synonyms, also when written in another form', () => {
    const mapping = mapColumns(['E-mail', 'Work Email', 'Name', 'Notes'], {
      work_email: 'email',
      Name: null,
      Notes: 'title',
    });
    expect(mapping.map((column) => column.field)).toEqual([null, 'email', null, 'title']);
  });
});

describe('checkUsable', () => {
  it('accepts first and last name plus another field', () => {
    expect(checkUsable(mapColumns(['First Name', 'Last Name', 'Email']))).toEqual({ ok: true });
  });

  it('accepts a full-name column plus another field', () => {
    expect(checkUsable(mapColumns(['Full Name', 'Mobile']))).toEqual({ ok: true });
  });

  it('rejects headers without a name and says what it found and what it needs', () => {
    expect(checkUsable(mapColumns(['foo', 'bar']))).toEqual({
      ok: false,
      reason:
        'no usable header: found "foo", "bar"; need first_name and last_name (or a full name column) and at least one of ' +
        'email, phone, company, title, street, city, state, postcode, country, birth_date',
    });
  });

  it('rejects a first name without a last name', () => {
    const result = checkUsable(mapColumns(['First Name', 'Email']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('found "First Name", "Email"') });
  });

  it('rejects names without any other field', () => {
    const result = checkUsable(mapColumns(['First Name', 'Last Name', 'Notes']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^no usable header: found "First Name", "Last Name", "Notes"; need /) });
  });

  it('rejects an empty header row', () => {
    expect(checkUsable([])).toMatchObject({ ok: false, reason: expect.stringContaining('found no headers') });
  });
});

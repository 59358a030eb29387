import { checkUsable, type MappedField, mapColumns } from '@refinery/contacts';

const synonymGroups: Record<MappedField, string[]> = {
  first_name: ['First Name', 'given name', 'Forename', 'first', 'FNAME', 'first_name', 'firstName'],
  last_name: ['Last Name', 'surname', 'Family Name', 'last', 'lname', 'last_name'],
  email: ['E-mail', 'Email Address', 'mail', 'EMAIL', 'e_mail'],
  phone: ['Phone', 'Phone Number', 'Mobile', 'cell', 'Tel', 'Telephone', 'Téléphone'],
  company: ['Company', 'Organization', 'Organisation', 'Employer', 'Company Name'],
  title: ['Title', 'Job Title', 'Position', 'Role'],
  street: ['Street', 'Address', 'Street Address', 'Address Line 1', 'Address1'],
  city: ['City', 'Town', 'Suburb', 'locality'],
  state: ['State', 'Province', 'Region'],
  postcode: ['Postcode', 'ZIP', 'Zip Code', 'Postal Code', 'zip-code'],
  country: ['Country', 'Country Code'],
  birth_date: ['Birth Date', 'Date of Birth', 'DOB', 'Birthday', 'birthdate'],
  full_name: ['Name', 'Full Name', 'Contact Name'],
  street_number: ['street_number', 'House Number', 'Street No'],
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
    expect(mapColumns(headers).map((column) => column.field)).toEqual(['first_name', 'last_name', 'email', 'postcode', 'birth_date']);
  });

  it('leaves unknown headers unmapped', () => {
    expect(mapColumns(['Notes', 'favourite colour'])).toEqual([
      { index: 0, name: 'Notes', field: null },
      { index: 1, name: 'favourite colour', field: null },
    ]);
  });

  it('gives a field to the first column that claims it and null to later ones', () => {
    expect(mapColumns(['Email', 'E-mail', 'Mobile', 'Phone']).map((column) => column.field)).toEqual(['email', null, 'phone', null]);
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

function mapped(headers: string[], explicit?: Record<string, MappedField | null>): Record<string, MappedField> {
  return Object.fromEntries(mapColumns(headers, explicit).flatMap((column) => (column.field === null ? [] : [[column.name, column.field]])));
}

describe('mapColumns on real exports', () => {
  it('maps a Mailchimp audience export and ignores its system columns', () => {
    const headers = [
      'Email Address',
      'First Name',
      'Last Name',
      'Address',
      'Phone Number',
      'Birthday',
      'Company',
      'MMERGE7',
      'MEMBER_RATING',
      'OPTIN_TIME',
      'OPTIN_IP',
      'CONFIRM_TIME',
      'CONFIRM_IP',
      'LATITUDE',
      'LONGITUDE',
      'GMTOFF',
      'DSTOFF',
      'TIMEZONE',
      'CC',
      'REGION',
      'LAST_CHANGED',
      'LEID',
      'EUID',
      'NOTES',
      'TAGS',
    ];
    expect(mapped(headers)).toEqual({
      'Email Address': 'email',
      'First Name': 'first_name',
      'Last Name': 'last_name',
      Address: 'street',
      'Phone Number': 'phone',
      Birthday: 'birth_date',
      Company: 'company',
    });
  });

  it('maps Mailchimp merge tags', () => {
    expect(mapped(['EMAIL', 'FNAME', 'LNAME', 'ADDRESS', 'PHONE', 'BIRTHDAY', 'COMPANY', 'MMERGE5', 'MMERGE6'])).toEqual({
      EMAIL: 'email',
      FNAME: 'first_name',
      LNAME: 'last_name',
      ADDRESS: 'street',
      PHONE: 'phone',
      BIRTHDAY: 'birth_date',
      COMPANY: 'company',
    });
  });

  it('keeps a Region column outside Mailchimp exports', () => {
    expect(mapped(['Name', 'Email', 'REGION'])).toEqual({ Name: 'full_name', Email: 'email', REGION: 'state' });
  });

  it('maps the older Google CSV export, not its type columns nor the formatted address', () => {
    const headers = [
      'Name',
      'Given Name',
      'Additional Name',
      'Family Name',
      'Yomi Name',
      'Name Prefix',
      'Name Suffix',
      'Nickname',
      'Birthday',
      'Notes',
      'Group Membership',
      'E-mail 1 - Type',
      'E-mail 1 - Value',
      'E-mail 2 - Type',
      'E-mail 2 - Value',
      'Phone 1 - Type',
      'Phone 1 - Value',
      'Phone 2 - Type',
      'Phone 2 - Value',
      'Address 1 - Type',
      'Address 1 - Formatted',
      'Address 1 - Street',
      'Address 1 - City',
      'Address 1 - PO Box',
      'Address 1 - Region',
      'Address 1 - Postal Code',
      'Address 1 - Country',
      'Address 1 - Extended Address',
      'Address 2 - Type',
      'Address 2 - Formatted',
      'Address 2 - Street',
      'Address 2 - City',
      'Address 2 - Region',
      'Address 2 - Postal Code',
      'Address 2 - Country',
      'Organization 1 - Type',
      'Organization 1 - Name',
      'Organization 1 - Title',
      'Organization 1 - Department',
    ];
    expect(mapped(headers)).toEqual({
      Name: 'full_name',
      'Given Name': 'first_name',
      'Family Name': 'last_name',
      Birthday: 'birth_date',
      'E-mail 1 - Value': 'email',
      'Phone 1 - Value': 'phone',
      'Address 1 - Street': 'street',
      'Address 1 - City': 'city',
      'Address 1 - Region': 'state',
      'Address 1 - Postal Code': 'postcode',
      'Address 1 - Country': 'country',
      'Organization 1 - Name': 'company',
      'Organization 1 - Title': 'title',
    });
  });

  it('maps the newer Google CSV export, not its phonetic names', () => {
    const headers = [
      'First Name',
      'Middle Name',
      'Last Name',
      'Phonetic First Name',
      'Phonetic Middle Name',
      'Phonetic Last Name',
      'Name Prefix',
      'Name Suffix',
      'Nickname',
      'File As',
      'Organization Name',
      'Organization Title',
      'Organization Department',
      'Birthday',
      'Notes',
      'Labels',
      'E-mail 1 - Label',
      'E-mail 1 - Value',
      'Phone 1 - Label',
      'Phone 1 - Value',
      'Address 1 - Label',
      'Address 1 - Formatted',
      'Address 1 - Street',
      'Address 1 - City',
      'Address 1 - Region',
      'Address 1 - Postal Code',
      'Address 1 - Country',
    ];
    expect(mapped(headers)).toEqual({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'Organization Name': 'company',
      'Organization Title': 'title',
      Birthday: 'birth_date',
      'E-mail 1 - Value': 'email',
      'Phone 1 - Value': 'phone',
      'Address 1 - Street': 'street',
      'Address 1 - City': 'city',
      'Address 1 - Region': 'state',
      'Address 1 - Postal Code': 'postcode',
      'Address 1 - Country': 'country',
    });
  });

  const outlookHeaders = [
    'Title',
    'First Name',
    'Middle Name',
    'Last Name',
    'Suffix',
    'Company',
    'Department',
    'Job Title',
    'Business Street',
    'Business Street 2',
    'Business Street 3',
    'Business City',
    'Business State',
    'Business Postal Code',
    'Business Country/Region',
    'Home Street',
    'Home Street 2',
    'Home Street 3',
    'Home City',
    'Home State',
    'Home Postal Code',
    'Home Country/Region',
    'Other Street',
    'Other City',
    'Other State',
    'Other Postal Code',
    'Other Country/Region',
    "Assistant's Phone",
    'Business Fax',
    'Business Phone',
    'Business Phone 2',
    'Callback',
    'Car Phone',
    'Company Main Phone',
    'Home Fax',
    'Home Phone',
    'Home Phone 2',
    'ISDN',
    'Mobile Phone',
    'Other Fax',
    'Other Phone',
    'Pager',
    'Primary Phone',
    'Radio Phone',
    'TTY/TDD Phone',
    'Telex',
    'Anniversary',
    "Assistant's Name",
    'Birthday',
    'Business Address PO Box',
    'Categories',
    'E-mail Address',
    'E-mail Type',
    'E-mail Display Name',
    'E-mail 2 Address',
    'E-mail 2 Type',
    'E-mail 2 Display Name',
    'Notes',
  ];

  it('maps an Outlook CSV export: Job Title over the honorific Title, Mobile Phone, the Business address', () => {
    expect(mapped(outlookHeaders)).toEqual({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      Company: 'company',
      'Job Title': 'title',
      'Business Street': 'street',
      'Business City': 'city',
      'Business State': 'state',
      'Business Postal Code': 'postcode',
      'Business Country/Region': 'country',
      'Mobile Phone': 'phone',
      Birthday: 'birth_date',
      'E-mail Address': 'email',
    });
  });

  it('takes every address part from the first address block in the file, never a mix', () => {
    const homeFirst = ['First Name', 'Last Name', 'Home Street', 'Home City', 'Business Street', 'Business City', 'Business Postal Code'];
    expect(mapped(homeFirst)).toEqual({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'Home Street': 'street',
      'Home City': 'city',
    });
  });

  it('prefers Business Phone over Home Phone, and Mobile over both', () => {
    expect(mapped(['Home Phone', 'Business Phone'])).toEqual({ 'Business Phone': 'phone' });
    expect(mapped(['Home Phone', 'Business Phone', 'Cell'])).toEqual({ Cell: 'phone' });
    expect(mapped(['Phone', 'Mobile'])).toEqual({ Mobile: 'phone' });
  });

  it('prefers a street column over a whole-address column, wherever it stands', () => {
    expect(mapped(['Address', 'Street', 'City'])).toEqual({ Street: 'street', City: 'city' });
    expect(mapped(['Home Address', 'Home Street'])).toEqual({ 'Home Street': 'street' });
  });

  it('still reads a lone Title column as the job title', () => {
    expect(mapped(['Name', 'Title'])).toEqual({ Name: 'full_name', Title: 'title' });
  });

  it('lets an explicit mapping claim a field before any tier', () => {
    expect(mapped(['Title', 'Job Title'], { Title: 'title' })).toEqual({ Title: 'title' });
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
        'no usable header: found "foo", "bar"; need an email or phone column, or a name column (first_name, last_name or a ' +
        'full name) with one of company, title, street, city, state, postcode, birth_date, or birth_date with street or postcode',
    });
  });

  it('names the first 20 headers and the count when there are more, whatever the header', () => {
    const headers = Array.from({ length: 200_000 }, (_, i) => `column ${i}`);
    const result = checkUsable(mapColumns(headers));
    if (result.ok) throw new Error('expected unusable');
    expect(result.reason).toMatch(/^no usable header: found 200,000 columns \("column 0", "column 1", .*"column 19", …\); need /);
    expect(result.reason.length).toBeLessThan(1000);
  });

  it('accepts one name column with another field, an identifier alone, or a birth date and an address', () => {
    expect(checkUsable(mapColumns(['First Name', 'Email']))).toEqual({ ok: true });
    expect(checkUsable(mapColumns(['surname', 'date_of_birth']))).toEqual({ ok: true });
    expect(checkUsable(mapColumns(['Email']))).toEqual({ ok: true });
    expect(checkUsable(mapColumns(['date_of_birth', 'postcode']))).toEqual({ ok: true });
  });

  it('rejects a name with only a country, and a birth date with only a town', () => {
    expect(checkUsable(mapColumns(['First Name', 'Last Name', 'Country']))).toMatchObject({ ok: false });
    expect(checkUsable(mapColumns(['date_of_birth', 'City']))).toMatchObject({ ok: false });
  });

  it('rejects names without any other field', () => {
    const result = checkUsable(mapColumns(['First Name', 'Last Name', 'Notes']));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^no usable header: found "First Name", "Last Name", "Notes"; need /) });
  });

  it('rejects a file that is not a contact book, listing its headers and the fields it needs', () => {
    expect(checkUsable(mapColumns(['id', 'notes', 'created']))).toEqual({
      ok: false,
      reason:
        'no usable header: found "id", "notes", "created"; need an email or phone column, or a name column (first_name, ' +
        'last_name or a full name) with one of company, title, street, city, state, postcode, birth_date, or birth_date with street or postcode',
    });
  });

  it('accepts the real exports', () => {
    expect(checkUsable(mapColumns(['Email Address', 'First Name', 'Last Name', 'MEMBER_RATING']))).toEqual({ ok: true });
    expect(checkUsable(mapColumns(['Name', 'Given Name', 'Family Name', 'E-mail 1 - Type', 'E-mail 1 - Value']))).toEqual({ ok: true });
    expect(checkUsable(mapColumns(['Title', 'First Name', 'Last Name', 'Business Phone']))).toEqual({ ok: true });
  });

  it('rejects an empty header row', () => {
    expect(checkUsable([])).toMatchObject({ ok: false, reason: expect.stringContaining('found no headers') });
  });
});

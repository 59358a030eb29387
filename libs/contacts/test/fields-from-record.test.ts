import { fieldsFromRecord, mapColumns, splitAddress, splitFullName } from '@refinery/contacts';

describe('fieldsFromRecord', () => {
  it('reads trimmed cells through the mapping and skips empty and unmapped ones', () => {
    const mapping = mapColumns(['First Name', 'Last Name', 'Email', 'Notes', 'City']);
    expect(fieldsFromRecord(['  Ada ', 'Lovelace', ' ada@example.com ', 'likes maths', '   '], mapping)).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
    });
  });

  it('tolerates rows shorter than the header', () => {
    expect(fieldsFromRecord(['Ada'], mapColumns(['First Name', 'Last Name', 'Email']))).toEqual({ first_name: 'Ada' });
  });

  it('splits a full name into first and last name', () => {
    const mapping = mapColumns(['Name', 'Email']);
    expect(fieldsFromRecord(['Grace Hopper', 'g@example.com'], mapping)).toEqual({
      first_name: 'Grace',
      last_name: 'Hopper',
      email: 'g@example.com',
    });
  });

  it('takes the last word as the last name when there is a middle name', () => {
    expect(fieldsFromRecord(['Grace Brewster Hopper'], mapColumns(['Full Name']))).toEqual({
      first_name: 'Grace',
      last_name: 'Hopper',
    });
  });

  it('reads the "Last, First" form', () => {
    expect(fieldsFromRecord(['Hopper, Grace Brewster'], mapColumns(['Contact Name']))).toEqual({
      first_name: 'Grace',
      last_name: 'Hopper',
    });
  });

  it('does not overwrite first and last name columns with the full name', () => {
    const mapping = mapColumns(['First Name', 'Name', 'Last Name']);
    expect(fieldsFromRecord(['Gracie', 'Grace Hopper', ''], mapping)).toEqual({ first_name: 'Gracie', last_name: 'Hopper' });
  });
});

describe('fieldsFromRecord with a whole-address column', () => {
  it("splits Mailchimp's two-space ADDRESS cell into its parts", () => {
    const mapping = mapColumns(['Email Address', 'First Name', 'Last Name', 'Address']);
    expect(fieldsFromRecord(['ada@example.com', 'Ada', 'Lovelace', '123 Main St  Apt 4  Springfield  IL  62701  US'], mapping)).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      street: '123 Main St Apt 4',
      city: 'Springfield',
      state: 'IL',
      postcode: '62701',
      country: 'US',
    });
  });

  it('takes a whole-address cell with single spaces only as the street', () => {
    const mapping = mapColumns(['Name', 'ADDRESS']);
    expect(fieldsFromRecord(['Ada Lovelace', '123 Main St, Springfield, IL 62701'], mapping)).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
      street: '123 Main St, Springfield, IL 62701',
    });
  });

  it('lets columns of their own win over the parts of a whole address', () => {
    const mapping = mapColumns(['Name', 'Home Address', 'Country']);
    expect(fieldsFromRecord(['Ada Lovelace', '1 Main St  Springfield  IL  62701  USA', 'United States'], mapping)).toMatchObject({
      street: '1 Main St',
      city: 'Springfield',
      country: 'United States',
    });
  });

  it('does not split a street column, whatever its spaces', () => {
    const mapping = mapColumns(['Name', 'Street']);
    expect(fieldsFromRecord(['Ada Lovelace', '123  Main  St  4'], mapping)).toEqual({
      first_name: 'Ada',
      last_name: 'Lovelace',
      street: '123  Main  St  4',
    });
  });
});

describe('splitAddress', () => {
  it.each([
    [
      '123 Main St  Apt 4  Springfield  IL  62701  US',
      { street: '123 Main St Apt 4', city: 'Springfield', state: 'IL', postcode: '62701', country: 'US' },
    ],
    [
      '1701 Bristol Ave.  Barrington  Rhode Island  02806  USA',
      { street: '1701 Bristol Ave.', city: 'Barrington', state: 'Rhode Island', postcode: '02806', country: 'USA' },
    ],
    ['1 Main St  Springfield  IL  62701', { street: '1 Main St', city: 'Springfield', state: 'IL', postcode: '62701' }],
    ['10 Downing St  London    SW1A 2AA  UK', { street: '10 Downing St', city: 'London', postcode: 'SW1A 2AA', country: 'UK' }],
    ['123 Main St Springfield IL 62701', { street: '123 Main St Springfield IL 62701' }],
    ['123 Main St  Apt 4', { street: '123 Main St  Apt 4' }],
    ['Flat 2  10 Downing St  London  Westminster  UK', { street: 'Flat 2  10 Downing St  London  Westminster  UK' }],
  ])('reads %j', (address, parts) => {
    expect(splitAddress(address)).toEqual(parts);
  });
});

describe('splitFullName', () => {
  it.each([
    ['Dr. John Smith Jr.', { first_name: 'John', last_name: 'Smith' }],
    ['Jan van der Berg', { first_name: 'Jan', last_name: 'van der Berg' }],
    ['John Smith, Jr.', { first_name: 'John', last_name: 'Smith' }],
    ['Cher', { first_name: 'Cher' }],
    ['   ', {}],
  ])('splits %j', (fullName, parts) => {
    expect(splitFullName(fullName)).toEqual(parts);
  });
});

describe('a house number in a column of its own', () => {
  // A register (FEBRL-like): given_name, surname, street_number, address_1, suburb, postcode, state, date_of_birth.
  const mapping = mapColumns(['given_name', 'surname', 'street_number', 'address_1', 'suburb', 'postcode', 'state', 'date_of_birth']);

  it('maps the register header and puts the number in front of the street', () => {
    expect(mapping.map((column) => column.field)).toEqual([
      'first_name',
      'last_name',
      'street_number',
      'street',
      'city',
      'postcode',
      'state',
      'birth_date',
    ]);
    expect(fieldsFromRecord(['ada', 'lovelace', '27', 'sinclair street', 'burwood', '2134', 'nsw', '19151210'], mapping)).toEqual({
      first_name: 'ada',
      last_name: 'lovelace',
      street: '27 sinclair street',
      city: 'burwood',
      postcode: '2134',
      state: 'nsw',
      birth_date: '19151210',
    });
  });

  it('keeps a number alone as the street, and does not repeat one the street already starts with', () => {
    expect(fieldsFromRecord(['ada', '', '27', '', '', '', '', ''], mapping).street).toBe('27');
    expect(fieldsFromRecord(['ada', '', '27', '27 sinclair st', '', '', '', ''], mapping).street).toBe('27 sinclair st');
  });
});

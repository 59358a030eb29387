import { fieldsFromRecord, mapColumns, splitFullName } from '@refinery/contacts';

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

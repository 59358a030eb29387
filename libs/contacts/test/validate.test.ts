import { isValidEmail, validateContact } from '@refinery/contacts';

describe('validateContact', () => {
  it('accepts a name plus one usable field', () => {
    expect(validateContact({ first_name: 'Ada', last_name: 'Lovelace', company: 'Analytical Engines' })).toEqual({ valid: true });
  });

  it('accepts an invalid e-mail when another field can be matched on', () => {
    expect(validateContact({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@', city: 'London' })).toEqual({ valid: true });
  });

  it.each([
    [{ email: 'a@b.co' }, 'missing first_name and last_name'],
    [{ last_name: 'Lovelace', email: 'a@b.co' }, 'missing first_name'],
    [{ first_name: 'Ada', email: 'a@b.co' }, 'missing last_name'],
    [{ first_name: 'Ada', last_name: 'Lovelace' }, 'only a name: needs at least one more field (email, phone, company, ...)'],
    [{ first_name: 'Bob', last_name: 'Smith', email: 'bob@' }, 'email "bob@" is not a valid address and no other field to match on'],
    [{ first_name: 'Bob', last_name: 'Smith', phone: '12' }, 'phone "12" is not a phone number and no other field to match on'],
    [
      { first_name: 'Bob', last_name: 'Smith', email: 'bob@', phone: 'none' },
      'email "bob@" is not a valid address; phone "none" is not a phone number and no other field to match on',
    ],
  ])('rejects %j: %s', (fields, reason) => {
    expect(validateContact(fields)).toEqual({ valid: false, reason });
  });
});

describe('isValidEmail', () => {
  it.each(['ada@example.com', 'ada.lovelace+books@mail.example.co.uk', 'josé@exämple.de'])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each(['bob@', '@example.com', 'bob@example', 'bob smith@example.com', 'bob@@example.com', 'bob..x@example.com', 'bob@-x.com'])(
    'rejects %j',
    (email) => {
      expect(isValidEmail(email)).toBe(false);
    },
  );
});

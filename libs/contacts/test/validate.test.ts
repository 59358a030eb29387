import { isValidEmail, validateContact } from '@refinery/contacts';

describe('validateContact', () => {
  it('accepts a name plus one usable field', () => {
    expect(validateContact({ first_name: 'Ada', last_name: 'Lovelace', company: 'Analytical Engines' })).toEqual({ valid: true });
  });

  it('accepts an invalid e-mail when another field can be matched on', () => {
    expect(validateContact({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@', city: 'London' })).toEqual({ valid: true });
  });

  it.each([
    [{ email: 'a@b.co' }],
    [{ phone: '+1 415 555 0134' }],
    [{ last_name: 'Lovelace', email: 'a@b.co' }],
    [{ first_name: 'Ada', postcode: 'W1' }],
    [{ last_name: 'Lovelace', birth_date: '1815-12-10', street: '12 St James Sq' }],
    [{ birth_date: '1815-12-10', street: '12 St James Sq' }],
  ])('accepts %j: something to match on besides a name', (fields) => {
    expect(validateContact(fields)).toEqual({ valid: true });
  });

  it.each([
    [{}, 'nothing to match on: no name, e-mail, phone or other field'],
    [
      { first_name: 'Ada', last_name: 'Lovelace' },
      'nothing to match on: only a name; needs at least one more field (email, phone, birth_date, street, postcode, company, ...)',
    ],
    [
      { first_name: 'Ada', last_name: 'Lovelace', country: 'GB' },
      'nothing to match on: only a name; needs at least one more field (email, phone, birth_date, street, postcode, company, ...)',
    ],
    [
      { first_name: 'Bob', last_name: 'Smith', email: 'bob@' },
      'nothing to match on: only a name; email "bob@" is not a valid address; needs at least one more field (email, phone, birth_date, street, postcode, company, ...)',
    ],
    [
      { first_name: 'Bob', last_name: 'Smith', email: 'bob@', phone: 'none' },
      'nothing to match on: only a name; email "bob@" is not a valid address; phone "none" is not a phone number; needs at least one more field (email, phone, birth_date, street, postcode, company, ...)',
    ],
    [
      { city: 'London', company: 'Analytical Engines' },
      'nothing to match on: only company, city and missing first_name and last_name; needs a name and one more field, an e-mail or a phone, or a birth date and an address',
    ],
    [
      { birth_date: '1815-12-10', city: 'London' },
      'nothing to match on: only city, birth_date and missing first_name and last_name; needs a name and one more field, an e-mail or a phone, or a birth date and an address',
    ],
  ])('rejects %j: %s', (fields, reason) => {
    expect(validateContact(fields)).toEqual({ valid: false, reason });
  });
});

describe('validateContact and phones', () => {
  it('takes a phone of seven digits or more, however it is written, as something to match on', () => {
    expect(validateContact({ phone: '12-34-56-7' })).toEqual({ valid: true });
    expect(validateContact({ phone: 'tel. 555 01 23 (home)' })).toEqual({ valid: true });
  });

  it('does not count digits other than 0-9 (full-width ones are not read as a phone)', () => {
    expect(validateContact({ phone: '123-456' })).toEqual({
      valid: false,
      reason: 'nothing to match on: no name, e-mail, phone or other field; phone "123-456" is not a phone number',
    });
    expect(validateContact({ phone: '１２３４５６７８' }).valid).toBe(false);
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

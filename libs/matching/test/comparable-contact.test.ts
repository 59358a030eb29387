import type { ContactFields } from '@refinery/contacts';
import { comparableContact, prepareContact } from '@refinery/matching';

const FIELDS: ContactFields = {
  first_name: 'Mary Ann',
  last_name: 'Garcia Lopez',
  email: 'mary@example.org',
  phone: '+14155550134',
  street: '12 King Ln',
  city: 'New York',
  state: 'NY',
  postcode: '10001',
  birth_date: '1977-02-25',
};

describe('prepareContact', () => {
  it('gives the same fields in the same order, and nothing else, to JSON, spreads and keys', () => {
    const prepared = prepareContact(FIELDS);

    expect(JSON.stringify(prepared)).toBe(JSON.stringify(FIELDS));
    expect(Object.keys(prepared)).toEqual(Object.keys(FIELDS));
    expect({ ...prepared }).toStrictEqual(FIELDS);
    // Asking for the form adds nothing the fields show.
    comparableContact(prepared);
    expect(JSON.stringify(prepared)).toBe(JSON.stringify(FIELDS));
    expect(Reflect.ownKeys(prepared)).toEqual(Object.keys(FIELDS));
  });

  it('keeps the comparable form a plain contact of the same fields has, built once', () => {
    const prepared = prepareContact(FIELDS);
    const form = comparableContact(prepared);

    expect(comparableContact(prepared)).toBe(form);
    expect({ ...form, fields: { ...form.fields } }).toEqual({ ...comparableContact({ ...FIELDS }), fields: { ...FIELDS } });
    // Each prepared object has a form of its own (the fields it was made from are not the key).
    expect(comparableContact(prepareContact(FIELDS))).not.toBe(form);
  });
});

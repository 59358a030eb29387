import { CANONICAL_FIELDS, standardizeContact } from '@refinery/contacts';
import { labelField, labelFields } from '@refinery/labeling';

const book = standardizeContact({
  first_name: 'Jon',
  last_name: 'Smith',
  email: 'jon@old-job.example',
  phone: '(415) 555-0134',
  company: 'Acme, Inc.',
  city: 'Springfield',
  birth_date: '',
});
const provider = standardizeContact({
  first_name: 'John',
  last_name: 'SMITH',
  email: 'john@new-job.example',
  phone: '+1 415 555 0134',
  company: 'ACME Corporation',
  title: 'Engineer',
});

describe('labelFields', () => {
  const labels = labelFields(book, provider);

  it('labels every canonical field', () => {
    expect(Object.keys(labels).sort()).toEqual([...CANONICAL_FIELDS].sort());
  });

  it('confirms values that are equal in comparable form, and gives the latest display value', () => {
    expect(labels.last_name).toEqual({ status: 'confirmed', latest: 'SMITH' });
    expect(labels.phone).toEqual({ status: 'confirmed', latest: '+14155550134' });
    expect(labels.company).toEqual({ status: 'confirmed', latest: 'ACME Corporation' });
  });

  it('marks values that differ as old, with the latest value', () => {
    expect(labels.first_name).toEqual({ status: 'old', latest: 'John' });
    expect(labels.email).toEqual({ status: 'old', latest: 'john@new-job.example' });
  });

  it('never confirms a value that cannot be compared: a birthday without a year, or two different unreadable dates', () => {
    expect(labelField('birth_date', '03/14', '1985-03-14', true)).toEqual({ status: 'old', latest: '1985-03-14' });
    expect(labelField('birth_date', '03/14', '04/02', true)).toEqual({ status: 'old', latest: '04/02' });
    expect(labelField('birth_date', 'March 14', ' march  14 ', true)).toEqual({ status: 'confirmed', latest: ' march  14 ' });
  });

  it('marks values only the provider has as new', () => {
    expect(labels.title).toEqual({ status: 'new', latest: 'Engineer' });
  });

  it('marks values only the contact has as unverified', () => {
    expect(labels.city).toEqual({ status: 'unverified' });
  });

  it('marks values neither has as empty, treating "" like a missing value', () => {
    expect(labels.birth_date).toEqual({ status: 'empty' });
    expect(labels.street).toEqual({ status: 'empty' });
    expect(labelFields({ street: '' }, { street: '' }).street).toEqual({ status: 'empty' });
  });

  it('marks every value of an unmatched contact unverified or empty, with no latest value', () => {
    const unmatched = labelFields(book, undefined);
    expect(unmatched.first_name).toEqual({ status: 'unverified' });
    expect(unmatched.email).toEqual({ status: 'unverified' });
    expect(unmatched.title).toEqual({ status: 'empty' });
    expect(Object.values(unmatched).every((label) => label.latest === undefined)).toBe(true);
  });
});

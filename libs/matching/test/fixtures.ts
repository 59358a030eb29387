import { type ContactFields, standardizeContact } from '@refinery/contacts';
import type { Candidate } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';

export const nicknames = loadBundledNicknames();

export function contact(fields: ContactFields): ContactFields {
  return standardizeContact(fields);
}

export function candidate(id: string, fields: ContactFields): Candidate {
  return { id, fields: standardizeContact(fields) };
}

// The provider's people: a few dozen, hand-made, with the look-alikes that make matching hard.
export const people = {
  johnSmith: candidate('john-smith', {
    first_name: 'John',
    last_name: 'Smith',
    email: 'john.smith@acme.example',
    phone: '+1 415 555 0134',
    company: 'Acme, Inc.',
    title: 'Engineer',
    street: '1 Market Street',
    city: 'San Francisco',
    state: 'CA',
    postcode: '94105',
    birth_date: '1980-02-01',
  }),
  janeSmith: candidate('jane-smith', {
    first_name: 'Jane',
    last_name: 'Smith',
    email: 'smiths@home.example',
    phone: '+1 415 555 0199',
    company: 'Globex',
    street: '7 Elm Street',
    city: 'Oakland',
    state: 'CA',
  }),
  johnSmyth: candidate('john-smyth', { first_name: 'John', last_name: 'Smyth', company: 'Initech', city: 'Austin', state: 'TX' }),
  robertJones: candidate('robert-jones', {
    first_name: 'Robert',
    last_name: 'Jones',
    email: 'rjones@initech.example',
    company: 'Initech LLC',
    city: 'Austin',
    state: 'TX',
  }),
  joseNunez: candidate('jose-nunez', {
    first_name: 'José',
    last_name: 'Núñez',
    company: 'Umbrella',
    city: 'Málaga',
    state: 'Andalucía',
    country: 'ES',
  }),
  mariaGarciaLopez: candidate('maria-garcia-lopez', { first_name: 'María', last_name: 'García-López', street: '5 Calle Mayor', postcode: '28013' }),
  paulaBrown: candidate('paula-brown', { first_name: 'Paula', last_name: 'Brown', street: '9 Oak Road', city: 'Denver', state: 'CO' }),
  michaelMiller: candidate('michael-miller', { first_name: 'Michael', last_name: 'Miller', company: 'Hooli', birth_date: '1975-06-30' }),
  kateWilson: candidate('kate-wilson', { first_name: 'Catherine', last_name: 'Wilson', postcode: '02134', title: 'Nurse' }),
};

import type { Candidate } from '@refinery/matching';

/** A small, standardized directory for end-to-end tests (the synthetic generator makes the big ones). */
export const PEOPLE: Candidate[] = [
  person('P1', 'Robert', 'Smith', 'robert.smith@example.com', '+14155550134', 'Acme Inc', 'San Francisco', 'CA', '94105', '1980-01-02'),
  person('P2', 'Maria', 'Garcia', 'maria@garcia.dev', '+13125550188', 'Northwind LLC', 'Chicago', 'IL', '60601', '1975-05-06'),
  person('P3', 'Chen', 'Wei', 'wei.chen@example.org', '+12065550101', 'Globex Corp', 'Seattle', 'WA', '98101', '1990-09-09'),
  person('P4', 'Ana', 'Souza', 'ana.souza@example.net', '+16175550177', 'Initech', 'Boston', 'MA', '02108', '1985-12-24'),
];

function person(
  id: string,
  first: string,
  last: string,
  email: string,
  phone: string,
  company: string,
  city: string,
  state: string,
  postcode: string,
  birth: string,
): Candidate {
  return {
    id,
    fields: { first_name: first, last_name: last, email, phone, company, city, state, postcode, country: 'US', birth_date: birth },
  };
}

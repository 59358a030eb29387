import { comparableValue, foldName } from '@refinery/contacts';

describe('foldName', () => {
  it('folds case, accents, apostrophes and hyphens', () => {
    expect(foldName("  José  O'Brien-Smith ")).toBe('jose obrien smith');
    expect(foldName('ØRSTED Straße')).toBe('orsted strasse');
    expect(foldName('Ｊｏｈｎ')).toBe('john');
    expect(foldName('J.R.')).toBe('jr');
  });
});

describe('comparableValue', () => {
  it('folds names', () => {
    expect(comparableValue('first_name', 'Renée')).toBe(comparableValue('first_name', 'RENEE'));
    expect(comparableValue('last_name', 'Garcia-Lopez')).toBe(comparableValue('last_name', 'garcia lopez'));
    expect(comparableValue('last_name', "O'Neil")).toBe('oneil');
  });

  it('compares names without honorifics and suffixes', () => {
    expect(comparableValue('first_name', 'Dr. John')).toBe('john');
    for (const lastName of ['Smith Jr.', 'Smith, Jr', 'Smith III', 'SMITH, Sr.']) {
      expect(comparableValue('last_name', lastName)).toBe('smith');
    }
    expect(comparableValue('last_name', 'Ii')).toBe('ii');
  });

  it('compares e-mails by their address', () => {
    expect(comparableValue('email', 'Ada <Ada@Example.com>')).toBe('ada@example.com');
    expect(comparableValue('email', 'mailto:ada@example.com')).toBe('ada@example.com');
  });

  it('lower-cases e-mails but keeps gmail dots', () => {
    expect(comparableValue('email', ' Ada.Lovelace@GMail.com ')).toBe('ada.lovelace@gmail.com');
    expect(comparableValue('email', 'ada.lovelace@gmail.com')).not.toBe(comparableValue('email', 'adalovelace@gmail.com'));
  });

  it('compares phones by the digits of E.164', () => {
    expect(comparableValue('phone', '+1 415 555 0134')).toBe('14155550134');
    expect(comparableValue('phone', '(415) 555-0134')).toBe('14155550134');
  });

  it.each([
    ['Acme, Inc.', 'acme'],
    ['ACME Incorporated', 'acme'],
    ['Acme LLC', 'acme'],
    ['Acme Ltd', 'acme'],
    ['Acme Limited', 'acme'],
    ['Acme GmbH', 'acme'],
    ['Acme Corp.', 'acme'],
    ['Acme Corporation', 'acme'],
    ['Acme Co.', 'acme'],
    ['Acme S.A.', 'acme'],
    ['Acme AG', 'acme'],
    ['Acme PLC', 'acme'],
    ['Acme Pty Ltd', 'acme'],
    ['The Acme Company', 'acme'],
    ['Smith & Sons, Ltd.', 'smith and sons'],
    ['AG', 'ag'],
  ])('drops legal suffixes and punctuation from the company %j', (company, comparable) => {
    expect(comparableValue('company', company)).toBe(comparable);
  });

  it.each([
    ['123 North Main Street, Apartment 4', '123 N Main St Apt 4'],
    ['9 Elm Avenue, Suite 200', '9 elm ave. ste 200'],
    ['1 Sunset Boulevard', '1 Sunset Blvd'],
    ['5 Oak Road', '5 Oak Rd.'],
    ['7 Park Drive', '7 Park Dr'],
    ['8 Mill Lane', '8 Mill Ln'],
    ['2 South West Court', '2 S W Ct'],
  ])('folds street abbreviations: %j = %j', (long, short) => {
    expect(comparableValue('street', long)).toBe(comparableValue('street', short));
  });

  it('case-folds cities, states and countries and reads names as codes', () => {
    expect(comparableValue('city', 'SAN FRANCISCO')).toBe(comparableValue('city', 'San Francisco'));
    expect(comparableValue('state', 'California')).toBe(comparableValue('state', 'ca'));
    expect(comparableValue('country', 'Deutschland')).toBe(comparableValue('country', 'DE'));
    expect(comparableValue('country', 'Atlantis')).toBe('atlantis');
  });

  it('drops spaces from postcodes and reduces ZIP+4 to the ZIP', () => {
    expect(comparableValue('postcode', 'sw1a 1aa')).toBe('SW1A1AA');
    expect(comparableValue('postcode', '94105-1234')).toBe('94105');
    expect(comparableValue('postcode', '94105')).toBe('94105');
  });

  it('compares birth dates as ISO dates', () => {
    expect(comparableValue('birth_date', 'March 14, 1985')).toBe('1985-03-14');
    expect(comparableValue('birth_date', '14.03.1985')).toBe('1985-03-14');
  });

  it.each(['03/14', '--03-14', 'March 14', '03/14/85', '0/0/00', 'sometime in 1985'])(
    'has no comparable value for the birth date %j: it cannot tell two people apart',
    (birthDate) => {
      expect(comparableValue('birth_date', birthDate)).toBe('');
    },
  );

  it('compares countries by ISO code', () => {
    for (const country of ['United Kingdom', 'UK', 'Great Britain', 'GBR', 'gb']) {
      expect(comparableValue('country', country)).toBe('gb');
    }
    for (const country of ['USA', 'United States of America', 'U.S.']) {
      expect(comparableValue('country', country)).toBe('us');
    }
    for (const country of ['Deutschland', 'Germany', 'DEU']) {
      expect(comparableValue('country', country)).toBe('de');
    }
  });

  it('folds titles', () => {
    expect(comparableValue('title', ' Chief  Executive ')).toBe(comparableValue('title', 'chief executive'));
  });
});

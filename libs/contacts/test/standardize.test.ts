import { standardizeContact } from '@refinery/contacts';

describe('standardizeContact', () => {
  it.each(['+1 415 555 0134', '(415) 555-0134', '415-555-0134', '415.555.0134', '4155550134'])('writes the US phone %j as E.164', (phone) => {
    expect(standardizeContact({ phone }).phone).toBe('+14155550134');
  });

  it('writes an international phone as E.164', () => {
    expect(standardizeContact({ phone: '+44 20 7946 0958' }).phone).toBe('+442079460958');
  });

  it("reads a national phone number in the contact's country", () => {
    expect(standardizeContact({ phone: '020 7946 0958', country: 'United Kingdom' }).phone).toBe('+442079460958');
  });

  it('reads a national phone number in the default region when the contact has no country', () => {
    expect(standardizeContact({ phone: '020 7946 0958' }, { defaultRegion: 'GB' }).phone).toBe('+442079460958');
    expect(standardizeContact({ phone: '030 1234567' }, { defaultRegion: 'de' }).phone).toBe('+49301234567');
  });

  it('keeps a phone it cannot read, cleaned', () => {
    expect(standardizeContact({ phone: '  n/a  ' }).phone).toBe('n/a');
    expect(standardizeContact({ phone: '555 01' }).phone).toBe('555 01');
  });

  it.each(['1985-03-14', '03/14/1985', '14.03.1985', 'March 14, 1985', '14 Mar 1985', 'Mar. 14th 1985', '14/03/1985'])(
    'writes the birth date %j as ISO',
    (birthDate) => {
      expect(standardizeContact({ birth_date: birthDate }).birth_date).toBe('1985-03-14');
    },
  );

  it.each([
    ['March 4, 1980', '1980-03-04'],
    ['4 March 1980', '1980-03-04'],
    ['Mar 4 1980', '1980-03-04'],
    ['4-Mar-1980', '1980-03-04'],
    ['19800304', '1980-03-04'],
    ['1980-03-04T00:00:00Z', '1980-03-04'],
    ['25/12/1980', '1980-12-25'],
    ['25.12.1980', '1980-12-25'],
  ])('writes the birth date %j as %j', (birthDate, iso) => {
    expect(standardizeContact({ birth_date: birthDate }).birth_date).toBe(iso);
  });

  it('reads a/b/yyyy in US order when both readings are possible', () => {
    expect(standardizeContact({ birth_date: '04/05/1985' }).birth_date).toBe('1985-04-05');
  });

  it('reads a/b/yyyy day-first with dateOrder DMY, unless the day cannot come first', () => {
    expect(standardizeContact({ birth_date: '04/05/1985' }, { dateOrder: 'DMY' }).birth_date).toBe('1985-05-04');
    expect(standardizeContact({ birth_date: '12/25/1985' }, { dateOrder: 'DMY' }).birth_date).toBe('1985-12-25');
    expect(standardizeContact({ birth_date: '25/12/1985' }, { dateOrder: 'MDY' }).birth_date).toBe('1985-12-25');
  });

  it.each(['03/14', '--03-14', 'March 14'])('keeps the yearless birthday %j as typed', (birthday) => {
    expect(standardizeContact({ birth_date: birthday }).birth_date).toBe(birthday);
  });

  it.each(['0/0/00', '00/00/0000', '0000-00-00'])("drops Outlook's empty date %j", (blank) => {
    expect(standardizeContact({ birth_date: blank, email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
  });

  it.each(['19851403', '14031985', '12345678'])('does not read the digits %j as YYYYMMDD', (digits) => {
    expect(standardizeContact({ birth_date: digits }).birth_date).toBe(digits);
  });

  it.each(['03/14/85', '1985-02-30', '31.02.1985', 'sometime in 1985', 'Smarch 14, 1985'])(
    'keeps the birth date %j when it cannot be read without guessing',
    (birthDate) => {
      expect(standardizeContact({ birth_date: birthDate }).birth_date).toBe(birthDate);
    },
  );

  it.each([
    ['United States', 'US'],
    ['USA', 'US'],
    ['U.S.A.', 'US'],
    ['us', 'US'],
    ['Deutschland', 'DE'],
    ['Germany', 'DE'],
    ['DE', 'DE'],
    ['United Kingdom', 'GB'],
    ['UK', 'GB'],
    ['GB', 'GB'],
    ['Österreich', 'AT'],
    ['España', 'ES'],
    ['the netherlands', 'NL'],
    ['Kenya', 'KE'],
    ['Great Britain', 'GB'],
    ['GBR', 'GB'],
    ['DEU', 'DE'],
    ['United States of America', 'US'],
    ['usa', 'US'],
    ['FRA', 'FR'],
    ['Atlantis', 'Atlantis'],
  ])('writes the country %j as %j', (country, code) => {
    expect(standardizeContact({ country }).country).toBe(code);
  });

  it('writes US state names as their codes', () => {
    expect(standardizeContact({ state: 'California' }).state).toBe('CA');
    expect(standardizeContact({ state: 'new york', country: 'USA' }).state).toBe('NY');
    expect(standardizeContact({ state: 'District of Columbia' }).state).toBe('DC');
    expect(standardizeContact({ state: 'tx' }).state).toBe('TX');
  });

  it("keeps a state named like an object's own property as typed (no state is called constructor)", () => {
    expect(standardizeContact({ state: 'constructor' }).state).toBe('constructor');
    expect(standardizeContact({ state: 'toString' }).state).toBe('toString');
  });

  it('leaves states alone outside the US', () => {
    expect(standardizeContact({ state: 'Georgia', country: 'Canada' }).state).toBe('Georgia');
  });

  it('upper-cases postcodes and lower-cases e-mails', () => {
    expect(standardizeContact({ postcode: 'sw1a 1aa', email: ' Ada.Lovelace@Example.COM ' })).toEqual({
      postcode: 'SW1A 1AA',
      email: 'ada.lovelace@example.com',
    });
  });

  it.each([
    ['mailto:Ada@Example.com', 'ada@example.com'],
    ['Ada Lovelace <Ada@Example.com>', 'ada@example.com'],
    ['"Lovelace, Ada" <ada@example.com>', 'ada@example.com'],
    ['<mailto:ada@example.com>', 'ada@example.com'],
  ])('reduces the e-mail %j to its address', (email, address) => {
    expect(standardizeContact({ email }).email).toBe(address);
  });

  it('strips a leading honorific from the first name and a trailing suffix from the last name', () => {
    expect(standardizeContact({ first_name: 'Dr. John', last_name: 'Smith Jr.' })).toEqual({ first_name: 'John', last_name: 'Smith' });
    expect(standardizeContact({ first_name: 'Mrs Mary Ann', last_name: 'Smith, Jr' })).toEqual({ first_name: 'Mary Ann', last_name: 'Smith' });
    expect(standardizeContact({ first_name: 'Prof. Dr. Hans', last_name: 'Müller III' })).toEqual({ first_name: 'Hans', last_name: 'Müller' });
    expect(standardizeContact({ last_name: 'Smith, PhD' })).toEqual({ last_name: 'Smith' });
  });

  it('never strips a name down to nothing, nor particles and look-alikes', () => {
    expect(standardizeContact({ first_name: 'Miss', last_name: 'Ii' })).toEqual({ first_name: 'Miss', last_name: 'Ii' });
    expect(standardizeContact({ first_name: 'Drew', last_name: 'van der Berg' })).toEqual({ first_name: 'Drew', last_name: 'van der Berg' });
    expect(standardizeContact({ first_name: 'Mister', last_name: 'Junior' })).toEqual({ first_name: 'Mister', last_name: 'Junior' });
  });

  it('applies NFKC, trims and folds whitespace but keeps the case and accents of names', () => {
    expect(
      standardizeContact({
        first_name: ' Ｊｏｓé ',
        last_name: 'Nuñez\u00A0 del\tCastillo',
        company: 'Oﬃce\u200B Supplies',
        city: 'Zürich',
      }),
    ).toEqual({ first_name: 'José', last_name: 'Nuñez del Castillo', company: 'Office Supplies', city: 'Zürich' });
  });

  it('drops fields that are empty after cleaning', () => {
    expect(standardizeContact({ first_name: '   ', last_name: '', email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
  });
});

import { standardizeContact } from '@refinery/contacts';

describe('standardizeContact', () => {
  it.each([
    '+1 415 555 0134',
    '(415) 555-0134',
    '415-555-0134',
    '415.555.0134',
    '4155550134',
  ])('writes the US phone %j as E.164', (phone) => {
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

  it('reads a/b/yyyy in US order when both readings are possible', () => {
    expect(standardizeContact({ birth_date: '04/05/1985' }).birth_date).toBe('1985-04-05');
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

  it('leaves states alone outside the US', () => {
    expect(standardizeContact({ state: 'Georgia', country: 'Canada' }).state).toBe('Georgia');
  });

  it('upper-cases postcodes and lower-cases e-mails', () => {
    expect(standardizeContact({ postcode: 'sw1a 1aa', email: ' Ada.Lovelace@Example.COM ' })).toEqual({
      postcode: 'SW1A 1AA',
      email: 'ada.lovelace@example.com',
    });
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

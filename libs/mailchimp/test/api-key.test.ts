import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { baseUrlFor, basicAuthorization, checkMailchimpBaseUrl, dataCenterOf, subscriberHash } from '../src';

describe('API key', () => {
  it('takes the data centre from the suffix after the last dash', () => {
    expect(dataCenterOf('abc123-us6')).toBe('us6');
    expect(dataCenterOf('a-b-c-US21')).toBe('us21');
    expect(baseUrlFor('abc123-us6')).toBe('https://us6.api.mailchimp.com');
  });

  it.each([['abc123'], ['abc123-'], ['abc123-us6.evil.test/x'], [''], ['abc-123']])('refuses %p without echoing it', (key) => {
    let message = '';
    try {
      dataCenterOf(key);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/Mailchimp API key/);
    if (key.length > 3) expect(message).not.toContain(key);
  });

  it('prefers the override, without a trailing slash, even for a key without data centre', () => {
    expect(baseUrlFor('abc123-us6', 'https://mailchimp-proxy.example.com:8443/')).toBe('https://mailchimp-proxy.example.com:8443');
    expect(baseUrlFor('no-dc-here-', 'http://proxy.example.com')).toBe('http://proxy.example.com');
    expect(baseUrlFor('abc123-us6', '')).toBe('https://us6.api.mailchimp.com');
  });

  describe('an override that is not a public destination', () => {
    const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    afterEach(() => {
      if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
      else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
    });

    it(`is refused, unless ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 (a local fake Mailchimp)`, () => {
      delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
      expect(() => checkMailchimpBaseUrl('http://127.0.0.1:4000/')).toThrow(
        'Mailchimp base URL override (MAILCHIMP_BASE_URL) is refused: destination refused: 127.0.0.1 is a loopback address',
      );
      expect(() => baseUrlFor('abc123-us6', 'http://[::ffff:10.0.0.1]/')).toThrow('IPv4-mapped IPv6 form of a private address');
      process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
      expect(baseUrlFor('abc123-us6', 'http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
      expect(() => baseUrlFor('abc123-us6', 'http://u:p@127.0.0.1:4000/')).toThrow('the URL has credentials');
    });
  });

  it('authenticates as anystring:<key>, and hashes emails like Mailchimp', () => {
    expect(Buffer.from(basicAuthorization('k-us1').slice('Basic '.length), 'base64').toString()).toBe('anystring:k-us1');
    expect(subscriberHash(' Test@Example.COM ')).toBe('55502f40dc8b7c769880b10874abc9d0'); // md5('test@example.com')
  });
});

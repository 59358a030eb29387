import { baseUrlFor, basicAuthorization, dataCenterOf, subscriberHash } from '../src';

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
    expect(baseUrlFor('abc123-us6', 'http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(baseUrlFor('no-dc-here-', 'http://localhost:1')).toBe('http://localhost:1');
    expect(baseUrlFor('abc123-us6', '')).toBe('https://us6.api.mailchimp.com');
  });

  it('authenticates as anystring:<key>, and hashes emails like Mailchimp', () => {
    expect(Buffer.from(basicAuthorization('k-us1').slice('Basic '.length), 'base64').toString()).toBe('anystring:k-us1');
    expect(subscriberHash(' Test@Example.COM ')).toBe('55502f40dc8b7c769880b10874abc9d0'); // md5('test@example.com')
  });
});

import {
  ALLOW_PRIVATE_DESTINATIONS_ENV,
  checkDestinationUrl,
  classifyAddress,
  DestinationRefusedError,
  hostRefusal,
  isDestinationRefused,
} from '../src';

const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
beforeEach(() => {
  delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
});
afterAll(() => {
  if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
  else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
});

function refusal(url: string, policy = {}): DestinationRefusedError {
  try {
    checkDestinationUrl(url, policy);
  } catch (error) {
    expect(isDestinationRefused(error)).toBe(true);
    return error as DestinationRefusedError;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkDestinationUrl', () => {
  // Every form the security review of issue 14 registered as a webhook, and what each is refused as.
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'metadata address', '169.254.169.254 is a cloud instance-metadata address'],
    ['http://10.0.0.1/', 'private address', '10.0.0.1 is a private address'],
    ['http://[::ffff:169.254.169.254]/', 'metadata address', '[::ffff:a9fe:a9fe] is a cloud instance-metadata address'],
    ['http://2130706433/', 'loopback address', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/', 'loopback address', '127.0.0.1 is a loopback address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata host', 'metadata.google.internal is a cloud instance-metadata host name'],
    ['http://user:pass@127.0.0.1:1/', 'credentials in URL', 'the URL has credentials'],
  ])('refuses the reported form %s', (url, reason, message) => {
    const error = refusal(url);
    expect(error).toBeInstanceOf(DestinationRefusedError);
    expect(error.reason).toBe(reason);
    expect(error.message).toContain(`destination refused: ${message}`);
  });

  it.each([
    // Loopback in every spelling WHATWG parsing turns into 127.0.0.1, and IPv6.
    ['http://127.0.0.1:8080/hook', 'loopback address'],
    ['http://0177.0.0.1/', 'loopback address'],
    ['http://127.1/', 'loopback address'],
    ['http://0x7f.0.0.0x1/', 'loopback address'],
    ['http://%31%32%37.0.0.1/', 'loopback address'],
    ['http://[::1]/', 'loopback address'],
    ['http://localhost:3000/', 'loopback address'],
    ['http://LOCALHOST./', 'loopback address'],
    ['http://api.localhost/', 'loopback address'],
    // Private, shared, link-local, unique-local, unspecified.
    ['https://172.16.5.4/', 'private address'],
    ['https://172.31.255.255/', 'private address'],
    ['https://192.168.1.1/', 'private address'],
    ['https://100.64.0.1/', 'shared (carrier-grade NAT) address'],
    ['https://169.254.1.1/', 'link-local address'],
    ['https://[fe80::1]/', 'link-local address'],
    ['https://[fc00::1]/', 'unique-local address'],
    ['https://[fd12:3456::1]/', 'unique-local address'],
    ['http://0.0.0.0/', 'unspecified address'],
    ['http://0/', 'unspecified address'],
    ['http://[::]/', 'unspecified address'],
    // Multicast, broadcast, documentation, benchmarking, reserved.
    ['https://224.0.0.1/', 'multicast address'],
    ['https://[ff02::1]/', 'multicast address'],
    ['https://255.255.255.255/', 'broadcast address'],
    ['https://240.0.0.1/', 'reserved address'],
    ['https://192.0.2.10/', 'documentation address'],
    ['https://198.18.0.1/', 'benchmarking address'],
    ['https://[2001:db8::1]/', 'documentation address'],
    // IPv6 forms that carry an IPv4 address are judged by it.
    ['http://[::ffff:a9fe:a9fe]/', 'metadata address'],
    ['http://[::ffff:10.0.0.1]/', 'private address'],
    ['http://[::ffff:127.0.0.1]/', 'loopback address'],
    ['http://[::127.0.0.1]/', 'reserved address'],
    ['http://[64:ff9b::10.0.0.1]/', 'private address'],
    ['http://[64:ff9b:1::1]/', 'private address'],
    ['http://[2002:a00:1::]/', 'private address'],
    ['http://[2001::1]/', 'reserved address'],
    // Other cloud metadata endpoints, by address and by name.
    ['http://169.254.170.2/v2/credentials', 'metadata address'],
    ['http://[fd00:ec2::254]/', 'metadata address'],
    ['http://100.100.100.200/', 'metadata address'],
    ['http://metadata/', 'metadata host'],
    ['http://instance-data/latest/', 'metadata host'],
    ['http://metadata.goog/', 'metadata host'],
  ])('refuses %s as a %s', (url, reason) => {
    expect(refusal(url).reason).toBe(reason);
  });

  it('names the kind of the embedded address for IPv4-mapped and NAT64 forms', () => {
    expect(refusal('http://[::ffff:10.1.2.3]/').message).toContain('[::ffff:a01:203] is the IPv4-mapped IPv6 form of a private address');
    expect(refusal('http://[64:ff9b::7f00:1]/').message).toContain('is the NAT64 IPv6 form of a loopback address');
  });

  it.each([
    'https://hooks.example.com/contact-refinery',
    'http://hooks.example.com:8080/x?y=1',
    'https://8.8.8.8/',
    'https://[2606:4700:4700::1111]/',
    'https://[::ffff:8.8.8.8]/',
    'https://[64:ff9b::8.8.8.8]/',
    'https://172.32.0.1/',
    'https://100.128.0.1/',
    // A name is not resolved here (the guarded fetch judges what it resolves to, at each connection).
    'https://dir.internal/people',
  ])('accepts the public destination %s', (url) => {
    expect(checkDestinationUrl(url).href).toBe(new URL(url).href);
  });

  it('refuses schemes other than http(s) and values that are not URLs', () => {
    expect(refusal('ftp://files.example.com/').message).toBe('destination refused: scheme ftp: is not allowed; use https');
    expect(refusal('file:///etc/passwd').reason).toBe('scheme');
    expect(refusal('gopher://example.com:70/').reason).toBe('scheme');
    expect(refusal('/relative/path').reason).toBe('not a URL');
  });

  it('never repeats credentials, paths or queries in a refusal', () => {
    const withPassword = refusal('https://admin:s3cret-pass@hooks.example.com/');
    expect(withPassword.message).not.toContain('s3cret-pass');
    expect(withPassword.message).not.toContain('admin');
    expect(refusal('https://:only-password@hooks.example.com/').reason).toBe('credentials in URL');
    expect(refusal('http://10.0.0.1/path?token=abc').message).not.toMatch(/path|token/);
  });

  describe(`with ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1`, () => {
    beforeEach(() => {
      process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    });

    it('lets loopback, private and the other non-public addresses through, read at each check', () => {
      for (const url of ['http://127.0.0.1:4000/hook', 'http://localhost:4000/', 'http://[::1]:4000/', 'http://10.0.0.1/', 'http://[fd12::1]/']) {
        expect(checkDestinationUrl(url).href).toBe(new URL(url).href);
      }
      delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
      expect(refusal('http://127.0.0.1:4000/hook').reason).toBe('loopback address');
    });

    it('still refuses credentials in URLs, other schemes and cloud metadata endpoints', () => {
      expect(refusal('http://user:pass@127.0.0.1:1/').reason).toBe('credentials in URL');
      expect(refusal('ftp://127.0.0.1/').reason).toBe('scheme');
      expect(refusal('http://169.254.169.254/latest/meta-data/').reason).toBe('metadata address');
      expect(refusal('http://[::ffff:169.254.169.254]/').reason).toBe('metadata address');
      expect(refusal('http://metadata.google.internal/').reason).toBe('metadata host');
    });

    it('is lifted only by the value 1', () => {
      process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = 'true';
      expect(refusal('http://10.0.0.1/').reason).toBe('private address');
    });
  });

  it('takes an explicit allowance over the environment', () => {
    expect(checkDestinationUrl('http://10.0.0.1/', { allowPrivateDestinations: true }).hostname).toBe('10.0.0.1');
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    expect(refusal('http://10.0.0.1/', { allowPrivateDestinations: false }).reason).toBe('private address');
  });

  describe('httpsOnly', () => {
    it('refuses plain http to a public destination', () => {
      const error = refusal('http://hooks.example.com/x', { httpsOnly: true });
      expect(error.reason).toBe('plain http');
      expect(error.message).toBe('destination refused: plain http to hooks.example.com is not allowed; use https');
      expect(checkDestinationUrl('https://hooks.example.com/x', { httpsOnly: true }).protocol).toBe('https:');
    });

    it('allows plain http to a private destination only while those are allowed', () => {
      expect(refusal('http://127.0.0.1:9/', { httpsOnly: true }).reason).toBe('loopback address');
      expect(checkDestinationUrl('http://127.0.0.1:9/', { httpsOnly: true, allowPrivateDestinations: true }).port).toBe('9');
      expect(refusal('http://hooks.example.com/', { httpsOnly: true, allowPrivateDestinations: true }).reason).toBe('plain http');
    });
  });
});

describe('hostRefusal', () => {
  // WHATWG URL parsing canonicalises these; a host that did not come through it must not slip by in them either.
  it.each(['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '0x7f000001', 'foo.0x7f', '1.2.3.4.5'])(
    'refuses the non-canonical IPv4 form %s',
    (host) => {
      expect(hostRefusal(host)?.reason).toBe('non-canonical address');
    },
  );

  it('accepts ordinary public host names', () => {
    expect(hostRefusal('hooks.example.com')).toBeUndefined();
    expect(hostRefusal('1password.com')).toBeUndefined();
    expect(hostRefusal('8.8.8.8')).toBeUndefined();
  });
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.255.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['100.63.255.255', 'public'],
    ['100.127.255.255', 'shared (carrier-grade NAT)'],
    ['fe80::1%eth0', 'link-local'],
    ['[::1]', 'loopback'],
    ['::ffff:192.168.0.1', 'private'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['fec0::1', 'site-local'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s is %s', (address, category) => {
    expect(classifyAddress(address).category).toBe(category);
  });

  it('refuses to classify what is not an address', () => {
    expect(() => classifyAddress('example.com')).toThrow('not an IP address: "example.com"');
  });
});

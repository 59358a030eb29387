import { keyEncryptionKeySetting, SecretSealer } from '../src';

const OLD_KEY = Buffer.alloc(32, 1);
const NEW_KEY = Buffer.alloc(32, 2);
const SECRET = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LW9mLWEtdGVuYW50';

describe('SecretSealer', () => {
  it('seals a secret so that neither it nor its base64 body is in the stored value, and opens it again', () => {
    const sealer = new SecretSealer(NEW_KEY);

    const sealed = sealer.seal(SECRET, 'tenant#acme/subscription#sub_1');

    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(SECRET.slice('whsec_'.length));
    expect(sealer.open(sealed, 'tenant#acme/subscription#sub_1')).toEqual({ plaintext: SECRET, stale: false });
  });

  it('uses a fresh IV each time: the same secret seals differently', () => {
    const sealer = new SecretSealer(NEW_KEY);
    expect(sealer.seal(SECRET, 'a')).not.toBe(sealer.seal(SECRET, 'a'));
  });

  it('does not open a sealed value copied onto another record (it is bound to what it belongs to)', () => {
    const sealer = new SecretSealer(NEW_KEY);
    const sealed = sealer.seal(SECRET, 'tenant#acme/subscription#sub_1');

    expect(() => sealer.open(sealed, 'tenant#globex/subscription#sub_1')).toThrow(
      'the stored secret of tenant#globex/subscription#sub_1 cannot be opened with any key-encryption key',
    );
  });

  it('does not open an altered ciphertext', () => {
    const sealer = new SecretSealer(NEW_KEY);
    const [v, iv, tag, body] = sealer.seal(SECRET, 'a').split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(() => sealer.open([v, iv, tag, flipped.toString('base64')].join('.'), 'a')).toThrow(/cannot be opened/);
  });

  it('rotates: the newest key seals, an older one still opens (stale, to be sealed again), a removed one no longer does', () => {
    const before = new SecretSealer(OLD_KEY).seal(SECRET, 'a');
    const rotating = new SecretSealer([NEW_KEY, OLD_KEY]);

    expect(rotating.open(before, 'a')).toEqual({ plaintext: SECRET, stale: true });
    const resealed = rotating.seal(SECRET, 'a');
    expect(new SecretSealer(NEW_KEY).open(resealed, 'a')).toEqual({ plaintext: SECRET, stale: false });
    expect(() => new SecretSealer(NEW_KEY).open(before, 'a')).toThrow(/cannot be opened with any key-encryption key/);
  });

  it('refuses a value that is not sealed, and a key that is not 32 bytes', () => {
    expect(() => new SecretSealer(NEW_KEY).open(SECRET, 'a')).toThrow('the stored secret of a is not a sealed secret');
    expect(() => new SecretSealer(Buffer.alloc(16))).toThrow('the key-encryption key must be 32 bytes');
    expect(() => new SecretSealer([])).toThrow('the key-encryption key must be 32 bytes');
  });
});

describe('keyEncryptionKeySetting', () => {
  it('parses one key or a comma-separated ring, newest first, and refuses other lengths', () => {
    const one = NEW_KEY.toString('base64');
    expect(keyEncryptionKeySetting.schema.parse(one)).toEqual([NEW_KEY]);
    expect(keyEncryptionKeySetting.schema.parse(`${one}, ${OLD_KEY.toString('base64')}`)).toEqual([NEW_KEY, OLD_KEY]);
    expect(keyEncryptionKeySetting.schema.safeParse(Buffer.alloc(16).toString('base64')).success).toBe(false);
  });
});

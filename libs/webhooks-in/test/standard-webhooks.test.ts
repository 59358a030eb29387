import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  constantTimeEqual,
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  signStandardWebhook,
  verifyStandardWebhook,
  WebhookVerificationError,
  type WebhookVerificationFailure,
} from '../src';

// Signatures here are computed independently of the code under test, with node:crypto, from the definition:
// base64(HMAC-SHA256(key = base64-decoded secret after "whsec_", "<id>.<timestamp>.<body>")).
function independentSignature(secret: string, id: string, timestamp: number | string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const hmac = createHmac('sha256', key).update(`${id}.${timestamp}.`);
  hmac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v1,${hmac.digest('base64')}`;
}

const SECRET = `whsec_${Buffer.from('a shared secret of thirty-two by').toString('base64')}`;
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const NOW = new Date('2026-11-28T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY = '{"contact":{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"}}';

function headersFor(options: { id?: string; timestamp?: number | string; signature?: string; body?: string | Buffer } = {}) {
  const id = options.id ?? ID;
  const timestamp = options.timestamp ?? NOW_SECONDS;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': options.signature ?? independentSignature(SECRET, id, timestamp, options.body ?? BODY),
  };
}

function failure(run: () => unknown): { reason: WebhookVerificationFailure; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    return { reason: error.reason, message: error.message };
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('verifyStandardWebhook', () => {
  it('accepts a webhook signed as Standard Webhooks says, and returns its id and timestamp', () => {
    expect(verifyStandardWebhook({ secret: SECRET, headers: headersFor(), body: BODY, now: NOW })).toEqual({ id: ID, timestamp: NOW });
  });

  it('agrees with the published Standard Webhooks test vector', () => {
    // From the reference libraries' tests (standard-webhooks/standard-webhooks, libraries/*).
    const vector = {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(independentSignature(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
    const headers = { 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': vector.signature };
    expect(verifyStandardWebhook({ secret: vector.secret, headers, body: vector.body, now: new Date(vector.timestamp * 1000) })).toEqual({
      id: vector.id,
      timestamp: new Date(vector.timestamp * 1000),
    });
  });

  it('accepts what the standardwebhooks package signs (the notifier signs with it)', () => {
    const signature = new Webhook(SECRET).sign(ID, NOW, BODY);
    expect(verifyStandardWebhook({ secret: SECRET, headers: headersFor({ signature }), body: BODY, now: NOW }).id).toBe(ID);
  });

  it('verifies the bytes of the body: a Buffer, non-ASCII text, the secret without its whsec_ prefix', () => {
    const body = Buffer.from('{"contact":{"first_name":"Zoë","last_name":"Ångström","city":"Malmö"}}', 'utf8');
    const headers = headersFor({ body });
    expect(verifyStandardWebhook({ secret: SECRET, headers, body, now: NOW }).id).toBe(ID);
    expect(verifyStandardWebhook({ secret: SECRET, headers, body: body.toString('utf8'), now: NOW }).id).toBe(ID);
    expect(verifyStandardWebhook({ secret: SECRET.slice('whsec_'.length), headers, body, now: NOW }).id).toBe(ID);
  });

  it('finds the header names in any case, and a valid signature among several (secret rotation)', () => {
    const rotated = `v1,${Buffer.alloc(32, 7).toString('base64')} v1a,c2lnbmVkIHdpdGggZWQyNTUxOQ== ${independentSignature(SECRET, ID, NOW_SECONDS, BODY)}`;
    const headers = { 'Webhook-Id': ID, 'WEBHOOK-TIMESTAMP': String(NOW_SECONDS), 'Webhook-Signature': rotated };
    expect(verifyStandardWebhook({ secret: SECRET, headers, body: BODY, now: NOW }).id).toBe(ID);
  });

  it.each([
    ['a changed body', { body: BODY.replace('Ada', 'Eve') }],
    ['a changed id', { headers: { 'webhook-id': 'msg_other' } }],
    ['a changed timestamp', { headers: { 'webhook-timestamp': String(NOW_SECONDS - 1) } }],
    ['another secret', { secret: generateWebhookSecret() }],
    [
      'a signature of another version only',
      { headers: { 'webhook-signature': independentSignature(SECRET, ID, NOW_SECONDS, BODY).replace('v1,', 'v2,') } },
    ],
    ['a signature without a version', { headers: { 'webhook-signature': independentSignature(SECRET, ID, NOW_SECONDS, BODY).slice(3) } }],
    ['garbage', { headers: { 'webhook-signature': 'v1,!!!' } }],
  ])('refuses %s: no valid signature', (_what, change: { body?: string; headers?: Record<string, string>; secret?: string }) => {
    const result = failure(() =>
      verifyStandardWebhook({
        secret: change.secret ?? SECRET,
        headers: { ...headersFor(), ...change.headers },
        body: change.body ?? BODY,
        now: NOW,
      }),
    );
    expect(result.reason).toBe('no_valid_signature');
    expect(result.message).toMatch(/^no v1 signature in webhook-signature matches/);
  });

  it('names every missing header', () => {
    expect(failure(() => verifyStandardWebhook({ secret: SECRET, headers: {}, body: BODY, now: NOW }))).toEqual({
      reason: 'missing_header',
      message: 'missing webhook-id, webhook-timestamp, webhook-signature headers (Standard Webhooks)',
    });
    const { 'webhook-signature': _signature, ...withoutSignature } = headersFor();
    expect(failure(() => verifyStandardWebhook({ secret: SECRET, headers: withoutSignature, body: BODY, now: NOW }))).toEqual({
      reason: 'missing_header',
      message: 'missing webhook-signature header (Standard Webhooks)',
    });
    expect(
      failure(() => verifyStandardWebhook({ secret: SECRET, headers: { ...headersFor(), 'webhook-id': '  ' }, body: BODY, now: NOW })).reason,
    ).toBe('missing_header');
  });

  describe('the timestamp', () => {
    const at = (offsetSeconds: number, toleranceSeconds?: number) => {
      const timestamp = NOW_SECONDS + offsetSeconds;
      return () =>
        verifyStandardWebhook({
          secret: SECRET,
          headers: headersFor({ timestamp }),
          body: BODY,
          now: NOW,
          ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
        });
    };

    it('is accepted up to the tolerance either way, inclusive (5 minutes by default)', () => {
      expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
      expect(at(-300)().timestamp).toEqual(new Date((NOW_SECONDS - 300) * 1000));
      expect(at(300)().timestamp).toEqual(new Date((NOW_SECONDS + 300) * 1000));
    });

    it('is refused one second past it: too old (a replay) or too new', () => {
      expect(failure(at(-301))).toEqual({
        reason: 'timestamp_too_old',
        message: `webhook-timestamp ${NOW_SECONDS - 301} is 301 s old; at most 300 s is accepted (a replay, or a sender's clock far off)`,
      });
      expect(failure(at(301))).toEqual({
        reason: 'timestamp_too_new',
        message: `webhook-timestamp ${NOW_SECONDS + 301} is 301 s in the future; at most 300 s is accepted (a sender's clock far off)`,
      });
    });

    it('takes another tolerance', () => {
      expect(at(-60, 60)().id).toBe(ID);
      expect(failure(at(-61, 60)).reason).toBe('timestamp_too_old');
      expect(at(0, 0)().id).toBe(ID);
      expect(failure(at(1, 0)).reason).toBe('timestamp_too_new');
      expect(() => at(0, -1)()).toThrow('toleranceSeconds must be a number of seconds >= 0, got -1');
    });

    it('is checked before the signature: an old webhook with a valid signature is still refused', () => {
      expect(failure(at(-3600)).reason).toBe('timestamp_too_old');
    });

    it.each(['1.5', '-5', 'yesterday', '2026-11-28T12:00:00Z', '1e9'])('must be whole Unix seconds, not "%s"', (timestamp) => {
      const result = failure(() => verifyStandardWebhook({ secret: SECRET, headers: headersFor({ timestamp }), body: BODY, now: NOW }));
      expect(result).toEqual({ reason: 'invalid_timestamp', message: `webhook-timestamp must be a Unix time in whole seconds, got "${timestamp}"` });
    });

    it('reads the clock when not given one', () => {
      const timestamp = Math.floor(Date.now() / 1000);
      expect(verifyStandardWebhook({ secret: SECRET, headers: headersFor({ timestamp }), body: BODY }).timestamp).toEqual(new Date(timestamp * 1000));
    });
  });

  it('takes a secret that is not whsec_<base64> for a configuration error, not a bad webhook', () => {
    for (const secret of ['whsec_', 'whsec_not base64!', '']) {
      expect(() => verifyStandardWebhook({ secret, headers: headersFor(), body: BODY, now: NOW })).toThrow(
        'the webhook secret is not whsec_ followed by base64',
      );
    }
  });
});

describe('signStandardWebhook', () => {
  it('signs as the definition says, from a Date or Unix seconds', () => {
    const expected = independentSignature(SECRET, ID, NOW_SECONDS, BODY);
    expect(signStandardWebhook({ secret: SECRET, id: ID, timestamp: NOW, body: BODY })).toBe(expected);
    expect(signStandardWebhook({ secret: SECRET, id: ID, timestamp: NOW_SECONDS, body: Buffer.from(BODY) })).toBe(expected);
    expect(signStandardWebhook({ secret: SECRET, id: ID, timestamp: NOW, body: BODY })).toBe(new Webhook(SECRET).sign(ID, NOW, BODY));
  });
});

describe('generateWebhookSecret', () => {
  it('makes whsec_ secrets of 32 random bytes that sign and verify', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => generateWebhookSecret()));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    }
    const secret = [...secrets][0] as string;
    const headers = {
      'webhook-id': ID,
      'webhook-timestamp': String(NOW_SECONDS),
      'webhook-signature': independentSignature(secret, ID, NOW_SECONDS, BODY),
    };
    expect(verifyStandardWebhook({ secret, headers, body: BODY, now: NOW }).id).toBe(ID);
  });
});

describe('constantTimeEqual', () => {
  it('tells equal strings from different ones, whatever their lengths', () => {
    expect(constantTimeEqual('v1,abc', 'v1,abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('Zoë', 'Zoë')).toBe(true);
    expect(constantTimeEqual('v1,abc', 'v1,abd')).toBe(false);
    expect(constantTimeEqual('short', 'a much longer string')).toBe(false);
    expect(constantTimeEqual('abc', '')).toBe(false);
    expect(constantTimeEqual('Zoë', 'Zoe')).toBe(false);
  });
});

import {
  isMailchimpValidationRequest,
  MAILCHIMP_EVENT_TYPES,
  type MailchimpWebhookEvent,
  mailchimpEventKey,
  parseMailchimpWebhook,
  WebhookPayloadError,
} from '../src';

// The sample payloads of Mailchimp's webhook documentation, one per type, as the form fields Mailchimp POSTs.
const SAMPLES: Record<(typeof MAILCHIMP_EVENT_TYPES)[number], Record<string, string>> = {
  subscribe: {
    type: 'subscribe',
    fired_at: '2009-03-26 21:35:57',
    'data[id]': '8a25ff1d98',
    'data[list_id]': 'a6b5da1054',
    'data[email]': 'api@mailchimp.com',
    'data[email_type]': 'html',
    'data[merges][EMAIL]': 'api@mailchimp.com',
    'data[merges][FNAME]': 'Mailchimp',
    'data[merges][LNAME]': 'API',
    'data[merges][INTERESTS]': 'Group1,Group2',
    'data[ip_opt]': '10.20.10.30',
    'data[ip_signup]': '10.20.10.30',
  },
  unsubscribe: {
    type: 'unsubscribe',
    fired_at: '2009-03-26 21:40:57',
    'data[action]': 'unsub',
    'data[reason]': 'manual',
    'data[id]': '8a25ff1d98',
    'data[list_id]': 'a6b5da1054',
    'data[email]': 'api+unsub@mailchimp.com',
    'data[email_type]': 'html',
    'data[merges][EMAIL]': 'api+unsub@mailchimp.com',
    'data[merges][FNAME]': 'Mailchimp',
    'data[merges][LNAME]': 'API',
    'data[merges][INTERESTS]': 'Group1,Group2',
    'data[ip_opt]': '10.20.10.30',
    'data[campaign_id]': 'cb398d21d2',
  },
  profile: {
    type: 'profile',
    fired_at: '2009-03-26 21:31:21',
    'data[id]': '8a25ff1d98',
    'data[list_id]': 'a6b5da1054',
    'data[email]': 'api@mailchimp.com',
    'data[email_type]': 'html',
    'data[merges][EMAIL]': 'api@mailchimp.com',
    'data[merges][FNAME]': 'Mailchimp',
    'data[merges][LNAME]': 'API',
    'data[merges][INTERESTS]': 'Group1,Group2',
    'data[ip_opt]': '10.20.10.30',
  },
  upemail: {
    type: 'upemail',
    fired_at: '2009-03-26 22:15:09',
    'data[list_id]': 'a6b5da1054',
    'data[new_id]': '51da8c3259',
    'data[new_email]': 'api+new@mailchimp.com',
    'data[old_email]': 'api+old@mailchimp.com',
  },
  cleaned: {
    type: 'cleaned',
    fired_at: '2009-03-26 22:01:00',
    'data[list_id]': 'a6b5da1054',
    'data[campaign_id]': '4fjk2ma9xd',
    'data[reason]': 'hard',
    'data[email]': 'api+cleaned@mailchimp.com',
  },
  campaign: {
    type: 'campaign',
    fired_at: '2009-03-26 21:31:21',
    'data[id]': '5aa2102003',
    'data[subject]': 'Test Campaign Subject',
    'data[status]': 'sent',
    'data[reason]': '',
    'data[list_id]': 'a6b5da1054',
  },
};

/** Form-encoded as Mailchimp sends it (brackets percent-encoded, spaces as +). */
function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function parse(fields: Record<string, string>): MailchimpWebhookEvent {
  return parseMailchimpWebhook(form(fields), 'application/x-www-form-urlencoded');
}

function payloadError(run: () => unknown): { message: string; field: string | undefined } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WebhookPayloadError)) throw error;
    return { message: error.message, field: error.field };
  }
  throw new Error('expected a WebhookPayloadError');
}

describe('parseMailchimpWebhook', () => {
  it('reads a subscribe: the member, its merge fields, fired_at as sent and as a UTC instant', () => {
    const event = parse(SAMPLES.subscribe);

    expect(event).toEqual({
      type: 'subscribe',
      fired_at: '2009-03-26 21:35:57',
      firedAt: new Date('2009-03-26T21:35:57Z'),
      fields: SAMPLES.subscribe,
      data: {
        id: '8a25ff1d98',
        list_id: 'a6b5da1054',
        email: 'api@mailchimp.com',
        email_type: 'html',
        ip_opt: '10.20.10.30',
        ip_signup: '10.20.10.30',
        merges: { EMAIL: 'api@mailchimp.com', FNAME: 'Mailchimp', LNAME: 'API', INTERESTS: 'Group1,Group2' },
      },
    });
  });

  it('reads an unsubscribe with its action, reason and campaign', () => {
    const event = parse(SAMPLES.unsubscribe);

    expect(event.type).toBe('unsubscribe');
    if (event.type !== 'unsubscribe') return;
    expect(event.data).toEqual({
      id: '8a25ff1d98',
      list_id: 'a6b5da1054',
      email: 'api+unsub@mailchimp.com',
      email_type: 'html',
      ip_opt: '10.20.10.30',
      action: 'unsub',
      reason: 'manual',
      campaign_id: 'cb398d21d2',
      merges: { EMAIL: 'api+unsub@mailchimp.com', FNAME: 'Mailchimp', LNAME: 'API', INTERESTS: 'Group1,Group2' },
    });
  });

  it('reads a profile update, with an address and a phone as merge fields', () => {
    const event = parse({
      ...SAMPLES.profile,
      'data[merges][PHONE]': '+1 404 555 0134',
      'data[merges][ADDRESS][addr1]': '675 Ponce de Leon Ave NE',
      'data[merges][ADDRESS][addr2]': 'Suite 5000',
      'data[merges][ADDRESS][city]': 'Atlanta',
      'data[merges][ADDRESS][state]': 'GA',
      'data[merges][ADDRESS][zip]': '30308',
      'data[merges][ADDRESS][country]': 'US',
      'data[merges][BIRTHDAY]': '05/15',
    });

    expect(event).toMatchObject({ type: 'profile', firedAt: new Date('2009-03-26T21:31:21Z') });
    expect(event.type === 'profile' && event.data.merges).toEqual({
      EMAIL: 'api@mailchimp.com',
      FNAME: 'Mailchimp',
      LNAME: 'API',
      INTERESTS: 'Group1,Group2',
      PHONE: '+1 404 555 0134',
      ADDRESS: { addr1: '675 Ponce de Leon Ave NE', addr2: 'Suite 5000', city: 'Atlanta', state: 'GA', zip: '30308', country: 'US' },
      BIRTHDAY: '05/15',
    });
    expect(event.fields['data[merges][ADDRESS][city]']).toBe('Atlanta');
  });

  it('keeps an empty address as an empty value, and groupings as nested parts', () => {
    const event = parse({
      ...SAMPLES.profile,
      'data[merges][ADDRESS]': '',
      'data[merges][GROUPINGS][0][id]': '1',
      'data[merges][GROUPINGS][0][name]': 'Interests',
      'data[merges][GROUPINGS][0][groups]': 'Cooking, Hiking',
    });

    expect(event.type === 'profile' && event.data.merges).toMatchObject({
      ADDRESS: '',
      GROUPINGS: { '0': { id: '1', name: 'Interests', groups: 'Cooking, Hiking' } },
    });
  });

  it('reads an upemail: the old and the new address', () => {
    expect(parse(SAMPLES.upemail)).toMatchObject({
      type: 'upemail',
      firedAt: new Date('2009-03-26T22:15:09Z'),
      data: { list_id: 'a6b5da1054', new_id: '51da8c3259', new_email: 'api+new@mailchimp.com', old_email: 'api+old@mailchimp.com' },
    });
  });

  it('reads a cleaned address with its reason and campaign', () => {
    expect(parse(SAMPLES.cleaned)).toMatchObject({
      type: 'cleaned',
      data: { list_id: 'a6b5da1054', email: 'api+cleaned@mailchimp.com', reason: 'hard', campaign_id: '4fjk2ma9xd' },
    });
  });

  it('reads a campaign status', () => {
    const event = parse(SAMPLES.campaign);
    expect(event).toMatchObject({ type: 'campaign' });
    expect(event.data).toEqual({ id: '5aa2102003', list_id: 'a6b5da1054', status: 'sent', subject: 'Test Campaign Subject', reason: '' });
  });

  it('reads brackets as typed (not percent-encoded), a Buffer, a Content-Type with a charset, no Content-Type', () => {
    const raw =
      'type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data[id]=8a25ff1d98&data[list_id]=a6b5da1054' +
      '&data[email]=api%40mailchimp.com&data[merges][FNAME]=Mailchimp&data[merges][LNAME]=API+Team';
    for (const [body, contentType] of [
      [raw, undefined],
      [Buffer.from(raw), 'application/x-www-form-urlencoded; charset=UTF-8'],
    ] as const) {
      expect(parseMailchimpWebhook(body, contentType)).toMatchObject({
        type: 'subscribe',
        data: { email: 'api@mailchimp.com', merges: { FNAME: 'Mailchimp', LNAME: 'API Team' } },
      });
    }
  });

  it('ignores top-level fields it does not know', () => {
    expect(parse({ ...SAMPLES.cleaned, secret: 'in-the-url-but-posted-too' }).type).toBe('cleaned');
  });

  describe('refuses a malformed payload, saying what and where', () => {
    it.each([
      [
        'JSON',
        '{"type":"subscribe"}',
        undefined,
        'the body is JSON; Mailchimp webhooks are form-encoded (type=...&fired_at=...&data[...]=...)',
        undefined,
      ],
      [
        'an empty body',
        '  ',
        undefined,
        'the body is empty; a Mailchimp webhook is a form-encoded event (type=...&fired_at=...&data[...]=...)',
        undefined,
      ],
      ['plain text', 'hello there', undefined, 'the body is not form-encoded (name=value pairs joined by &)', undefined],
      [
        'another Content-Type',
        form(SAMPLES.subscribe),
        'application/json',
        'Mailchimp webhooks are application/x-www-form-urlencoded; got Content-Type application/json',
        'content-type',
      ],
      ['no type', form({ ...SAMPLES.subscribe, type: '' }), undefined, 'type is missing', 'type'],
      [
        'an unknown type',
        form({ ...SAMPLES.subscribe, type: 'resubscribe' }),
        undefined,
        'type "resubscribe" is not a Mailchimp audience event (subscribe, unsubscribe, profile, upemail, cleaned, campaign)',
        'type',
      ],
      ['no fired_at', form({ type: 'cleaned', 'data[email]': 'a@b.c', 'data[list_id]': 'x' }), undefined, 'fired_at is missing', 'fired_at'],
      [
        'an ISO fired_at',
        form({ ...SAMPLES.cleaned, fired_at: '2009-03-26T22:01:00Z' }),
        undefined,
        'fired_at must be "YYYY-MM-DD HH:MM:SS" (e.g. "2009-03-26 21:35:57"), got "2009-03-26T22:01:00Z"',
        'fired_at',
      ],
      [
        'a fired_at that is no date',
        form({ ...SAMPLES.cleaned, fired_at: '2009-02-30 22:01:00' }),
        undefined,
        'fired_at must be "YYYY-MM-DD HH:MM:SS" (e.g. "2009-03-26 21:35:57"), got "2009-02-30 22:01:00"',
        'fired_at',
      ],
      [
        'a malformed field name',
        `${form(SAMPLES.cleaned)}&data[merges]FNAME]=x`,
        undefined,
        'field name data[merges]FNAME] is malformed: expected data[key] or data[key][part]...',
        'data[merges]FNAME]',
      ],
      [
        'a reserved key',
        `${form(SAMPLES.profile)}&data[merges][__proto__][x]=1`,
        undefined,
        'field name data[merges][__proto__][x] has an empty or reserved key',
        'data[merges][__proto__][x]',
      ],
      [
        'an empty key',
        `${form(SAMPLES.profile)}&data[merges][]=1`,
        undefined,
        'field name data[merges][] has an empty or reserved key',
        'data[merges][]',
      ],
      [
        'a field given twice',
        `${form(SAMPLES.cleaned)}&data[email]=other@example.com`,
        undefined,
        'data[email] is given twice, with different values',
        'data[email]',
      ],
      [
        'a value and parts',
        `${form(SAMPLES.profile)}&data[merges][FNAME][first]=x`,
        undefined,
        'field data[merges][FNAME][first] is given both as a value and as parts',
        'data[merges][FNAME][first]',
      ],
      [
        'parts for a value',
        `${form({ ...SAMPLES.cleaned, 'data[email]': '' })}&data[email][0]=x`,
        undefined,
        'data[email] must be a value, not parts',
        'data[email]',
      ],
    ])('%s', (_what, body, contentType, message, field) => {
      expect(payloadError(() => parseMailchimpWebhook(body, contentType))).toEqual({ message, field });
    });

    it.each([
      ['subscribe', 'data[id]'],
      ['subscribe', 'data[list_id]'],
      ['subscribe', 'data[email]'],
      ['unsubscribe', 'data[email]'],
      ['profile', 'data[id]'],
      ['upemail', 'data[new_email]'],
      ['upemail', 'data[old_email]'],
      ['upemail', 'data[list_id]'],
      ['cleaned', 'data[email]'],
      ['campaign', 'data[id]'],
      ['campaign', 'data[status]'],
    ] as const)('a %s without %s', (type, field) => {
      const { [field]: _left, ...rest } = SAMPLES[type] as Record<string, string>;
      expect(payloadError(() => parse(rest))).toEqual({ message: `a ${type} event needs ${field}, which is missing`, field });
      expect(payloadError(() => parse({ ...rest, [field]: ' ' }))).toEqual({ message: `a ${type} event needs ${field}, which is empty`, field });
    });

    it('with a WebhookPayloadError only, never another error', () => {
      for (const body of ['%', '=', '&&&', 'type', 'data[x]=1', 'type=subscribe&fired_at=%E0%A4%A', Buffer.from([0xff, 0xfe, 0x00])]) {
        expect(() => parseMailchimpWebhook(body)).toThrow(WebhookPayloadError);
      }
    });
  });
});

describe('isMailchimpValidationRequest', () => {
  it("is Mailchimp's GET (or an empty POST) checking a new webhook URL", () => {
    expect(isMailchimpValidationRequest('GET', '')).toBe(true);
    expect(isMailchimpValidationRequest('get')).toBe(true);
    expect(isMailchimpValidationRequest('HEAD')).toBe(true);
    expect(isMailchimpValidationRequest('POST', '')).toBe(true);
    expect(isMailchimpValidationRequest('POST', Buffer.alloc(0))).toBe(true);
    expect(isMailchimpValidationRequest('POST', ' \r\n')).toBe(true);
    expect(isMailchimpValidationRequest('POST')).toBe(true);
  });

  it('is not an event delivery, nor another method', () => {
    expect(isMailchimpValidationRequest('POST', form(SAMPLES.subscribe))).toBe(false);
    expect(isMailchimpValidationRequest('POST', Buffer.from(form(SAMPLES.cleaned)))).toBe(false);
    expect(isMailchimpValidationRequest('PUT', '')).toBe(false);
    expect(isMailchimpValidationRequest('DELETE')).toBe(false);
  });
});

describe('mailchimpEventKey', () => {
  it('is the same for a repeat of an event, even one whose merge fields changed meanwhile', () => {
    const first = mailchimpEventKey(parse(SAMPLES.profile));

    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(mailchimpEventKey(parse(SAMPLES.profile))).toBe(first);
    expect(mailchimpEventKey(parse({ ...SAMPLES.profile, 'data[merges][FNAME]': 'Mail' }))).toBe(first);
    // Field order and case of the e-mail address do not matter.
    const reordered = Object.fromEntries(Object.entries(SAMPLES.profile).reverse());
    expect(mailchimpEventKey(parse({ ...reordered, 'data[email]': 'API@mailchimp.com' }))).toBe(first);
  });

  it('differs for every type, time, list and subject of an event', () => {
    const keys = [
      ...MAILCHIMP_EVENT_TYPES.map((type) => parse(SAMPLES[type])),
      parse({ ...SAMPLES.profile, fired_at: '2009-03-26 21:31:22' }),
      parse({ ...SAMPLES.profile, 'data[list_id]': 'b7c6eb2165' }),
      parse({ ...SAMPLES.profile, 'data[id]': '9b36002e09', 'data[email]': 'other@mailchimp.com' }),
      parse({ ...SAMPLES.subscribe, fired_at: SAMPLES.profile.fired_at as string }),
      parse({ ...SAMPLES.upemail, 'data[new_email]': 'api+newer@mailchimp.com' }),
      parse({ ...SAMPLES.cleaned, 'data[campaign_id]': 'zz00zz00zz' }),
      parse({ ...SAMPLES.campaign, 'data[status]': 'canceled' }),
    ].map(mailchimpEventKey);

    expect(new Set(keys).size).toBe(keys.length);
  });
});

// Mailchimp audience (list) webhooks: what Mailchimp POSTs, form-encoded, when a list's members change
// (https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/). Every payload has `type`,
// `fired_at` ("2009-03-26 21:35:57") and `data[...]` fields, nested with brackets:
//
//   type=profile&fired_at=2009-03-26+21%3A31%3A21&data[id]=8a25ff1d98&data[list_id]=a6b5da1054
//   &data[email]=api%40mailchimp.com&data[email_type]=html&data[merges][FNAME]=Mailchimp&data[merges][LNAME]=API
//   &data[merges][ADDRESS][addr1]=675+Ponce+de+Leon+Ave+NE&data[merges][ADDRESS][city]=Atlanta&data[ip_opt]=10.20.10.30
//
// The fields per type, as Mailchimp documents and sends them:
//   subscribe    id, list_id, email, email_type, merges, ip_opt, ip_signup, web_id
//   unsubscribe  the same, and action (unsub | delete), reason (manual | abuse), campaign_id
//   profile      id, list_id, email, email_type, merges, ip_opt, web_id
//   upemail      list_id, new_id, new_email, old_email
//   cleaned      list_id, campaign_id, reason (hard | abuse), email
//   campaign     id, list_id, subject, status (sent, ...), reason
// Mailchimp has no signature: it checks a new webhook URL with a GET (see isMailchimpValidationRequest), and the
// receiver authenticates it by a secret in the URL it registers.
import { createHash } from 'node:crypto';
import { WebhookPayloadError } from './errors';

export const MAILCHIMP_EVENT_TYPES = ['subscribe', 'unsubscribe', 'profile', 'upemail', 'cleaned', 'campaign'] as const;
export type MailchimpEventType = (typeof MAILCHIMP_EVENT_TYPES)[number];

/** A merge field's value: text, or for an address (and groupings) its parts, e.g. `{ addr1, city, state, zip, country }`. */
export type MailchimpMergeValue = string | { readonly [part: string]: MailchimpMergeValue };

/** Merge fields by tag: `EMAIL`, `FNAME`, `LNAME`, `PHONE`, `ADDRESS`, `BIRTHDAY`, and the audience's own. */
export type MailchimpMerges = { readonly [tag: string]: MailchimpMergeValue };

/** The member fields of subscribe, unsubscribe and profile. */
export interface MailchimpMemberData {
  /** The member's id in the list (Mailchimp's hash of the lower-cased e-mail address). */
  readonly id: string;
  readonly list_id: string;
  readonly email: string;
  readonly email_type?: string;
  readonly ip_opt?: string;
  readonly ip_signup?: string;
  readonly web_id?: string;
  /** Empty when the payload has no `data[merges]`. */
  readonly merges: MailchimpMerges;
}

interface EventBase<T extends MailchimpEventType> {
  readonly type: T;
  /** As sent: "YYYY-MM-DD HH:MM:SS". */
  readonly fired_at: string;
  /** `fired_at` read as UTC. */
  readonly firedAt: Date;
  /** Every form field as received (`data[merges][FNAME]` → value), for logging and fields this type does not name. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface MailchimpSubscribeEvent extends EventBase<'subscribe'> {
  readonly data: MailchimpMemberData;
}

export interface MailchimpUnsubscribeEvent extends EventBase<'unsubscribe'> {
  readonly data: MailchimpMemberData & {
    /** `unsub` (unsubscribed) or `delete` (deleted from the list). */
    readonly action?: string;
    /** `manual` or `abuse`. */
    readonly reason?: string;
    readonly campaign_id?: string;
  };
}

export interface MailchimpProfileEvent extends EventBase<'profile'> {
  readonly data: MailchimpMemberData;
}

export interface MailchimpUpemailEvent extends EventBase<'upemail'> {
  readonly data: {
    readonly list_id: string;
    /** The member's id under the new address. */
    readonly new_id?: string;
    readonly new_email: string;
    readonly old_email: string;
  };
}

export interface MailchimpCleanedEvent extends EventBase<'cleaned'> {
  readonly data: {
    readonly list_id: string;
    readonly email: string;
    /** `hard` (a hard bounce) or `abuse` (a complaint). */
    readonly reason?: string;
    readonly campaign_id?: string;
  };
}

export interface MailchimpCampaignEvent extends EventBase<'campaign'> {
  readonly data: {
    /** The campaign's id. */
    readonly id: string;
    readonly list_id: string;
    readonly status: string;
    readonly subject?: string;
    readonly reason?: string;
  };
}

export type MailchimpWebhookEvent =
  | MailchimpSubscribeEvent
  | MailchimpUnsubscribeEvent
  | MailchimpProfileEvent
  | MailchimpUpemailEvent
  | MailchimpCleanedEvent
  | MailchimpCampaignEvent;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const FIRED_AT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
/** `data`, then bracketed segments: `data[merges][ADDRESS][city]`. */
const FIELD_PATH = /^data((?:\[[^[\]]*\])+)$/;
const UNSAFE_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

type Tree = { [key: string]: string | Tree };

/**
 * Parses a Mailchimp audience webhook body into an event typed by its `type`. Throws WebhookPayloadError, naming the
 * field, when the body is not form-encoded (or `contentType`, when given, is not application/x-www-form-urlencoded),
 * the type is unknown, `fired_at` is not "YYYY-MM-DD HH:MM:SS", a field the type needs is missing or empty, or a field
 * name is malformed. Top-level fields other than `type`, `fired_at` and `data[...]` are ignored.
 */
export function parseMailchimpWebhook(body: string | Buffer, contentType?: string): MailchimpWebhookEvent {
  if (contentType !== undefined) {
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== FORM_CONTENT_TYPE) {
      throw new WebhookPayloadError(`Mailchimp webhooks are ${FORM_CONTENT_TYPE}; got Content-Type ${mediaType || '(none)'}`, 'content-type');
    }
  }
  const text = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  if (text === '')
    throw new WebhookPayloadError('the body is empty; a Mailchimp webhook is a form-encoded event (type=...&fired_at=...&data[...]=...)');
  if (/^[[{]/.test(text))
    throw new WebhookPayloadError('the body is JSON; Mailchimp webhooks are form-encoded (type=...&fired_at=...&data[...]=...)');
  if (!/^[^=&\s]+=/.test(text)) {
    throw new WebhookPayloadError('the body is not form-encoded (name=value pairs joined by &)');
  }

  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in fields && fields[name] !== value) throw new WebhookPayloadError(`${name} is given twice, with different values`, name);
    fields[name] = value;
  }

  const type = fields.type;
  if (type === undefined || type === '') throw new WebhookPayloadError('type is missing', 'type');
  if (!(MAILCHIMP_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new WebhookPayloadError(`type "${type}" is not a Mailchimp audience event (${MAILCHIMP_EVENT_TYPES.join(', ')})`, 'type');
  }
  const firedAtText = fields.fired_at;
  if (firedAtText === undefined || firedAtText === '') throw new WebhookPayloadError('fired_at is missing', 'fired_at');
  const firedAt = parseFiredAt(firedAtText);

  const data = dataTree(fields);
  const base = { fired_at: firedAtText, firedAt, fields };
  const read = reader(type as MailchimpEventType, data);
  switch (type as MailchimpEventType) {
    case 'subscribe':
      return { type: 'subscribe', ...base, data: member(read, data) };
    case 'profile':
      return { type: 'profile', ...base, data: member(read, data) };
    case 'unsubscribe':
      return {
        type: 'unsubscribe',
        ...base,
        data: { ...member(read, data), ...optional(read, ['action', 'reason', 'campaign_id']) },
      };
    case 'upemail':
      return {
        type: 'upemail',
        ...base,
        data: {
          list_id: read.required('list_id'),
          ...optional(read, ['new_id']),
          new_email: read.required('new_email'),
          old_email: read.required('old_email'),
        },
      };
    case 'cleaned':
      return {
        type: 'cleaned',
        ...base,
        data: { list_id: read.required('list_id'), email: read.required('email'), ...optional(read, ['reason', 'campaign_id']) },
      };
    case 'campaign':
      return {
        type: 'campaign',
        ...base,
        data: {
          id: read.required('id'),
          list_id: read.required('list_id'),
          status: read.required('status'),
          ...optional(read, ['subject', 'reason']),
        },
      };
  }
}

/**
 * Whether a request is Mailchimp checking a webhook URL rather than delivering an event: a GET (Mailchimp's validator
 * sends one when the webhook is created or edited, and the URL must answer 200), or a POST with an empty body (sent
 * by some validations). Answer those 200 without parsing.
 */
export function isMailchimpValidationRequest(method: string, body?: string | Buffer | null): boolean {
  const verb = method.toUpperCase();
  if (verb === 'GET' || verb === 'HEAD') return true;
  if (verb !== 'POST') return false;
  if (body === undefined || body === null) return true;
  return (typeof body === 'string' ? body : body.toString('utf8')).trim() === '';
}

/**
 * A stable key for an event, to drop Mailchimp's repeats (it retries a delivery that did not get a 2xx): the hex
 * SHA-256 of the type, `fired_at`, the list and who or what the event is about — the member's id and e-mail
 * (subscribe, unsubscribe, profile), the old and new e-mail and new id (upemail), the e-mail and campaign (cleaned),
 * the campaign and its status (campaign).
 *
 * A retry resends the same event, so it gets the same key. What is left out on purpose: merge fields and the other
 * details, so a repeat is still recognised if Mailchimp's retry carries the member's profile as it is by then. The cost:
 * two changes of one member of one type within the same second (fired_at has whole seconds) share a key, and the
 * second would be taken for a repeat of the first.
 */
export function mailchimpEventKey(event: MailchimpWebhookEvent): string {
  const identity = ((): (string | undefined)[] => {
    switch (event.type) {
      case 'subscribe':
      case 'unsubscribe':
      case 'profile':
        return [event.data.id, event.data.email.toLowerCase()];
      case 'upemail':
        return [event.data.old_email.toLowerCase(), event.data.new_email.toLowerCase(), event.data.new_id];
      case 'cleaned':
        return [event.data.email.toLowerCase(), event.data.campaign_id];
      case 'campaign':
        return [event.data.id, event.data.status];
    }
  })();
  // JSON of an array: no separator a value could contain can make two different events hash alike.
  const material = JSON.stringify(['mailchimp', event.type, event.fired_at, event.data.list_id, ...identity.map((part) => part ?? null)]);
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

function parseFiredAt(text: string): Date {
  const match = FIRED_AT.exec(text);
  const invalid = () =>
    new WebhookPayloadError(`fired_at must be "YYYY-MM-DD HH:MM:SS" (e.g. "2009-03-26 21:35:57"), got "${text.slice(0, 40)}"`, 'fired_at');
  if (!match) throw invalid();
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (Feb 30 -> Mar 2): a date that does not come back the same was not a real one.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw invalid();
  }
  return date;
}

/** The `data[...]` fields as a tree: `data[merges][ADDRESS][city]=X` → `{ merges: { ADDRESS: { city: 'X' } } }`. */
function dataTree(fields: Readonly<Record<string, string>>): Tree {
  const root: Tree = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name !== 'data' && !name.startsWith('data[')) continue;
    const match = FIELD_PATH.exec(name);
    if (!match) throw new WebhookPayloadError(`field name ${name} is malformed: expected data[key] or data[key][part]...`, name);
    const path = (match[1] as string).slice(1, -1).split('][');
    if (path.some((segment) => segment === '' || UNSAFE_SEGMENTS.has(segment))) {
      throw new WebhookPayloadError(`field name ${name} has an empty or reserved key`, name);
    }
    let node = root;
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      const existing = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (last) {
        if (existing !== undefined && typeof existing !== 'string') throw conflict(name);
        node[segment] = value;
      } else if (existing === undefined) {
        const child: Tree = {};
        node[segment] = child;
        node = child;
      } else if (typeof existing === 'string') {
        // `data[merges][ADDRESS]=` (no address) next to `data[merges][ADDRESS][city]=...`: the parts win.
        if (existing !== '') throw conflict(name);
        const child: Tree = {};
        node[segment] = child;
        node = child;
      } else {
        node = existing;
      }
    }
  }
  return root;
}

function conflict(name: string): WebhookPayloadError {
  return new WebhookPayloadError(`field ${name} is given both as a value and as parts`, name);
}

interface FieldReader {
  required(key: string): string;
  optional(key: string): string | undefined;
}

function reader(type: MailchimpEventType, data: Tree): FieldReader {
  const text = (key: string): string | undefined => {
    const value = Object.hasOwn(data, key) ? data[key] : undefined;
    if (value !== undefined && typeof value !== 'string') throw new WebhookPayloadError(`data[${key}] must be a value, not parts`, `data[${key}]`);
    return value;
  };
  return {
    required(key) {
      const value = text(key);
      if (value === undefined || value.trim() === '') {
        throw new WebhookPayloadError(`a ${type} event needs data[${key}], which is ${value === undefined ? 'missing' : 'empty'}`, `data[${key}]`);
      }
      return value;
    },
    optional: text,
  };
}

function optional(read: FieldReader, keys: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const key of keys) {
    const value = read.optional(key);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function member(read: FieldReader, data: Tree): MailchimpMemberData {
  const merges = Object.hasOwn(data, 'merges') ? data.merges : undefined;
  if (typeof merges === 'string' && merges !== '')
    throw new WebhookPayloadError('data[merges] must be merge fields (data[merges][TAG]), not a value', 'data[merges]');
  return {
    id: read.required('id'),
    list_id: read.required('list_id'),
    email: read.required('email'),
    ...optional(read, ['email_type', 'ip_opt', 'ip_signup', 'web_id']),
    merges: typeof merges === 'object' ? merges : {},
  };
}

import { createHash } from 'node:crypto';
import { formatPlainCsvRecord } from '@refinery/csv';
import { createEvent, deriveEventId, mailchimpImportRequestedV1, mailchimpMemberChangedV1, toPublishEntry } from '@refinery/events';
import { dataCenterOf } from '@refinery/mailchimp';
import { type ApiRequest, type ApiResponse, createHttpApi, type HttpApi, HttpError, json, parseJsonBody } from '@refinery/runtime';
import {
  isMailchimpValidationRequest,
  type MailchimpWebhookEvent,
  mailchimpEventKey,
  parseMailchimpWebhook,
  SeenMessages,
  WebhookPayloadError,
} from '@refinery/webhooks-in';
import { z } from 'zod';
import type { MailchimpSyncDeps } from '../config';
import { AUDIENCE_COLUMN_MAPPING, AUDIENCE_HEADER_LINE, audienceCells } from '../domain/audience-csv';
import { type ImportRecord, Imports } from '../domain/imports';
import { jobObject, publishJobCreated, publishJobSubmitted } from '../domain/publish';
import { type WebhookRegistration, WebhookRegistrations } from '../domain/webhook-registrations';

const listIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{1,64}$/u, 'a Mailchimp audience (list) id');

const importSchema = z
  .object({
    listId: listIdSchema,
    apiKeyRef: z
      .string()
      .regex(/^mck_[A-Za-z0-9_]+$/u, 'a reference returned by an earlier import (mck_...)')
      .optional(),
    apiKey: z.string().min(8).max(200).optional(),
    options: z
      .object({
        writeBack: z.boolean().optional().describe('Write confirmed and new values back to Mailchimp when the job completes.'),
        chunkRows: z.number().int().min(1).max(100_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((body) => (body.apiKey === undefined) !== (body.apiKeyRef === undefined), {
    message: 'give exactly one of apiKey (stored encrypted, answered with its apiKeyRef) and apiKeyRef',
  });

const webhookRegistrationSchema = z.object({ listId: listIdSchema }).strict();

function parseBody<T>(request: ApiRequest, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(parseJsonBody(request));
  if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
  return parsed.data;
}

/** mailchimp-sync's HTTP API: audience imports, and Mailchimp's audience webhooks (registration and delivery). */
export function createApiHandler(deps: MailchimpSyncDeps): HttpApi {
  const imports = new Imports(deps.table);
  const registrations = new WebhookRegistrations(deps.table);
  const seen = new SeenMessages(deps.table, { clock: { now: () => deps.clock.now() } });
  const webhook = (request: ApiRequest) => receiveMailchimpWebhook(deps, registrations, seen, request);
  return createHttpApi({
    logger: deps.logger,
    tokens: deps.tokens,
    routes: {
      'POST /integrations/mailchimp/imports': (request) => startImport(deps, imports, seen, request),
      'POST /integrations/mailchimp/webhooks': async (request) => {
        const body = parseBody(request, webhookRegistrationSchema);
        const id = deps.ids.newId('mchook');
        const { registration, secret } = await registrations.register(request.tenantId, body.listId, id, deps.clock.now());
        // The secret is the credential (Mailchimp cannot sign): shown once, stored only as a hash.
        return json(201, { id: registration.id, listId: registration.listId, url: `/webhooks/mailchimp/${secret}`, secret });
      },
      'GET /webhooks/mailchimp/{secret}': { public: true, handler: webhook },
      'POST /webhooks/mailchimp/{secret}': { public: true, handler: webhook },
    },
  });
}

async function startImport(deps: MailchimpSyncDeps, imports: Imports, seen: SeenMessages, request: ApiRequest): Promise<ApiResponse> {
  const body = parseBody(request, importSchema);
  let jobId = deps.ids.newId('job');
  const idempotencyKey = request.headers['idempotency-key'];
  if (idempotencyKey !== undefined) {
    if (idempotencyKey.length < 1 || idempotencyKey.length > 255)
      throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters');
    // The same key with the same request answers the same job; a crash after the claim is finished by the retry.
    const fingerprint = createHash('sha256').update(request.body).digest('hex');
    const claimed = await seen.firstTime(`import:${request.tenantId}`, idempotencyKey, { jobId, fingerprint });
    if (!claimed.first) {
      if (claimed.record?.fingerprint !== fingerprint)
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      jobId = String(claimed.record.jobId);
      const existing = await imports.get(jobId);
      if (existing && existing.tenantId === request.tenantId) return announceImport(deps, jobId, existing, request.requestId);
    }
  }
  const now = deps.clock.now();
  let apiKeyRef = body.apiKeyRef;
  if (body.apiKey !== undefined) {
    try {
      dataCenterOf(body.apiKey);
    } catch (error) {
      throw new HttpError(400, 'invalid_api_key', (error as Error).message);
    }
    apiKeyRef = await deps.keys.store(request.tenantId, body.apiKey, now);
  } else if ((await deps.keys.open(request.tenantId, apiKeyRef as string)) === undefined) {
    throw new HttpError(404, 'unknown_api_key', `no Mailchimp API key ${apiKeyRef} for this tenant`);
  }
  const record: ImportRecord = {
    tenantId: request.tenantId,
    listId: body.listId,
    apiKeyRef: apiKeyRef as string,
    writeBack: body.options?.writeBack ?? false,
    snapshotAt: now.toISOString(),
    filename: `mailchimp-${body.listId}.csv`,
    chunkRows: body.options?.chunkRows ?? deps.config.pageSize,
    pageTracking: 'markers',
  };
  return announceImport(deps, jobId, await imports.record(jobId, record), request.requestId);
}

/** Publishes the import's job.created.v1 and mailchimp-import.requested.v1 (ids derived from the job: a repeat is the same event). */
async function announceImport(deps: MailchimpSyncDeps, jobId: string, record: ImportRecord, requestId: string): Promise<ApiResponse> {
  await publishJobCreated(deps, {
    tenantId: record.tenantId,
    jobId,
    correlationId: requestId,
    causationId: requestId,
    filename: record.filename,
    input: jobObject(deps, record.tenantId, jobId, 'audience.csv'),
    options: { chunkRows: record.chunkRows, columnMapping: AUDIENCE_COLUMN_MAPPING },
  });
  const requested = createEvent(mailchimpImportRequestedV1, {
    service: 'mailchimp-sync',
    metadata: {
      eventId: deriveEventId(jobId, mailchimpImportRequestedV1.type),
      tenantId: record.tenantId,
      jobId,
      correlationId: requestId,
      causationId: requestId,
      occurredAt: deps.clock.now().toISOString(),
    },
    data: { listId: record.listId, apiKeyRef: record.apiKeyRef, snapshotAt: record.snapshotAt, writeBack: record.writeBack },
  });
  await deps.publisher.publish([toPublishEntry(requested)]);
  return json(
    202,
    { jobId, apiKeyRef: record.apiKeyRef, status: 'accepted', links: { self: `/jobs/${jobId}`, result: `/jobs/${jobId}/result` } },
    { location: `/jobs/${jobId}` },
  );
}

async function receiveMailchimpWebhook(
  deps: MailchimpSyncDeps,
  registrations: WebhookRegistrations,
  seen: SeenMessages,
  request: ApiRequest,
): Promise<ApiResponse> {
  const registration = await registrations.find(request.pathParameters.secret ?? '');
  // Unknown and wrong secrets look alike: nothing tells a guesser how close it came.
  if (!registration) throw new HttpError(404, 'not_found', 'no such webhook');
  const method = request.routeKey.split(' ')[0] ?? '';
  // Mailchimp checks a new webhook URL with a GET (sometimes an empty POST) that must answer 200.
  if (isMailchimpValidationRequest(method, request.body)) return json(200, { ok: true });
  let event: MailchimpWebhookEvent;
  try {
    event = parseMailchimpWebhook(request.body, request.headers['content-type']);
  } catch (error) {
    if (error instanceof WebhookPayloadError) throw new HttpError(400, 'invalid_payload', error.message);
    throw error;
  }
  if (event.data.list_id !== registration.listId) {
    throw new HttpError(400, 'wrong_list', `this webhook is registered for list ${registration.listId}, not ${event.data.list_id}`);
  }
  // Mailchimp retries deliveries: the same event makes one job (or one recorded change). The job id is claimed first;
  // a retry finds it and does the same work again under the same ids (a derived object key and event ids, which
  // consumers drop as duplicates), so a crash between the claim and the publishing loses nothing.
  const carriesContact = event.type === 'subscribe' || event.type === 'profile' || event.type === 'upemail';
  const candidate = carriesContact ? deps.ids.newId('job') : '';
  const claimed = await seen.firstTime(`mailchimp:${registration.id}`, mailchimpEventKey(event), carriesContact ? { jobId: candidate } : {});
  const jobId = claimed.first ? candidate : String(claimed.record?.jobId ?? '');
  if (carriesContact) await startSingleContactJob(deps, registration, event, jobId, request.requestId);
  else await recordMemberChange(deps, registration, event, request.requestId);
  if (!claimed.first) return json(200, { duplicate: true, ...(carriesContact ? { jobId } : {}) });
  return carriesContact ? json(202, { jobId, links: { self: `/jobs/${jobId}` } }) : json(200, { recorded: event.type });
}

function memberOf(event: MailchimpWebhookEvent): { id: string; email_address: string; merge_fields: Record<string, unknown> } {
  switch (event.type) {
    case 'subscribe':
    case 'profile':
      return { id: event.data.id, email_address: event.data.email, merge_fields: { ...event.data.merges } };
    case 'upemail':
      // Mailchimp sends only the addresses: the job learns the rest from the providers.
      return { id: event.data.new_id ?? '', email_address: event.data.new_email, merge_fields: {} };
    default:
      throw new Error(`${event.type} does not carry a contact`);
  }
}

async function startSingleContactJob(
  deps: MailchimpSyncDeps,
  registration: WebhookRegistration,
  event: MailchimpWebhookEvent,
  jobId: string,
  requestId: string,
): Promise<void> {
  const input = jobObject(deps, registration.tenantId, jobId, 'contact.csv');
  const content = AUDIENCE_HEADER_LINE + formatPlainCsvRecord(audienceCells(memberOf(event)));
  const job = {
    tenantId: registration.tenantId,
    jobId,
    correlationId: requestId,
    causationId: requestId,
    filename: `mailchimp-${event.type}-${registration.listId}.csv`,
    input,
    options: { columnMapping: AUDIENCE_COLUMN_MAPPING },
  };
  await publishJobCreated(deps, job);
  const info = await deps.objects.put(input, content, { contentType: 'text/csv' });
  await publishJobSubmitted(deps, { ...job, sizeBytes: info.sizeBytes });
}

async function recordMemberChange(
  deps: MailchimpSyncDeps,
  registration: WebhookRegistration,
  event: MailchimpWebhookEvent,
  requestId: string,
): Promise<void> {
  const data: Record<string, string | undefined> = { ...(event.data as Record<string, string | undefined>) };
  const changed = createEvent(mailchimpMemberChangedV1, {
    service: 'mailchimp-sync',
    metadata: {
      eventId: deriveEventId(registration.id, mailchimpEventKey(event)),
      tenantId: registration.tenantId,
      // Not a job: the webhook registration is the thread these events belong to.
      jobId: registration.id,
      correlationId: requestId,
      causationId: requestId,
      occurredAt: deps.clock.now().toISOString(),
    },
    data: {
      type: event.type as 'unsubscribe' | 'cleaned' | 'campaign',
      listId: registration.listId,
      firedAt: event.fired_at,
      ...(event.type === 'unsubscribe' && data.id ? { memberId: data.id } : {}),
      ...(data.reason ? { reason: data.reason } : {}),
      ...(event.type === 'campaign' && data.id ? { campaignId: data.id } : data.campaign_id ? { campaignId: data.campaign_id } : {}),
    },
  });
  await deps.publisher.publish([toPublishEntry(changed)]);
}

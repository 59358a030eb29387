// `POST /contacts/match`: one contact, answered synchronously when the pipeline is quick enough. The contact becomes a
// one-row job of the normal pipeline (the matcher and labeler that enrich files enrich it), and the request waits for
// that job within a deadline: its result row (200), its failure (422), or, past the deadline, the job to poll (202).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiRequest, HttpError, json, parseJsonBody, type RouteHandler } from '@refinery/runtime';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import type { JobState } from '../domain/job-state';
import type { Jobs } from '../domain/jobs';
import { readResultRow, SINGLE_CONTACT_COLUMNS, SINGLE_CONTACT_FILENAME, type SingleContact, singleContactCsv } from '../domain/single-contact';
import { acceptInlineCsv } from './job-creation';

/** Polling of the job's state while waiting: the first look soon, then less often. */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 250;
const POLL_GROWTH = 1.5;

const valueSchema = z.string().max(1000, 'at most 1000 characters');

// Every canonical field, `full_name`, and `name` (the same as full_name); nothing else.
const contactSchema = z.strictObject(
  Object.fromEntries([...SINGLE_CONTACT_COLUMNS, 'name'].map((field) => [field, valueSchema.optional()])) as Record<
    string,
    z.ZodOptional<typeof valueSchema>
  >,
);

const bodySchema = z
  .strictObject({
    contact: contactSchema,
    options: z
      .strictObject({
        defaultRegion: z
          .string()
          .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 alpha-2 country code, e.g. "GB"')
          .optional(),
      })
      .optional(),
  })
  .superRefine((body, context) => {
    const contact = body.contact;
    if (contact.name !== undefined && contact.full_name !== undefined) {
      context.addIssue({ code: 'custom', path: ['contact', 'name'], message: 'give the full name as full_name or as name, not both' });
    }
    if (!Object.values(contact).some((value) => value !== undefined && value.trim() !== '')) {
      context.addIssue({
        code: 'custom',
        path: ['contact'],
        message: 'the contact has no values: give a name (first_name and last_name, or full_name) and something to match on (email, phone, ...)',
      });
    }
  });

export type ContactMatchBody = z.infer<typeof bodySchema>;

/** The route, on the jobs of this service. */
export function createContactMatchRoute(deps: IngestDeps, jobs: Jobs): RouteHandler {
  return async (request) => {
    const started = performance.now();
    const deadlineMs = deadlineOf(request, deps.config.contactMatchDeadlineMs);
    const contact = contactOf(request);
    const { jobId, state } = await acceptInlineCsv(deps, jobs, request, {
      csv: singleContactCsv(contact),
      filename: SINGLE_CONTACT_FILENAME,
      options: {},
      // The caller is waiting: submit now rather than one notification hop later.
      submit: 'at-once',
    });
    const outcome = isSettled(state) ? state : await waitForOutcome(jobs, request.tenantId, jobId, started + deadlineMs);
    const waitedMs = Math.round(performance.now() - started);
    request.logger.info({ jobId, status: outcome.status, waitedMs, deadlineMs }, 'contact match answered');

    if (outcome.status === 'completed') {
      if (!outcome.result) throw new Error(`job ${jobId} is completed but names no result`);
      return json(200, { jobId, result: await readResultRow(deps.objects, outcome.result) });
    }
    if (outcome.status === 'failed') {
      throw new HttpError(422, 'job_failed', `the contact's job failed: ${outcome.error?.reason ?? 'unknown reason'}`, { jobId });
    }
    return json(
      202,
      { jobId, status: outcome.status, links: { self: `/jobs/${jobId}`, result: `/jobs/${jobId}/result` } },
      { location: `/jobs/${jobId}` },
    );
  };
}

/** `?deadlineMs=` (0 answers at once unless the job is already settled), capped at the configured deadline. */
function deadlineOf(request: ApiRequest, configuredMs: number): number {
  const asked = request.query.deadlineMs;
  if (asked === undefined) return configuredMs;
  if (!/^\d{1,9}$/.test(asked)) {
    throw new HttpError(400, 'invalid_option', `deadlineMs must be a whole number of milliseconds from 0 to ${configuredMs}, got "${asked}"`);
  }
  return Math.min(Number(asked), configuredMs);
}

/**
 * The contact of a `{ "contact": {...}, "options"?: {} }` JSON body (POST /contacts/match, and the signed webhooks of
 * POST /webhooks/{source}), or the 415/400 that says what is wrong with it.
 */
export function contactOf(request: ApiRequest): SingleContact {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== 'application/json') {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Content-Type ${contentType || '(none)'} is not accepted: send {"contact": {...}} as application/json`,
    );
  }
  const parsed = bodySchema.safeParse(parseJsonBody(request));
  if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
  if (parsed.data.options?.defaultRegion !== undefined) {
    // Job options (libs/events jobOptionsSchema) have no region: the matcher reads every job with its DEFAULT_REGION.
    throw new HttpError(
      400,
      'unsupported_option',
      'options.defaultRegion is not supported yet: phone numbers without a country code are read in the region the ' +
        "service is configured with; give the phone in international format (+44 ...) or the contact's country instead",
    );
  }
  const { name, ...fields } = parsed.data.contact;
  const contact: SingleContact = {};
  for (const field of SINGLE_CONTACT_COLUMNS) {
    const value = fields[field];
    if (value !== undefined) contact[field] = value;
  }
  if (name !== undefined) contact.full_name = name;
  return contact;
}

function isSettled(state: JobState): boolean {
  return state.status === 'completed' || state.status === 'failed';
}

/** The job once it completes or fails, or as it stands when the deadline (a performance.now() instant) comes. */
async function waitForOutcome(jobs: Jobs, tenantId: string, jobId: string, deadline: number): Promise<JobState> {
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    const left = deadline - performance.now();
    if (left > 0) await sleep(Math.min(pollMs, left));
    const found = await jobs.stateFor(tenantId, jobId);
    if (!found) throw new Error(`job ${jobId} has no history while being waited for`);
    if (isSettled(found.state) || performance.now() >= deadline) return found.state;
    pollMs = Math.min(MAX_POLL_MS, Math.round(pollMs * POLL_GROWTH));
  }
}

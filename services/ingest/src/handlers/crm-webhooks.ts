// Signed CRM webhooks: a tenant registers a source (`POST /webhook-sources`) and gets a URL and a secret; its CRM then
// POSTs contacts to that URL, signed per Standard Webhooks, without a bearer token (a third party has none). Each
// contact becomes a one-row job, exactly like `POST /contacts/match` makes (same body, same job), but the webhook is
// answered at once (202 { jobId }): the tenant reads the job with its own token. A repeat of a webhook id (a retry, or a
// replay within the timestamp tolerance) answers 200 with the same job and creates nothing.
import { createHash } from 'node:crypto';
import { type ApiRequest, HttpError, json, parseJsonBody, type RouteDefinition } from '@refinery/runtime';
import { SeenMessages, verifyStandardWebhook, WebhookVerificationError } from '@refinery/webhooks-in';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import type { Jobs } from '../domain/jobs';
import { SINGLE_CONTACT_FILENAME, singleContactCsv } from '../domain/single-contact';
import { SOURCE_ID, SOURCE_NAME, WebhookSourceExistsError, type WebhookSourceSummary, WebhookSources, webhookPath } from '../domain/webhook-sources';
import { contactOf } from './contact-match';
import { acceptInlineCsv } from './job-creation';

/** Longest `webhook-id` kept (Standard Webhooks names no limit; senders use ids of about 30 characters). */
const MAX_WEBHOOK_ID_LENGTH = 255;

const createSourceSchema = z.strictObject({
  source: z.string().regex(SOURCE_NAME, 'a lowercase slug: letters, digits and hyphens, 1 to 64 characters, e.g. "hubspot"'),
});

/** What a webhook id's first delivery records: the job it made, and what it carried (to refuse the id with another). */
interface WebhookRecord {
  readonly [attribute: string]: string;
  readonly jobId: string;
  readonly fingerprint: string;
}

export function createWebhookRoutes(deps: IngestDeps, jobs: Jobs): Record<string, RouteDefinition> {
  const sources = new WebhookSources(deps.jobs, deps);
  const seen = new SeenMessages(deps.jobs, { clock: deps.clock });
  const view = (source: WebhookSourceSummary) => ({ source: source.name, id: source.id, url: webhookPath(source.id), createdAt: source.createdAt });

  return {
    'POST /webhook-sources': async (request) => {
      const parsed = createSourceSchema.safeParse(parseJsonBody(request));
      if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
      const limit = deps.config.maxWebhookSources;
      const tooMany = (count: number) =>
        new HttpError(
          409,
          'too_many_webhook_sources',
          `this tenant has ${count} webhook sources, the most it may have (maxWebhookSources ${limit}); delete one first (DELETE /webhook-sources/{source})`,
        );
      const before = (await sources.list(request.tenantId)).length;
      if (before >= limit) throw tooMany(before);
      try {
        const source = await sources.create(request.tenantId, parsed.data.source);
        // Checked again after the write: of requests racing for the last place, a source that finds itself over the
        // limit takes itself back, so a tenant never holds more than the limit (racers may all lose, never all win).
        const after = (await sources.list(request.tenantId)).length;
        if (after > limit) {
          await sources.delete(request.tenantId, source.name);
          throw tooMany(after - 1);
        }
        request.logger.info({ webhookSource: source.name, sourceId: source.id }, 'webhook source created');
        // The secret is in this answer and nowhere else, ever again.
        return json(201, { ...view(source), secret: source.secret }, { location: `/webhook-sources/${source.name}`, 'cache-control': 'no-store' });
      } catch (error) {
        if (error instanceof WebhookSourceExistsError) {
          throw new HttpError(
            409,
            'source_exists',
            `${error.message}; delete it first (DELETE /webhook-sources/${parsed.data.source}) to get a new URL and secret`,
          );
        }
        throw error;
      }
    },

    'GET /webhook-sources': async (request) => json(200, { sources: (await sources.list(request.tenantId)).map(view) }),

    'DELETE /webhook-sources/{source}': async (request) => {
      const name = request.pathParameters.source ?? '';
      if (!SOURCE_NAME.test(name) || !(await sources.delete(request.tenantId, name)))
        throw new HttpError(404, 'not_found', `no webhook source ${name}`);
      request.logger.info({ webhookSource: name }, 'webhook source deleted');
      return { statusCode: 204, body: '' };
    },

    'POST /webhooks/{source}': {
      public: true,
      handler: async (request) => {
        const sourceId = request.pathParameters.source ?? '';
        const source = SOURCE_ID.test(sourceId) ? await sources.get(sourceId) : undefined;
        if (!source) throw new HttpError(404, 'not_found', `no webhook source ${sourceId}`);

        let webhookId: string;
        try {
          webhookId = verifyStandardWebhook({ secret: source.secret, headers: request.headers, body: request.body, now: deps.clock.now() }).id;
        } catch (error) {
          if (!(error instanceof WebhookVerificationError)) throw error;
          request.logger.warn({ tenantId: source.tenantId, webhookSource: source.name, reason: error.reason }, 'webhook refused');
          throw new HttpError(401, 'invalid_signature', `the webhook is not verified: ${error.message}`, { reason: error.reason });
        }
        if (webhookId.length > MAX_WEBHOOK_ID_LENGTH) {
          throw new HttpError(400, 'invalid_webhook_id', `webhook-id must be at most ${MAX_WEBHOOK_ID_LENGTH} characters`);
        }

        // From here on the request acts for the source's tenant, as if it had come with the tenant's token.
        const logger = request.logger.child({ tenantId: source.tenantId, webhookSource: source.name, webhookId });
        const asTenant: ApiRequest = { ...request, tenantId: source.tenantId, logger };
        const csv = singleContactCsv(contactOf(asTenant));
        const fingerprint = createHash('sha256').update(csv).digest('hex');

        const claimed: WebhookRecord = { jobId: deps.ids.newId('job'), fingerprint };
        const seenBefore = await seen.firstTime<WebhookRecord>(source.id, webhookId, claimed);
        let claim: { kind: 'new' | 'replay'; jobId: string };
        if (seenBefore.first) {
          claim = { kind: 'new', jobId: claimed.jobId };
        } else {
          const earlier = seenBefore.record;
          if (!earlier?.jobId) throw new Error(`webhook ${webhookId} of source ${source.id} was seen without a job`);
          if (earlier.fingerprint !== fingerprint) {
            throw new HttpError(422, 'webhook_id_reused', 'this webhook-id came before with a different contact; every message needs its own id', {
              jobId: earlier.jobId,
            });
          }
          claim = { kind: 'replay', jobId: earlier.jobId };
        }

        // A repeat finishes what its first delivery may not have (the job created, its input stored and submitted).
        const { jobId } = await acceptInlineCsv(deps, jobs, asTenant, {
          csv,
          filename: SINGLE_CONTACT_FILENAME,
          options: {},
          submit: 'at-once',
          claim,
        });
        logger.info({ jobId, duplicate: claim.kind === 'replay' }, 'webhook accepted');
        return claim.kind === 'new' ? json(202, { jobId }) : json(200, { jobId, duplicate: true });
      },
    },
  };
}

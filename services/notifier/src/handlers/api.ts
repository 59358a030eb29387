import { checkDestinationUrl, isDestinationRefused } from '@refinery/outbound';
import { createHttpApi, type HttpApi, HttpError, json, parseJsonBody } from '@refinery/runtime';
import { z } from 'zod';
import type { NotifierDeps } from '../config';
import { NOTIFIABLE_EVENT_TYPES, newSigningSecret, type Subscription, SubscriptionStore } from '../domain/subscriptions';

/** The webhook subscriptions API: create (the signing secret is shown once), list, delete, and see deliveries. */
export function createApiHandler(deps: NotifierDeps): HttpApi {
  const store = new SubscriptionStore(deps.subscriptions, deps.secrets, deps.config.retentionDays);
  const createSchema = z.object({
    // Only public destinations (no loopback, private, link-local or metadata address, no credentials in the URL); https
    // only on AWS. Delivery checks again at each connection, against what the host name resolves to then.
    url: z
      .string()
      .max(2048)
      .superRefine((value, context) => {
        try {
          checkDestinationUrl(value, { httpsOnly: !deps.config.allowHttp });
        } catch (error) {
          if (!isDestinationRefused(error)) throw error;
          context.addIssue({ code: 'custom', message: error.message });
        }
      }),
    eventTypes: z
      .array(z.enum(NOTIFIABLE_EVENT_TYPES))
      .min(1)
      .default([...NOTIFIABLE_EVENT_TYPES]),
    description: z.string().max(500).default(''),
  });
  const publicView = ({ secret: _secret, tenantId: _tenant, ...rest }: Subscription) => rest;

  return createHttpApi({
    logger: deps.logger,
    tokens: deps.tokens,
    routes: {
      'POST /subscriptions': async (request) => {
        const parsed = createSchema.safeParse(parseJsonBody(request));
        if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
        const limit = deps.config.maxSubscriptions;
        const tooMany = (count: number) =>
          new HttpError(
            409,
            'too_many_subscriptions',
            `this tenant has ${count} subscriptions, the most it may have (maxSubscriptions ${limit}); delete one first (DELETE /subscriptions/{id})`,
          );
        const before = (await store.list(request.tenantId)).length;
        if (before >= limit) throw tooMany(before);
        const subscription: Subscription = {
          id: deps.ids.newId('sub'),
          tenantId: request.tenantId,
          url: parsed.data.url,
          eventTypes: [...new Set(parsed.data.eventTypes)],
          description: parsed.data.description,
          secret: newSigningSecret(),
          createdAt: deps.clock.now().toISOString(),
        };
        await store.create(subscription);
        // Checked again after the write: of requests racing for the last place, one that finds itself over the limit
        // takes itself back, so a tenant never holds more than the limit.
        const after = (await store.list(request.tenantId)).length;
        if (after > limit) {
          await store.delete(request.tenantId, subscription.id);
          throw tooMany(after - 1);
        }
        return json(201, { ...publicView(subscription), secret: subscription.secret }, { location: `/subscriptions/${subscription.id}` });
      },
      'GET /subscriptions': async (request) => json(200, { subscriptions: (await store.list(request.tenantId)).map(publicView) }),
      'DELETE /subscriptions/{id}': async (request) => {
        const id = request.pathParameters.id ?? '';
        if (!(await store.get(request.tenantId, id))) throw new HttpError(404, 'not_found', `no subscription ${id}`);
        await store.delete(request.tenantId, id);
        return { statusCode: 204, body: '' };
      },
      'GET /subscriptions/{id}/deliveries': async (request) => {
        const id = request.pathParameters.id ?? '';
        if (!(await store.get(request.tenantId, id))) throw new HttpError(404, 'not_found', `no subscription ${id}`);
        return json(200, { deliveries: await store.attempts(id) });
      },
    },
  });
}

import { z } from 'zod';
import { validateEventPattern, type EventPattern } from '@refinery/event-patterns';

// A service's `service.json`: the one place that declares what it subscribes to (event patterns and queue
// settings), which HTTP routes it serves and, optionally, its WebSocket routes. The local runtime builds its queues,
// rules and routes from it; the service's serverless.yml reads the same file with ${file(./service.json):...}.

const eventPatternSchema = z.custom<EventPattern>(
  (value) => {
    try {
      validateEventPattern(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid EventBridge event pattern' },
);

export const subscriptionSchema = z.object({
  description: z.string().min(1),
  /** The EventBridge rule pattern that feeds this subscription's queue. */
  pattern: eventPatternSchema,
  queue: z.object({
    visibilityTimeoutSeconds: z.number().int().min(1).max(43_200),
    maxReceiveCount: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(1).max(10_000),
    maximumBatchingWindowSeconds: z.number().int().min(0).max(300).default(0),
  }),
  function: z.object({
    timeoutSeconds: z.number().int().min(1).max(900),
    memorySizeMb: z.number().int().min(128).max(10_240),
  }),
});

export const httpRouteSchema = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9_\-/{}]*$/, 'a route key like "GET /jobs/{id}"');

/**
 * API Gateway WebSocket route keys: the predefined `$connect`, `$disconnect` and `$default`, or a custom route named by
 * the route selection expression (`$request.body.action`).
 */
export const websocketRouteSchema = z.string().regex(/^(\$connect|\$disconnect|\$default|[A-Za-z][A-Za-z0-9_-]*)$/, 'a WebSocket route key like "$connect" or "$default"');

export const websocketSchema = z.object({
  routes: z
    .array(websocketRouteSchema)
    .min(1)
    .refine((routes) => new Set(routes).size === routes.length, 'routes must not repeat'),
  // API Gateway ends an integration after 29 seconds.
  function: z.object({ timeoutSeconds: z.number().int().min(1).max(29), memorySizeMb: z.number().int().min(128).max(10_240) }),
});

export const serviceManifestSchema = z.object({
  service: z.string().regex(/^[a-z][a-z-]*$/),
  description: z.string().min(1),
  subscriptions: z.record(z.string().regex(/^[a-z][a-z-]*$/), subscriptionSchema),
  http: z
    .object({
      routes: z.array(httpRouteSchema).min(1),
      function: z.object({ timeoutSeconds: z.number().int().min(1).max(30), memorySizeMb: z.number().int().min(128).max(10_240) }),
    })
    .optional(),
  /** An API Gateway WebSocket API served by one function (the `websocket` handler of the service definition). */
  websocket: websocketSchema.optional(),
});

export type WebsocketManifest = z.infer<typeof websocketSchema>;
export type SubscriptionManifest = z.infer<typeof subscriptionSchema>;
export type ServiceManifest = z.infer<typeof serviceManifestSchema>;

export function parseServiceManifest(json: unknown, origin: string): ServiceManifest {
  const parsed = serviceManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`invalid service manifest ${origin}: ${z.prettifyError(parsed.error)}`);
  }
  for (const [name, subscription] of Object.entries(parsed.data.subscriptions)) {
    // Lambda's rule of thumb (and the AWS docs'): a queue's visibility timeout at least 6x the function timeout,
    // so a message is not handed to a second consumer while the first may still be retrying it.
    if (subscription.queue.visibilityTimeoutSeconds < 6 * subscription.function.timeoutSeconds) {
      throw new Error(
        `invalid service manifest ${origin}: subscription "${name}" has visibilityTimeoutSeconds ` +
          `${subscription.queue.visibilityTimeoutSeconds} < 6 x function timeout ${subscription.function.timeoutSeconds}`,
      );
    }
  }
  return parsed.data;
}

/** What a subscription's handler knows about itself: its service, its name and its queue's maxReceiveCount. */
export interface SubscriptionIdentity {
  readonly service: string;
  readonly subscription: string;
  readonly maxReceiveCount: number;
}

/** A declared subscription's identity, read from the manifest (so a handler can never disagree with its queue). */
export function subscriptionOf(manifest: ServiceManifest, name: string): SubscriptionIdentity {
  const subscription = manifest.subscriptions[name];
  if (!subscription) throw new Error(`service ${manifest.service} declares no subscription "${name}"`);
  return { service: manifest.service, subscription: name, maxReceiveCount: subscription.queue.maxReceiveCount };
}

/**
 * Queue names of a subscription. Locally `<service>-<subscription>`; on AWS `refinery-<service>-<stage>-<subscription>`
 * (what each serverless.yml creates). The dead-letter queue adds `-dlq`.
 */
export function subscriptionQueueNames(service: string, subscription: string, stage?: string): { queue: string; deadLetterQueue: string } {
  const queue = stage === undefined ? `${service}-${subscription}` : `refinery-${service}-${stage}-${subscription}`;
  return { queue, deadLetterQueue: `${queue}-dlq` };
}

import { type EventPattern, validateEventPattern } from '@refinery/event-patterns';
import { type DomainEvent, type KnownEventType, producersOf } from '@refinery/events';
import { z } from 'zod';
import type { JobRef } from './object-created';

// A service's declaration: the one place that says what it subscribes to (event types, queue and function settings),
// what it owns (buckets, tables), what it reads of others, which settings it takes, and which HTTP and WebSocket routes
// it serves. The Serverless Framework configuration is generated from it (@refinery/serverless-config), the Lambda
// entry points and the local mode are composed from it (composeService), and its handlers are typed by it.

/** Settings of a subscription's queue and of the event source mapping that feeds its function. */
export interface QueueSettings {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds?: number;
  /**
   * The setting (a deploy parameter) holding the event source's maximum concurrency (2 to 1,000): at most that many
   * invocations of the function read the queue at once. Absent: as many as Lambda scales to.
   */
  readonly maximumConcurrencySetting?: string;
  /**
   * How long the queue's oldest message may wait before its alarm goes off, by default (the deploy param
   * `<subscription>QueueMaxAgeSeconds` overrides it per stage). Absent: twice the visibility timeout, at least 600 s —
   * right for a queue whose messages may wait their turn, too lenient for a lane that promises to be quick.
   */
  readonly oldestMessageAlarmSeconds?: number;
}

/**
 * The default alarm age of an express lane's queue (the matcher's and labeler's `expressChunks`, the merger's
 * `expressProgress`): a small job's message that waited a quarter of an hour means the lane no longer keeps small jobs
 * quick (docs/operations.md, "Alarms").
 */
export const EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS = 900;

export interface FunctionSize {
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
}

interface SubscriptionInputBase {
  readonly description: string;
  /** What redriving one of its dead-lettered messages does, for the operator its alarm wakes. */
  readonly redriveNote?: string;
  readonly queue: QueueSettings;
  readonly function: FunctionSize;
}

/** A subscription to events of our catalog, on the project bus. */
export interface EventSubscriptionInput extends SubscriptionInputBase {
  /** The event types it handles: its rule matches exactly these detail-types, and its handler gets only these. */
  readonly events: readonly KnownEventType[];
  /**
   * Only from these services. Default: every producer of the events. Required for events any service may publish
   * (stage.failed.v1), and a way to leave out a producer (a service's own events it already has).
   */
  readonly from?: readonly string[];
  /**
   * Whether a message it gives up on fails its job (`stage.failed.v1`). Default true; false for work whose loss never
   * makes a job fail (live progress pushes: a later snapshot supersedes a lost one).
   */
  readonly reportsStageFailures?: boolean;
  /**
   * Only the events whose `data` matches this EventBridge pattern (`{ lane: ['express'] }`): its rule's pattern gets it
   * as `detail.data`, on AWS and on the local bus alike. Its top-level fields must be fields of every declared event
   * type's data. Two subscriptions may split one event type between them this way (each event to exactly one of them:
   * say so in both, including what events without the field do, with `{ exists: false }`).
   */
  readonly dataPattern?: EventPattern;
}

/** A subscription to S3's "Object Created" events of one of the service's own buckets (S3 -> EventBridge). */
export interface ObjectCreatedSubscriptionInput extends SubscriptionInputBase {
  readonly objectCreated: {
    readonly bucket: string;
    readonly keyPrefix?: string;
    /**
     * The job an object of the bucket belongs to, from its key (undefined: none). A notice that cannot be handled
     * fails that job, even when the service cannot start (the dead-letter reporter reads only the declaration).
     */
    readonly jobOf: (key: string) => JobRef | undefined;
  };
}

export type SubscriptionInput = EventSubscriptionInput | ObjectCreatedSubscriptionInput;

/**
 * How long what failed may wait to be retried by hand: a dead-lettered message may be redriven, and an archived event
 * replayed, for this many days (14: SQS's longest retention). Whatever a redrive or a replay reads must outlive it, so
 * no object expires sooner than a day after.
 */
export const REDRIVE_WINDOW_DAYS = 14;

/** How long a job's data (objects, items, history) is kept before it is erased, unless its owner erases it sooner. */
export const DEFAULT_RETENTION_DAYS = 30;
const MAX_RETENTION_DAYS = 3650;

/**
 * The retention period of jobs' data, in days: a setting of every service that owns buckets of jobs' objects (their
 * lifecycle rules expire objects under `tenants/` after it) or erases jobs past it. At least REDRIVE_WINDOW_DAYS + 1, so
 * that nothing a redrive or a replay reads is gone before the dead-letter queues and the event archive let go of it.
 */
export const retentionDaysSetting = setting(
  z.coerce
    .number()
    .int()
    .min(REDRIVE_WINDOW_DAYS + 1)
    .max(MAX_RETENTION_DAYS),
  {
    description: `days a job's data (uploads, chunks, results, review data, history, delivery records) is kept before it is erased (${REDRIVE_WINDOW_DAYS + 1} to ${MAX_RETENTION_DAYS})`,
    default: DEFAULT_RETENTION_DAYS,
  },
);

export interface BucketDeclaration {
  /** What it holds and who reads it (the stack output's description). */
  readonly description: string;
  /**
   * Objects expire this many days after they are written (scratch space handed between services); absent: kept. At
   * least REDRIVE_WINDOW_DAYS + 1. `'retentionDays'`: jobs' objects (keys under `tenants/`) expire after the service's
   * `retentionDays` setting (a deploy parameter), which the service must declare.
   */
  readonly expireAfterDays?: number | 'retentionDays';
  /** Browsers PUT objects straight to presigned URLs, from the origin in this deploy parameter (CORS). */
  readonly browserUploads?: { readonly originParam: string; readonly defaultOrigin: string; readonly description: string };
}

export interface TableDeclaration {
  readonly description: string;
  /** An attribute holding epoch seconds after which DynamoDB deletes the item. */
  readonly timeToLiveAttribute?: string;
}

/** Another service's bucket (or one object the operator provides) that this service reads by reference. */
export type ReadDeclaration =
  | { readonly description: string; readonly bucketParam: string }
  /** Named by its owner's convention, for when the deployment order cannot pass it (a cycle). */
  | { readonly description: string; readonly ownedBy: { readonly service: string; readonly bucket: string } }
  /** One object, named by two of the service's settings. */
  | { readonly description: string; readonly object: { readonly bucketSetting: string; readonly keySetting: string } };

/** A setting of the service's functions: an environment variable on Lambda, set from a deploy parameter. */
export interface SettingDeclaration<T = unknown> {
  readonly description: string;
  /** Parses the value as the environment holds it: a string, or undefined when unset. */
  readonly schema: z.ZodType<T>;
  /** The deploy parameter's default. Absent: the parameter has none and every deployment passes it. */
  readonly default?: string | number | boolean;
  /** The environment variable; default: the setting's name in UPPER_SNAKE_CASE. */
  readonly env?: string;
  /**
   * A secret (API tokens, keys): on AWS it lives in SSM Parameter Store (a SecureString at secretParameterName), read at
   * cold start and again every few minutes, never in a function's environment or a template. Locally it is given like
   * any setting. A secret with a default is optional: a missing parameter leaves the default.
   */
  readonly secret?: boolean;
}

export interface SettingOptions {
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly env?: string;
  readonly secret?: boolean;
}

/**
 * Where a secret setting lives on AWS: one SecureString per stage and setting, shared by every service that declares
 * the setting (`/refinery/prod/api-tokens`), so a rotation is one `aws ssm put-parameter --overwrite`.
 */
export function secretParameterName(stage: string, key: string): string {
  return `/refinery/${stage}/${kebabName(key)}`;
}

/** A setting, typed by its schema (and keeping whether it has a default). */
export function setting<S extends z.ZodType, const O extends SettingOptions>(schema: S, options: O): SettingDeclaration<z.output<S>> & O {
  return { ...options, schema: schema as z.ZodType<z.output<S>> };
}

export interface HttpInput<Route extends string = string> {
  readonly routes: readonly Route[];
  readonly function: FunctionSize;
}

/**
 * Work a service does on a clock rather than on an event (EventBridge Scheduler's rate on AWS, a timer locally): a
 * function of its own, named after it, called every `everyMinutes`. It must be idempotent and quick to do nothing: a
 * run may be skipped, repeated or overlap the previous one.
 */
export interface ScheduleInput {
  readonly description: string;
  readonly everyMinutes: number;
  readonly function: FunctionSize;
}

export interface WebsocketInput {
  readonly description: string;
  readonly routes: readonly string[];
  readonly function: FunctionSize;
}

export interface ServiceInput {
  readonly name: string;
  readonly description: string;
  readonly buckets?: Readonly<Record<string, BucketDeclaration>>;
  readonly tables?: Readonly<Record<string, TableDeclaration>>;
  /** What it reads of others, by a name of its own (`jobInputs`, `directory`). */
  readonly reads?: Readonly<Record<string, ReadDeclaration>>;
  readonly settings?: Readonly<Record<string, SettingDeclaration>>;
  readonly subscriptions: Readonly<Record<string, SubscriptionInput>>;
  readonly schedules?: Readonly<Record<string, ScheduleInput>>;
  readonly http?: HttpInput;
  readonly websocket?: WebsocketInput;
}

/** A declared subscription to catalog events: what its handler receives, and where it came from. */
export interface EventSubscription<Name extends string = string, Events extends readonly KnownEventType[] = readonly KnownEventType[]> {
  readonly kind: 'events';
  readonly service: string;
  readonly name: Name;
  readonly description: string;
  readonly events: Events;
  /** The services whose events of these types reach it. */
  readonly from: readonly string[];
  readonly queue: QueueSettings & { readonly maximumBatchingWindowSeconds: number };
  readonly function: FunctionSize;
  readonly reportsStageFailures: boolean;
  readonly redriveNote?: string;
  /** Only events whose `data` matches it (EventSubscriptionInput.dataPattern). */
  readonly dataPattern?: EventPattern;
}

export interface ObjectCreatedSubscription<Name extends string = string> {
  readonly kind: 'objectCreated';
  readonly service: string;
  readonly name: Name;
  readonly description: string;
  readonly bucket: string;
  readonly keyPrefix?: string;
  readonly jobOf: (key: string) => JobRef | undefined;
  readonly queue: QueueSettings & { readonly maximumBatchingWindowSeconds: number };
  readonly function: FunctionSize;
  readonly reportsStageFailures: true;
  readonly redriveNote?: string;
}

export type Subscription = EventSubscription | ObjectCreatedSubscription;

type DeclaredSubscription<Name extends string, I> = I extends { readonly events: infer E extends readonly KnownEventType[] }
  ? EventSubscription<Name, E>
  : ObjectCreatedSubscription<Name>;

/** A service's declaration, checked and with every subscription resolved. */
export interface ServiceDeclaration<I extends ServiceInput = ServiceInput> {
  readonly name: I['name'];
  readonly description: string;
  readonly buckets: Readonly<NonNullable<I['buckets']>>;
  readonly tables: Readonly<NonNullable<I['tables']>>;
  readonly reads: Readonly<Record<string, ReadDeclaration>>;
  readonly settings: Readonly<NonNullable<I['settings']>>;
  readonly subscriptions: { readonly [K in keyof I['subscriptions'] & string]: DeclaredSubscription<K, I['subscriptions'][K]> };
  readonly schedules: { readonly [K in keyof NonNullable<I['schedules']> & string]: Schedule<K> };
  readonly http: I['http'];
  readonly websocket: I['websocket'];
}

/** A declared schedule, resolved: its service and name. */
export interface Schedule<Name extends string = string> extends ScheduleInput {
  readonly service: string;
  readonly name: Name;
}

/** What a subscription's handler is given: one of the declared event types, discriminated by `type`. */
export type EventOf<S extends EventSubscription> = { [K in S['events'][number] as K['type']]: DomainEvent<K> }[S['events'][number]['type']];

/** The typed values of a declaration's settings. */
export type SettingsOf<D extends Pick<ServiceDeclaration, 'settings'>> = {
  readonly [K in keyof D['settings']]: D['settings'][K] extends SettingDeclaration<infer T> ? T : never;
};

const NAME = /^[a-z][a-z0-9-]*$/;
const KEY = /^[a-z][a-zA-Z0-9]*$/;
const ROUTE = /^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9_\-/{}]*$/;
const WEBSOCKET_ROUTE = /^(\$connect|\$disconnect|\$default|[A-Za-z][A-Za-z0-9_-]*)$/;
/** A subscription's function is named after it; these are the HTTP and WebSocket APIs' and the dead-letter reporter's. */
export const RESERVED_FUNCTION_NAMES: readonly string[] = ['api', 'socket', 'deadLetters'];
/** API Gateway ends an integration after 30 s (HTTP) and 29 s (WebSocket). */
const MAX_HTTP_TIMEOUT_SECONDS = 30;
const MAX_WEBSOCKET_TIMEOUT_SECONDS = 29;

/**
 * Checks a service's declaration and resolves its subscriptions (their service, name, sources and queue defaults).
 * Everything wrong is reported at once, naming where.
 */
export function defineService<const I extends ServiceInput>(input: I): ServiceDeclaration<I> {
  const problems: string[] = [];
  const where = `service ${input.name}`;
  if (!NAME.test(input.name)) problems.push(`name "${input.name}" must be lower-case words joined by '-'`);
  const buckets = input.buckets ?? {};
  const settings = input.settings ?? {};
  for (const [group, keys] of [
    ['bucket', Object.keys(buckets)],
    ['table', Object.keys(input.tables ?? {})],
    ['subscription', Object.keys(input.subscriptions)],
    ['schedule', Object.keys(input.schedules ?? {})],
    ['setting', Object.keys(settings)],
    ['read', Object.keys(input.reads ?? {})],
  ] as const) {
    for (const key of keys) if (!KEY.test(key)) problems.push(`${group} "${key}" must be a camelCase name`);
  }
  const envNames = new Map<string, string>();
  for (const [key, declared] of Object.entries(settings)) {
    const env = settingEnvName(key, declared);
    const clash = envNames.get(env);
    if (clash) problems.push(`settings "${clash}" and "${key}" both use ${env}`);
    envNames.set(env, key);
    if (declared.default !== undefined) {
      const parsed = declared.schema.safeParse(String(declared.default));
      if (!parsed.success)
        problems.push(`setting "${key}": its default ${JSON.stringify(declared.default)} does not fit its schema: ${z.prettifyError(parsed.error)}`);
    }
  }
  for (const [name, bucket] of Object.entries(buckets)) {
    if (bucket.expireAfterDays === 'retentionDays') {
      if (!('retentionDays' in settings))
        problems.push(`bucket "${name}" expires objects after retentionDays, a setting the service does not declare`);
    } else if (bucket.expireAfterDays !== undefined && bucket.expireAfterDays < REDRIVE_WINDOW_DAYS + 1) {
      problems.push(
        `bucket "${name}" expires objects after ${bucket.expireAfterDays} days: a redrive or replay may need them for ${REDRIVE_WINDOW_DAYS} days (at least ${REDRIVE_WINDOW_DAYS + 1})`,
      );
    }
  }
  for (const [name, read] of Object.entries(input.reads ?? {})) {
    if ('object' in read) {
      for (const key of [read.object.bucketSetting, read.object.keySetting]) {
        if (!(key in settings)) problems.push(`read "${name}" names setting "${key}", which is not declared`);
      }
    }
  }

  const subscriptions: Record<string, Subscription> = {};
  for (const [name, declared] of Object.entries(input.subscriptions)) {
    const at = `subscription "${name}"`;
    if (RESERVED_FUNCTION_NAMES.includes(name))
      problems.push(
        `${at}: "${name}" is the name of ${{ api: "the HTTP API's", socket: "the WebSocket API's", deadLetters: 'the dead-letter reporter' }[name]} function`,
      );
    const queue = { maximumBatchingWindowSeconds: 0, ...declared.queue };
    problems.push(...checkQueue(queue, declared.function, at));
    if (queue.maximumConcurrencySetting !== undefined && !(queue.maximumConcurrencySetting in settings))
      problems.push(`${at}: maximumConcurrencySetting names setting "${queue.maximumConcurrencySetting}", which is not declared`);
    if ('events' in declared) {
      if (declared.events.length === 0) problems.push(`${at} declares no event types`);
      const producers = new Set<string>();
      let anyProducer = false;
      for (const type of declared.events) {
        const of = producersOf(type);
        if (of === '*') anyProducer = true;
        else for (const producer of of) producers.add(producer);
      }
      if (anyProducer && !declared.from)
        problems.push(`${at}: ${declared.events.map((type) => type.type).join(', ')} may come from any service; say which with "from"`);
      for (const source of declared.from ?? []) {
        if (!anyProducer && !producers.has(source))
          problems.push(`${at}: "${source}" produces none of ${declared.events.map((type) => type.type).join(', ')}`);
      }
      if (declared.dataPattern !== undefined) problems.push(...checkDataPattern(declared.dataPattern, declared.events, at));
      subscriptions[name] = {
        kind: 'events',
        service: input.name,
        name,
        description: declared.description,
        events: declared.events,
        from: declared.from ?? [...producers].sort(),
        queue,
        function: declared.function,
        reportsStageFailures: declared.reportsStageFailures ?? true,
        ...(declared.redriveNote ? { redriveNote: declared.redriveNote } : {}),
        ...(declared.dataPattern ? { dataPattern: declared.dataPattern } : {}),
      };
    } else {
      if (!(declared.objectCreated.bucket in buckets))
        problems.push(`${at} listens to bucket "${declared.objectCreated.bucket}", which the service does not own`);
      subscriptions[name] = {
        kind: 'objectCreated',
        service: input.name,
        name,
        description: declared.description,
        bucket: declared.objectCreated.bucket,
        ...(declared.objectCreated.keyPrefix ? { keyPrefix: declared.objectCreated.keyPrefix } : {}),
        jobOf: declared.objectCreated.jobOf,
        queue,
        function: declared.function,
        reportsStageFailures: true,
        ...(declared.redriveNote ? { redriveNote: declared.redriveNote } : {}),
      };
    }
  }
  const schedules: Record<string, Schedule> = {};
  for (const [name, declared] of Object.entries(input.schedules ?? {})) {
    const at = `schedule "${name}"`;
    if (RESERVED_FUNCTION_NAMES.includes(name) || name in input.subscriptions) problems.push(`${at}: another function is named "${name}"`);
    if (!Number.isInteger(declared.everyMinutes) || declared.everyMinutes < 1 || declared.everyMinutes > 1440)
      problems.push(`${at}: everyMinutes must be an integer from 1 to 1440, got ${declared.everyMinutes}`);
    if (!Number.isInteger(declared.function.timeoutSeconds) || declared.function.timeoutSeconds < 1 || declared.function.timeoutSeconds > 900)
      problems.push(`${at}: function timeoutSeconds must be an integer from 1 to 900, got ${declared.function.timeoutSeconds}`);
    schedules[name] = { ...declared, service: input.name, name };
  }
  if (input.http) {
    for (const route of input.http.routes) if (!ROUTE.test(route)) problems.push(`HTTP route "${route}" must look like "GET /jobs/{id}"`);
    if (new Set(input.http.routes).size !== input.http.routes.length) problems.push('HTTP routes repeat');
    if (input.http.function.timeoutSeconds > MAX_HTTP_TIMEOUT_SECONDS)
      problems.push(`the HTTP function's timeout is over API Gateway's ${MAX_HTTP_TIMEOUT_SECONDS} s`);
  }
  if (input.websocket) {
    for (const route of input.websocket.routes)
      if (!WEBSOCKET_ROUTE.test(route)) problems.push(`WebSocket route "${route}" must be $connect, $disconnect, $default or a name`);
    if (new Set(input.websocket.routes).size !== input.websocket.routes.length) problems.push('WebSocket routes repeat');
    if (input.websocket.function.timeoutSeconds > MAX_WEBSOCKET_TIMEOUT_SECONDS)
      problems.push(`the WebSocket function's timeout is over API Gateway's ${MAX_WEBSOCKET_TIMEOUT_SECONDS} s`);
  }
  if (problems.length > 0) throw new Error(`${where} is not a valid declaration: ${problems.join('; ')}`);
  return {
    name: input.name,
    description: input.description,
    buckets,
    tables: input.tables ?? {},
    reads: input.reads ?? {},
    settings,
    subscriptions,
    schedules,
    http: input.http,
    websocket: input.websocket,
  } as unknown as ServiceDeclaration<I>;
}

function checkQueue(queue: QueueSettings & { maximumBatchingWindowSeconds: number }, size: FunctionSize, at: string): string[] {
  const problems: string[] = [];
  const within = (what: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${at}: ${what} must be an integer from ${min} to ${max}, got ${value}`);
  };
  within('visibilityTimeoutSeconds', queue.visibilityTimeoutSeconds, 1, 43_200);
  within('maxReceiveCount', queue.maxReceiveCount, 1, 1000);
  within('batchSize', queue.batchSize, 1, 10_000);
  within('maximumBatchingWindowSeconds', queue.maximumBatchingWindowSeconds, 0, 300);
  // SQS keeps a message 14 days at most; an alarm on an age it can never reach would never go off.
  if (queue.oldestMessageAlarmSeconds !== undefined) within('oldestMessageAlarmSeconds', queue.oldestMessageAlarmSeconds, 60, 1_209_600);
  within('function timeoutSeconds', size.timeoutSeconds, 1, 900);
  within('function memorySizeMb', size.memorySizeMb, 128, 10_240);
  // Lambda's rule of thumb (and the AWS docs'): a queue's visibility timeout at least 6x the function timeout, so a
  // message is not handed to a second consumer while the first may still be retrying it.
  if (queue.visibilityTimeoutSeconds < 6 * size.timeoutSeconds) {
    problems.push(`${at}: visibilityTimeoutSeconds ${queue.visibilityTimeoutSeconds} < 6 x function timeout ${size.timeoutSeconds}`);
  }
  return problems;
}

/**
 * A subscription's data pattern: a valid EventBridge pattern whose top-level fields are fields of every declared event
 * type's data (a misspelt field would match nothing, or with `{ exists: false }` everything, without a word).
 */
function checkDataPattern(pattern: EventPattern, events: readonly KnownEventType[], at: string): string[] {
  try {
    validateEventPattern(pattern, 'dataPattern');
  } catch (error) {
    return [`${at}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  for (const field of Object.keys(pattern)) {
    if (field === '$or') continue;
    for (const type of events) {
      const shape = type.data instanceof z.ZodObject ? (type.data.shape as Record<string, unknown>) : {};
      if (!(field in shape)) problems.push(`${at}: dataPattern names "${field}", which is not a field of ${type.type}'s data`);
    }
  }
  return problems;
}

/** `chunkWindow` -> `CHUNK_WINDOW`, unless the setting names its variable. */
export function settingEnvName(key: string, declared: Pick<SettingDeclaration, 'env'>): string {
  return declared.env ?? key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The environment variable that names one of the service's buckets on Lambda: `uploads` -> `UPLOADS_BUCKET`. */
export const bucketEnvName = (bucket: string): string => `${settingEnvName(bucket, {})}_BUCKET`;
/** The environment variable that names one of the service's tables on Lambda: `jobs` -> `JOBS_TABLE`. */
export const tableEnvName = (table: string): string => `${settingEnvName(table, {})}_TABLE`;

/**
 * The EventBridge pattern of a subscription's rule. For S3's events the bucket's name is given by the caller (a name
 * locally, a CloudFormation reference in a template): S3 publishes to the account's default bus, where other buckets'
 * events go too.
 */
export function subscriptionPattern(subscription: Subscription, bucketName?: unknown): EventPattern {
  if (subscription.kind === 'events') {
    return {
      source: subscription.from.map((service) => `refinery.${service}`),
      'detail-type': subscription.events.map((type) => type.type),
      // Every event's detail is { metadata, data } (libs/events envelope).
      ...(subscription.dataPattern ? { detail: { data: subscription.dataPattern } } : {}),
    };
  }
  if (bucketName === undefined)
    throw new Error(`the pattern of ${subscription.service}'s ${subscription.name} needs the name of bucket ${subscription.bucket}`);
  const pattern = {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: {
      bucket: { name: [bucketName] },
      ...(subscription.keyPrefix ? { object: { key: [{ prefix: subscription.keyPrefix }] } } : {}),
    },
  };
  if (typeof bucketName === 'string') validateEventPattern(pattern);
  return pattern as EventPattern;
}

/** A subscription's identity, as its handler reports it (logs, `stage.failed.v1`). */
export interface SubscriptionIdentity {
  readonly service: string;
  readonly name: string;
  /**
   * The delivery with receive count maxReceiveCount is the last before the dead-letter queue; a failed delivery comes
   * back at the latest after visibilityTimeoutSeconds.
   */
  readonly queue: { readonly maxReceiveCount: number; readonly visibilityTimeoutSeconds: number };
}

/** `writeBack` -> `write-back`: how a camelCase name appears in resource names. */
export const kebabName = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The queues of one subscription. */
export interface SubscriptionQueueNames {
  /** What its rule delivers to and its function consumes. */
  readonly queue: string;
  /** Where what it gave up on waits, for inspection and redrive (`refinery dlq`), its alarm in ALARM meanwhile. */
  readonly deadLetterQueue: string;
  /**
   * On AWS, where its queue (after maxReceiveCount) and its rule's target (an event EventBridge could not deliver) send
   * what they give up on: the service's dead-letter reporter reports each message's job failed, then parks the
   * message in the dead-letter queue. (The local queues report inside the dead-letter move itself.)
   */
  readonly deadLetterInbox: string;
}

/**
 * Queue names of a subscription. Locally `<service>-<subscription>`; on AWS `refinery-<service>-<stage>-<subscription>`
 * (what the generated configuration creates). The dead-letter queue adds `-dlq`, its inbox `-dlq-inbox`.
 */
export function subscriptionQueueNames(service: string, subscription: string, stage?: string): SubscriptionQueueNames {
  const name = kebabName(subscription);
  const queue = stage === undefined ? `${service}-${name}` : `refinery-${service}-${stage}-${name}`;
  return { queue, deadLetterQueue: `${queue}-dlq`, deadLetterInbox: `${queue}-dlq-inbox` };
}

import type { EventPattern } from '@refinery/event-patterns';
import type { Clock, EventPublisher, IdGenerator, Metrics, ObjectStore, SocketConnections, Table } from '@refinery/ports';
import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2, Context, ScheduledEvent } from 'aws-lambda';
import type { HttpInput, ServiceDeclaration, SettingsOf, Subscription, WebsocketInput } from './declaration';
import { subscriptionPattern } from './declaration';
import type { HttpApi, HttpApiHandler } from './http';
import type { Logger } from './logger';
import type { SubscriptionBinding } from './sqs';

/**
 * What API Gateway hands a WebSocket API's Lambda integration (proxy): `requestContext.eventType` CONNECT, MESSAGE or
 * DISCONNECT, the `routeKey` and `connectionId`; `headers` (as the client sent them, names in any case) and
 * `queryStringParameters` on CONNECT; the frame's text in `body` on MESSAGE.
 */
export type WebSocketEvent = Omit<APIGatewayProxyWebsocketEventV2, 'requestContext'> & {
  readonly requestContext: Omit<APIGatewayEventWebsocketRequestContextV2, 'messageId'> & {
    /** MESSAGE events only. */
    readonly messageId?: string;
    readonly identity?: { readonly sourceIp: string; readonly userAgent?: string };
    /** DISCONNECT events: the close code and reason. */
    readonly disconnectStatusCode?: number;
    readonly disconnectReason?: string;
  };
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>>;
};

/**
 * A WebSocket integration's answer. On CONNECT a status other than 2xx refuses the handshake with it, and
 * `Sec-WebSocket-Protocol` in `headers` selects the subprotocol. On MESSAGE and DISCONNECT it is ignored (no route
 * responses): a handler answers a client by posting to its connection.
 */
export interface WebSocketResult {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type WebSocketHandler = (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>;

/** A declared schedule's function: EventBridge's Scheduled Event in (`time` is when the run was due). */
export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<void>;

/** The ports every service gets, whatever adapters implement them. */
export interface CommonDeps {
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  /** What the service counts (libs/ports/src/metrics.ts): CloudWatch metrics on AWS, `/metrics` locally. */
  readonly metrics: Metrics;
}

type HttpOf<D> = D extends { readonly http: HttpInput } ? HttpInput : undefined;
type WebsocketOf<D> = D extends { readonly websocket: WebsocketInput } ? WebsocketInput : undefined;

/** What a declaration's resources and settings are on one platform: the ports and values a service is built from. */
export interface ServiceContext<D extends ServiceDeclaration = ServiceDeclaration> extends CommonDeps {
  readonly objects: ObjectStore;
  /** The name of each declared bucket on this platform. */
  readonly buckets: { readonly [K in keyof D['buckets']]: string };
  readonly tables: { readonly [K in keyof D['tables']]: Table };
  readonly settings: SettingsOf<D>;
  /** The connections of the service's WebSocket API (only services that declare one may use it). */
  readonly sockets: SocketConnections;
}

type SchedulesOf<D extends ServiceDeclaration> = [keyof D['schedules']] extends [never]
  ? { readonly schedules?: undefined }
  : { readonly schedules: { readonly [K in keyof D['schedules']]: ScheduledHandler } };

/** The handlers of a service: one per declared subscription and schedule, its HTTP and WebSocket APIs when declared. */
export type ServiceParts<D extends ServiceDeclaration> = {
  readonly subscriptions: { readonly [K in keyof D['subscriptions']]: SubscriptionBinding };
} & SchedulesOf<D> &
  (HttpOf<D> extends HttpInput ? { readonly http: HttpApi } : { readonly http?: undefined }) &
  (WebsocketOf<D> extends WebsocketInput ? { readonly websocket: WebSocketHandler } : { readonly websocket?: undefined });

/**
 * A service: its declaration and how its handlers are built from a context. `Given` is what a caller may hand in
 * instead of having it built from settings (a ready provider chain, a fake sleep in tests); every property optional.
 */
export interface ServiceImplementation<D extends ServiceDeclaration = ServiceDeclaration, Given extends object = object> {
  readonly declaration: D;
  readonly create: (context: ServiceContext<D>, given: Given) => ServiceParts<D> | Promise<ServiceParts<D>>;
}

export function implementService<D extends ServiceDeclaration, Given extends object = object>(
  declaration: D,
  create: (context: ServiceContext<D>, given: Given) => ServiceParts<D> | Promise<ServiceParts<D>>,
): ServiceImplementation<D, Given> {
  return { declaration, create };
}

/** A family of adapters (AWS, local) that turns a declaration into the context its service is built from. */
export interface Platform {
  /**
   * The context of a service, or an error naming every setting and resource name that is missing or wrong. `settings`
   * are values the caller gives directly (the local mode, tests), before the declared defaults.
   */
  context<D extends ServiceDeclaration>(declaration: D, settings: Partial<SettingsOf<D>>): ServiceContext<D>;
  /** A bucket's name in a subscription's rule: the name itself, or what stands for it (a template reference). */
  bucketName(service: string, bucket: string): string;
}

/** A subscription ready to run: its declaration, its rule's pattern on this platform, its function. */
export interface RunnableSubscription extends SubscriptionBinding {
  readonly declaration: Subscription;
  readonly pattern: EventPattern;
  /** For S3 subscriptions: the bucket (by name on this platform) whose Object Created events must reach the bus. */
  readonly objectCreatedBucket?: string;
}

/** A service ready to run on a platform: what the local runtime registers, and what Lambda entry points call. */
export interface RunnableService<D extends ServiceDeclaration = ServiceDeclaration> {
  readonly declaration: D;
  readonly subscriptions: { readonly [K in keyof D['subscriptions']]: RunnableSubscription };
  readonly schedules: { readonly [K in keyof D['schedules']]: ScheduledHandler };
  readonly http?: HttpApiHandler;
  readonly websocket?: WebSocketHandler;
}

export interface ComposeOptions<D extends ServiceDeclaration, Given extends object> {
  readonly settings?: Partial<SettingsOf<D>>;
  readonly given?: Given;
}

/**
 * The one function that builds a service on a platform, for the Lambda entry points and the local mode alike: resolves
 * its declaration into ports and settings, builds its handlers, and checks they are exactly what it declares.
 */
export async function composeService<D extends ServiceDeclaration, Given extends object>(
  service: ServiceImplementation<D, Given>,
  platform: Platform,
  options: ComposeOptions<D, Given> = {},
): Promise<RunnableService<D>> {
  const { declaration } = service;
  const context = platform.context(declaration, options.settings ?? {});
  const parts = await service.create(context, options.given ?? ({} as Given));
  const problems = partsProblems(declaration, parts as ServiceParts<ServiceDeclaration>);
  if (problems.length > 0) throw new Error(`service ${declaration.name} does not implement its declaration: ${problems.join('; ')}`);
  const subscriptions: Record<string, RunnableSubscription> = {};
  for (const [name, subscription] of Object.entries(declaration.subscriptions as Record<string, Subscription>)) {
    const binding = (parts.subscriptions as Record<string, SubscriptionBinding>)[name] as SubscriptionBinding;
    const bucket = subscription.kind === 'objectCreated' ? platform.bucketName(declaration.name, subscription.bucket) : undefined;
    subscriptions[name] = {
      declaration: subscription,
      pattern: subscriptionPattern(subscription, bucket),
      handler: binding.handler,
      ...(bucket ? { objectCreatedBucket: bucket } : {}),
    };
  }
  return {
    declaration,
    subscriptions: subscriptions as RunnableService<D>['subscriptions'],
    schedules: (parts.schedules ?? {}) as RunnableService<D>['schedules'],
    ...(parts.http ? { http: parts.http } : {}),
    ...(parts.websocket ? { websocket: parts.websocket } : {}),
  };
}

function partsProblems(declaration: ServiceDeclaration, parts: ServiceParts<ServiceDeclaration>): string[] {
  const problems: string[] = [];
  const declared = Object.keys(declaration.subscriptions);
  const given = Object.keys(parts.subscriptions);
  for (const name of declared) if (!given.includes(name)) problems.push(`no handler for subscription "${name}"`);
  for (const name of given) if (!declared.includes(name)) problems.push(`a handler for undeclared subscription "${name}"`);
  const declaredSchedules = Object.keys(declaration.schedules);
  const givenSchedules = Object.keys(parts.schedules ?? {});
  for (const name of declaredSchedules) if (!givenSchedules.includes(name)) problems.push(`no handler for schedule "${name}"`);
  for (const name of givenSchedules) if (!declaredSchedules.includes(name)) problems.push(`a handler for undeclared schedule "${name}"`);
  const routes = declaration.http?.routes ?? [];
  const served = (parts.http as HttpApi | undefined)?.routeKeys ?? [];
  if (declaration.http && !parts.http) problems.push('no HTTP API for its declared routes');
  for (const route of routes) if (parts.http && !served.includes(route)) problems.push(`its HTTP API does not serve the declared route "${route}"`);
  for (const route of served) if (!routes.includes(route)) problems.push(`its HTTP API serves "${route}", which it does not declare`);
  if (Boolean(declaration.websocket) !== Boolean(parts.websocket)) {
    problems.push(declaration.websocket ? 'no handler for its declared WebSocket API' : 'a WebSocket handler but no declared WebSocket API');
  }
  return problems;
}

import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import type { EventPublisher, Clock, IdGenerator } from '@refinery/ports';
import type { HttpApiHandler } from './http';
import type { Logger } from './logger';
import type { ServiceManifest } from './manifest';
import type { FailureSubject, SqsBatchHandler } from './sqs';

export interface SubscriptionBinding {
  readonly handler: SqsBatchHandler;
  /** What a message of this subscription is about (for dead-letter reports); default: one of our catalog events. */
  readonly describe?: (body: string) => FailureSubject | undefined;
}

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

/**
 * A service, ready to run: its manifest and the handler functions for each declared subscription, its HTTP API and its
 * WebSocket API. The local runtime runs these directly; on Lambda each handler is one function.
 */
export interface ServiceDefinition {
  readonly manifest: ServiceManifest;
  readonly subscriptions: Readonly<Record<string, SubscriptionBinding>>;
  readonly http?: HttpApiHandler;
  /** The handler of every route of the manifest's `websocket` section. */
  readonly websocket?: WebSocketHandler;
}

/** The ports every service gets, whatever adapters implement them. */
export interface CommonDeps {
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
}

import { createHash, randomUUID } from 'node:crypto';
import type { PublishEntry } from '@refinery/ports';
import { z } from 'zod';
import { findEventType, type KnownEventType } from './catalog';
import { type EventBridgeEvent, type EventMetadata, eventBridgeEventSchema, serviceSource } from './envelope';
import { type DomainEvent, type EventData, type EventType, producersOf } from './event-type';

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    message: string,
    readonly detailType: string,
  ) {
    super(message);
  }
}

/**
 * A stable id for an event derived from what caused it. A handler that runs twice for the same cause (at-least-once
 * delivery) publishes an event with the same id both times, so history stores and webhooks can drop the copy.
 */
export function deriveEventId(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  // Formatted as a version-5-style UUID so it looks like every other id on the bus.
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-5${hash.slice(13, 16)}-${((parseInt(hash.slice(16, 18), 16) & 0x3f) | 0x80)
    .toString(16)
    .padStart(2, '0')}${hash.slice(18, 20)}-${hash.slice(20, 32)}`;
}

export interface NewEventInput<T extends EventType> {
  /** The publishing service, e.g. 'chunker'. */
  readonly service: string;
  readonly metadata: Omit<EventMetadata, 'eventId' | 'occurredAt'> & { eventId?: string; occurredAt?: string };
  readonly data: z.input<T['data']>;
}

/** Builds a validated event of `type`. Throws when the data does not fit the schema or the service may not publish it. */
export function createEvent<T extends EventType>(type: T, input: NewEventInput<T>): DomainEvent<T> {
  const producers = producersOf(type);
  if (producers !== '*' && !producers.includes(input.service)) {
    throw new Error(`${input.service} may not publish ${type.type}: its producer is ${producers.join(' or ')}`);
  }
  const parsed = type.data.safeParse(input.data);
  if (!parsed.success) {
    throw new EventValidationError(`invalid ${type.type} data: ${z.prettifyError(parsed.error)}`, type.type);
  }
  const metadata: EventMetadata = {
    tenantId: input.metadata.tenantId,
    jobId: input.metadata.jobId,
    correlationId: input.metadata.correlationId,
    causationId: input.metadata.causationId,
    eventId: input.metadata.eventId ?? randomUUID(),
    occurredAt: input.metadata.occurredAt ?? new Date().toISOString(),
  };
  return { type: type.type, source: serviceSource(input.service), metadata, data: parsed.data as EventData<T> };
}

/** Metadata for an event caused by `cause`: same tenant, job and correlation; causation points at the cause. */
export function followUpMetadata(cause: { metadata: EventMetadata }, eventId: string): Omit<EventMetadata, 'occurredAt'> {
  return {
    eventId,
    tenantId: cause.metadata.tenantId,
    jobId: cause.metadata.jobId,
    correlationId: cause.metadata.correlationId,
    causationId: cause.metadata.eventId,
  };
}

export function toPublishEntry(event: DomainEvent): PublishEntry {
  return {
    source: event.source,
    detailType: event.type,
    detail: JSON.stringify({ metadata: event.metadata, data: event.data }),
  };
}

export type DecodedEvent = { [K in KnownEventType as K['type']]: DomainEvent<K> }[KnownEventType['type']];

/**
 * Reads the JSON body of an SQS message that EventBridge delivered: checks the envelope, finds the event type by its
 * detail-type and validates `detail` with that type's schema (unknown fields are dropped, so additive changes are safe).
 */
export function decodeEventBridgeMessage(body: string): DecodedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new EventValidationError(`message body is not JSON: ${(error as Error).message}`, 'unknown');
  }
  const envelope = eventBridgeEventSchema.safeParse(json);
  if (!envelope.success) {
    throw new EventValidationError(`message is not an EventBridge event: ${z.prettifyError(envelope.error)}`, 'unknown');
  }
  return decodeEnvelope(envelope.data);
}

export function decodeEnvelope(envelope: EventBridgeEvent): DecodedEvent {
  const detailType = envelope['detail-type'];
  const type = findEventType(detailType);
  if (!type) {
    throw new EventValidationError(`unknown event type "${detailType}"`, detailType);
  }
  const detail = type.detail.safeParse(envelope.detail);
  if (!detail.success) {
    throw new EventValidationError(`invalid ${detailType} detail: ${z.prettifyError(detail.error)}`, detailType);
  }
  const { metadata, data } = detail.data as { metadata: EventMetadata; data: unknown };
  return { type: detailType, source: envelope.source, metadata, data } as DecodedEvent;
}

/** Narrows a decoded event to one type. */
export function isEventOf<T extends KnownEventType>(event: DecodedEvent, type: T): event is Extract<DecodedEvent, { type: T['type'] }> {
  return event.type === type.type;
}

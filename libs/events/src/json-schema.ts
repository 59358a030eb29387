import { z } from 'zod';
import { EVENT_TYPES } from './catalog';
import { type EventType, producersOf } from './event-type';

export interface GeneratedSchema {
  /** File name under `schemas/`, e.g. `job.submitted.v1.json`. */
  readonly fileName: string;
  readonly content: string;
}

/**
 * JSON Schema (draft 2020-12) of one event type's `detail`. Generated for the input side so that objects stay open:
 * consumers must ignore fields they do not know, which is what lets additive changes keep the major version.
 */
function describeProducers(type: EventType): string {
  const producers = producersOf(type);
  return producers === '*' ? 'any service' : producers.map((producer) => `refinery.${producer}`).join(', ');
}

export function detailJsonSchema(type: EventType): Record<string, unknown> {
  const schema = z.toJSONSchema(type.detail, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: `https://schemas.contact-refinery.dev/events/${type.type}.json`,
    title: type.type,
    'x-producer': describeProducers(type),
    ...schema,
  };
}

export function generateEventSchemas(types: readonly EventType[] = EVENT_TYPES): GeneratedSchema[] {
  return types.map((type) => ({
    fileName: `${type.type}.json`,
    content: `${JSON.stringify(detailJsonSchema(type), null, 2)}\n`,
  }));
}

import { z } from 'zod';
import { type EventMetadata, eventMetadataSchema } from './envelope';

const DETAIL_TYPE_PATTERN = /^([a-z]+(?:-[a-z]+)*)\.([a-z]+(?:-[a-z]+)*)\.v(\d+)$/;

export interface EventTypeDefinition<TType extends string, TData extends z.ZodType> {
  /** `detail-type`: `<entity>.<past-tense-verb>.v<major>`. */
  readonly type: TType;
  /**
   * The service that produces it (its EventBridge source is `refinery.<producer>`), several services when more than
   * one may (jobs are created by ingest for files and by mailchimp-sync for audiences), or '*' when any service may.
   */
  readonly producer: string | readonly string[];
  readonly description: string;
  readonly data: TData;
  /** A realistic example of `data`, used by the docs and checked against the schema by tests. */
  readonly example: z.input<TData>;
}

export interface EventType<TType extends string = string, TData extends z.ZodType = z.ZodType> extends EventTypeDefinition<TType, TData> {
  readonly entity: string;
  readonly verb: string;
  readonly majorVersion: number;
  /** Schema of the whole `detail`: `{ metadata, data }`. */
  readonly detail: z.ZodObject<{ metadata: typeof eventMetadataSchema; data: TData }>;
}

export type EventData<T extends EventType> = z.output<T['data']>;

export interface DomainEvent<T extends EventType = EventType> {
  readonly type: T['type'];
  readonly source: string;
  readonly metadata: EventMetadata;
  readonly data: EventData<T>;
}

/** The services that may publish an event of this type, or '*' for any. */
export function producersOf(type: Pick<EventTypeDefinition<string, z.ZodType>, 'producer'>): readonly string[] | '*' {
  if (type.producer === '*') return '*';
  return typeof type.producer === 'string' ? [type.producer] : type.producer;
}

export function defineEventType<TType extends string, TData extends z.ZodType>(
  definition: EventTypeDefinition<TType, TData>,
): EventType<TType, TData> {
  const parts = DETAIL_TYPE_PATTERN.exec(definition.type);
  if (!parts) {
    throw new Error(`event type "${definition.type}" must look like <entity>.<past-tense-verb>.v<major>`);
  }
  return {
    ...definition,
    entity: parts[1] as string,
    verb: parts[2] as string,
    majorVersion: Number(parts[3]),
    detail: z.object({ metadata: eventMetadataSchema, data: definition.data }).describe(definition.description),
  };
}

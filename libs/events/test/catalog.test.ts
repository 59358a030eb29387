import {
  chunkPlannedV1,
  createEvent,
  decodeEventBridgeMessage,
  deriveEventId,
  EVENT_TYPES,
  findEventType,
  followUpMetadata,
  generateEventSchemas,
  jobSubmittedV1,
  stageFailedV1,
  toPublishEntry,
} from '../src';

const metadata = { tenantId: 'acme', jobId: 'job_1', correlationId: 'req_1', causationId: 'req_1' };

function asEventBridge(entry: { source: string; detailType: string; detail: string }, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0',
    id: 'eb-1',
    'detail-type': entry.detailType,
    source: entry.source,
    account: '000000000000',
    time: '2026-11-28T12:00:00Z',
    region: 'local',
    resources: [],
    detail: { ...JSON.parse(entry.detail), ...extra },
  });
}

describe('event catalog', () => {
  it.each(EVENT_TYPES.map((type) => [type.type, type] as const))('%s: its example fits its schema and its name is versioned', (_name, type) => {
    expect(type.data.safeParse(type.example).success).toBe(true);
    expect(type.type).toMatch(/^[a-z-]+\.[a-z-]+\.v\d+$/);
    expect(findEventType(type.type)).toBe(type);
  });

  it('builds an event with metadata filled in and refuses a producer that does not own the type', () => {
    const event = createEvent(jobSubmittedV1, { service: 'ingest', metadata, data: jobSubmittedV1.example });
    expect(event.source).toBe('refinery.ingest');
    expect(event.metadata.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(event.metadata.occurredAt).toISOString()).toBe(event.metadata.occurredAt);
    expect(() => createEvent(jobSubmittedV1, { service: 'matcher', metadata, data: jobSubmittedV1.example })).toThrow(
      'matcher may not publish job.submitted.v1',
    );
    expect(createEvent(stageFailedV1, { service: 'matcher', metadata, data: stageFailedV1.example }).source).toBe('refinery.matcher');
  });

  it('refuses data that does not fit the schema, saying where', () => {
    expect(() =>
      createEvent(chunkPlannedV1, { service: 'chunker', metadata, data: { ...chunkPlannedV1.example, chunk: { index: -1, count: 0 } } }),
    ).toThrow(/invalid chunk.planned.v1 data[\s\S]*chunk\.index/);
  });

  it('decodes what EventBridge delivers, dropping unknown fields (additive changes keep the version)', () => {
    const event = createEvent(chunkPlannedV1, { service: 'chunker', metadata, data: chunkPlannedV1.example });
    const body = asEventBridge(toPublishEntry(event));
    const withExtra = JSON.parse(body);
    withExtra.detail.data.addedLater = 'ignored';
    const decoded = decodeEventBridgeMessage(JSON.stringify(withExtra));
    expect(decoded.type).toBe('chunk.planned.v1');
    expect(decoded.metadata).toEqual(event.metadata);
    expect(decoded.data).toEqual(chunkPlannedV1.example);
    expect(decoded.data).not.toHaveProperty('addedLater');
  });

  it('explains messages it cannot decode', () => {
    expect(() => decodeEventBridgeMessage('{')).toThrow('message body is not JSON');
    expect(() => decodeEventBridgeMessage('{"hello":1}')).toThrow('message is not an EventBridge event');
    const unknown = asEventBridge({ source: 'x', detailType: 'thing.happened.v9', detail: '{}' });
    expect(() => decodeEventBridgeMessage(unknown)).toThrow('unknown event type "thing.happened.v9"');
    const broken = asEventBridge({ source: 'refinery.chunker', detailType: 'chunk.planned.v1', detail: JSON.stringify({ metadata, data: {} }) });
    expect(() => decodeEventBridgeMessage(broken)).toThrow(/invalid chunk.planned.v1 detail[\s\S]*metadata.eventId/);
  });

  it('derives stable, UUID-shaped event ids from their causes', () => {
    const a = deriveEventId('cause-1', 'chunk.matched.v1');
    expect(a).toBe(deriveEventId('cause-1', 'chunk.matched.v1'));
    expect(a).not.toBe(deriveEventId('cause-2', 'chunk.matched.v1'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries tenant, job and correlation to follow-up events and points causation at the cause', () => {
    const cause = createEvent(jobSubmittedV1, { service: 'ingest', metadata, data: jobSubmittedV1.example });
    expect(followUpMetadata(cause, 'next')).toEqual({ ...metadata, eventId: 'next', causationId: cause.metadata.eventId });
  });

  it('generates one open JSON Schema per event type with the envelope', () => {
    const schemas = generateEventSchemas();
    expect(schemas.map((s) => s.fileName)).toEqual(EVENT_TYPES.map((t) => `${t.type}.json`));
    const planned = JSON.parse(schemas.find((s) => s.fileName === 'chunk.planned.v1.json')!.content);
    expect(planned).toMatchObject({ title: 'chunk.planned.v1', 'x-producer': 'refinery.chunker', required: ['metadata', 'data'] });
    expect(planned.properties.metadata.required).toEqual(['eventId', 'occurredAt', 'tenantId', 'jobId', 'correlationId', 'causationId']);
    expect(planned).not.toHaveProperty('additionalProperties', false);
  });
});

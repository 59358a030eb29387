import { z } from 'zod';
import { loadConfig, parseServiceManifest, subscriptionOf } from '../src';

describe('loadConfig', () => {
  const schema = z.object({ UPLOADS_BUCKET: z.string().min(3), CHUNK_ROWS: z.coerce.number().int().positive() });

  it('parses settings', () => {
    expect(loadConfig(schema, { UPLOADS_BUCKET: 'bucket', CHUNK_ROWS: '500' })).toEqual({ UPLOADS_BUCKET: 'bucket', CHUNK_ROWS: 500 });
  });

  it('fails fast naming every setting that is missing or malformed', () => {
    expect(() => loadConfig(schema, { CHUNK_ROWS: 'many' })).toThrow(/invalid configuration from environment: UPLOADS_BUCKET: .*; CHUNK_ROWS: /);
  });
});

describe('parseServiceManifest', () => {
  const subscription = {
    description: 'd',
    pattern: { source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'] },
    queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 5, batchSize: 1 },
    function: { timeoutSeconds: 60, memorySizeMb: 1024 },
  };
  const manifest = { service: 'matcher', description: 'd', subscriptions: { chunks: subscription } };

  it('accepts a manifest and fills defaults', () => {
    expect(parseServiceManifest(manifest, 'test').subscriptions.chunks?.queue.maximumBatchingWindowSeconds).toBe(0);
  });

  it('refuses a visibility timeout under six times the function timeout', () => {
    const bad = { ...manifest, subscriptions: { chunks: { ...subscription, queue: { ...subscription.queue, visibilityTimeoutSeconds: 359 } } } };
    expect(() => parseServiceManifest(bad, 'x.json')).toThrow('subscription "chunks" has visibilityTimeoutSeconds 359 < 6 x function timeout 60');
  });

  it('refuses invalid event patterns and route keys', () => {
    const badPattern = { ...manifest, subscriptions: { chunks: { ...subscription, pattern: { source: [] } } } };
    expect(() => parseServiceManifest(badPattern, 'x.json')).toThrow('not a valid EventBridge event pattern');
    const badRoute = { ...manifest, http: { routes: ['FETCH /x'], function: { timeoutSeconds: 10, memorySizeMb: 256 } } };
    expect(() => parseServiceManifest(badRoute, 'x.json')).toThrow('a route key like "GET /jobs/{id}"');
  });

  it('accepts an optional WebSocket section and refuses bad route keys and timeouts over API Gateway limit', () => {
    expect(parseServiceManifest(manifest, 'test').websocket).toBeUndefined();
    const websocket = { routes: ['$connect', '$disconnect', '$default'], function: { timeoutSeconds: 10, memorySizeMb: 256 } };
    expect(parseServiceManifest({ ...manifest, websocket }, 'test').websocket).toEqual(websocket);
    expect(() => parseServiceManifest({ ...manifest, websocket: { ...websocket, routes: ['$open'] } }, 'x.json')).toThrow('a WebSocket route key');
    expect(() => parseServiceManifest({ ...manifest, websocket: { ...websocket, routes: ['$default', '$default'] } }, 'x.json')).toThrow('must not repeat');
    expect(() => parseServiceManifest({ ...manifest, websocket: { ...websocket, function: { timeoutSeconds: 30, memorySizeMb: 256 } } }, 'x.json')).toThrow(
      'websocket.function.timeoutSeconds',
    );
  });

  it("gives a handler its subscription's identity from the manifest, and refuses an undeclared one", () => {
    const parsed = parseServiceManifest(manifest, 'test');
    expect(subscriptionOf(parsed, 'chunks')).toEqual({ service: 'matcher', subscription: 'chunks', maxReceiveCount: 5 });
    expect(() => subscriptionOf(parsed, 'other')).toThrow('service matcher declares no subscription "other"');
  });
});

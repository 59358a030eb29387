import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
// fauxqs ships only ES modules; Jest maps the name to its build (see jest.config.js).
import { buildApp } from 'fauxqs';

// dynalite has no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface ObjectCreatedNotice {
  readonly bucket: string;
  readonly key: string;
}

export interface AwsEmulators {
  readonly region: string;
  /** fauxqs: SQS and S3 on one endpoint (S3 path-style). */
  readonly fauxqsEndpoint: string;
  /** dynalite: DynamoDB. */
  readonly dynamoEndpoint: string;
  /** SDK client settings for the emulators (static test credentials). */
  clientConfig(service: 's3' | 'sqs' | 'dynamodb'): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle?: boolean;
  };
  /** Creates a table with our key schema (`pk` HASH, `sk` RANGE, strings), on demand, as every serverless.yml does. */
  createTable(name: string): Promise<void>;
  /** Calls `listener` after every object S3 completes (PutObject, CompleteMultipartUpload, CopyObject). */
  onObjectCreated(listener: (notice: ObjectCreatedNotice) => void): () => void;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/**
 * The emulators AWS adapters are tested against, in this process: fauxqs 1.9.2 (SQS + S3, memory only) and dynalite 4
 * (DynamoDB). Two things real S3 does and fauxqs does not are added as hooks, with S3's documented behaviour:
 * conditional create (`If-None-Match: *` on PutObject / CompleteMultipartUpload answers 412 when the key exists) and the
 * "Object Created" notification S3 sends to EventBridge (here: a callback, which a test's EventBridge stand-in turns
 * into the event).
 */
export async function startAwsEmulators(): Promise<AwsEmulators> {
  const app = buildApp({ logger: false });
  const listeners = new Set<(notice: ObjectCreatedNotice) => void>();
  let fauxqsEndpoint = '';

  app.addHook('onRequest', async (request, reply) => {
    const target = s3Target(request.method, request.url);
    if (!target?.creates || request.headers['if-none-match'] !== '*') return;
    // A HEAD over loopback (Fastify's inject pulls in an ES-module-only dependency that Jest cannot load).
    const head = await fetch(`${fauxqsEndpoint}/${target.bucket}/${encodeKey(target.key)}`, { method: 'HEAD' });
    if (head.status === 200) {
      await reply
        .code(412)
        .header('content-type', 'application/xml')
        .send(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>',
        );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const target = s3Target(request.method, request.url);
    if (!target?.creates || reply.statusCode !== 200) return;
    for (const listener of listeners) listener({ bucket: target.bucket, key: target.key });
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  fauxqsEndpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;

  const clientConfig: AwsEmulators['clientConfig'] = (service) => ({
    endpoint: service === 'dynamodb' ? dynamoEndpoint : fauxqsEndpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(service === 's3' ? { forcePathStyle: true } : {}),
  });
  return {
    region: REGION,
    fauxqsEndpoint,
    dynamoEndpoint,
    clientConfig,
    createTable: async (name) => {
      const client = new DynamoDBClient(clientConfig('dynamodb'));
      try {
        await client.send(
          new CreateTableCommand({
            TableName: name,
            KeySchema: [
              { AttributeName: 'pk', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: 'sk', AttributeType: 'S' },
            ],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } finally {
        client.destroy();
      }
    },
    onObjectCreated: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      await app.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** The bucket and key of a path-style S3 request, and whether it completes an object. */
function s3Target(method: string, rawUrl: string): { bucket: string; key: string; creates: boolean } | undefined {
  const url = new URL(rawUrl, 'http://emulator');
  const [, bucket, ...keyParts] = url.pathname.split('/');
  if (!bucket || keyParts.length === 0 || keyParts.join('') === '') return undefined;
  const key = keyParts.map((part) => decodeURIComponent(part)).join('/');
  const isPartUpload = url.searchParams.has('partNumber');
  const creates = (method === 'PUT' && !isPartUpload && !url.searchParams.has('uploadId')) || (method === 'POST' && url.searchParams.has('uploadId'));
  return { bucket, key, creates };
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

// What a run on the emulator would cost on AWS, counted at the one place every AWS call goes through: an HTTP proxy in
// front of moto's server (startEmulator's `interpose`). Each request is parsed as AWS reads it (X-Amz-Target for the
// JSON protocols of DynamoDB, SQS and EventBridge; S3's REST verbs and query strings; the SigV4 credential scope for
// the service) and billed as AWS bills it:
//
// - DynamoDB on demand: reads in 4 KB units (strongly consistent 1, eventually consistent 0.5, transactional 2 per
//   unit), Query and Scan on the summed size of the items a request returns, BatchGetItem per item; writes in 1 KB
//   units (transactional 2 per unit), BatchWriteItem per item, a Put, Update or Delete on the larger of the item before
//   and after (the meter knows every item's size: it sees every write, and looks an item up in moto, uncounted, the
//   first time it meets one). A read or write of nothing still costs one unit; a write refused by its condition is
//   billed as if it had been written (DynamoDB bills it on the existing item's size: the meter's figure can be higher).
//   Not seen: items a FilterExpression drops or a ProjectionExpression trims (nothing here uses either).
// - S3: tier 1 (PUT, COPY, POST, LIST) and tier 2 (GET, HEAD) requests; DELETE is free.
// - EventBridge: PutEvents entries accepted, each 64 KB chunk of an entry one event.
// - SQS: each 64 KB chunk of a request's payload one request. Messages EventBridge delivers into a queue never cross
//   HTTP (moto does it inside): each message received for the first time that no SendMessage put there is counted as
//   one delivery (one SendMessage). A receive that brings nothing is counted apart (`sqs.emptyReceives`): how many
//   there are depends on how long queues sit idle and on the pollers' wait (Lambda's pollers long-poll), not on work.

const KB = 1024;
const SQS_CHUNK = 64 * KB;
const EVENT_CHUNK = 64 * KB;

/** A DynamoDB attribute value as it travels (the JSON protocol). */
export type WireValue = {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  L?: WireValue[];
  M?: Record<string, WireValue>;
  SS?: string[];
  NS?: string[];
  BS?: string[];
};
export type WireItem = Record<string, WireValue>;

/** DynamoDB's documented item size: names plus values; numbers one byte per two significant digits plus one. */
export function wireItemBytes(item: WireItem | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + wireValueBytes(value);
  return size;
}

function wireValueBytes(value: WireValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + 1 + wireValueBytes(element), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + wireValueBytes(element), 0);
  if (value.SS) return value.SS.reduce((sum, member) => sum + Buffer.byteLength(member), 0);
  if (value.NS) return value.NS.reduce((sum, member) => sum + numberBytes(member), 0);
  if (value.BS) return value.BS.reduce((sum, member) => sum + Buffer.from(member, 'base64').length, 0);
  return 0;
}

function numberBytes(text: string): number {
  const mantissa = text.replace(/^[+-]/, '').replace(/e.*$/i, '').replace('.', '');
  const significant = mantissa.replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(significant.length, 1) / 2) + 1;
}

export type ReadKind = 'strong' | 'eventual' | 'transactional';

/** Read units of one read of `bytes` (rounded up to 4 KB; a read of nothing is still one unit). */
export function readUnits(bytes: number, kind: ReadKind): number {
  const units = Math.ceil(Math.max(bytes, 1) / (4 * KB));
  return units * (kind === 'strong' ? 1 : kind === 'eventual' ? 0.5 : 2);
}

/** Write units of one write of an item of `bytes` (rounded up to 1 KB; at least one unit). */
export function writeUnits(bytes: number, transactional = false): number {
  return Math.ceil(Math.max(bytes, 1) / KB) * (transactional ? 2 : 1);
}

/** EventBridge's entry size: Source, DetailType, Detail, each Resources item, and 14 bytes for Time when given. */
export function eventEntryChunks(entry: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; Time?: unknown }): number {
  const size =
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, resource) => sum + Buffer.byteLength(resource), 0) +
    (entry.Time !== undefined ? 14 : 0);
  return Math.max(1, Math.ceil(size / EVENT_CHUNK));
}

/** SQS requests one call with this payload is billed as (each 64 KB chunk one request). */
export function sqsRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK));
}

export type S3RequestKind = 'PUT' | 'COPY' | 'POST' | 'LIST' | 'GET' | 'HEAD' | 'DELETE' | 'OTHER';
export const S3_TIER_1: readonly S3RequestKind[] = ['PUT', 'COPY', 'POST', 'LIST'];
export const S3_TIER_2: readonly S3RequestKind[] = ['GET', 'HEAD'];

/** What S3 bills a REST request as: a GET of a bucket (not of an object) is a LIST, a PUT with a copy source a COPY. */
export function s3RequestKind(method: string, url: URL, headers: IncomingHttpHeaders): S3RequestKind {
  const upper = method.toUpperCase();
  if (upper === 'PUT') return headers['x-amz-copy-source'] ? 'COPY' : 'PUT';
  if (upper === 'POST') return 'POST';
  if (upper === 'HEAD') return 'HEAD';
  if (upper === 'DELETE') return 'DELETE';
  if (upper !== 'GET') return 'OTHER';
  const virtualHosted = !/^(\d+\.\d+\.\d+\.\d+|localhost|\[[^\]]*\])(:\d+)?$/.test(String(headers.host ?? ''));
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const objectKeySegments = virtualHosted ? segments.length : segments.length - 1;
  const bucketQuery = ['list-type', 'uploads', 'versions'].some((name) => url.searchParams.has(name));
  return objectKeySegments <= 0 || bucketQuery ? 'LIST' : 'GET';
}

/** The AWS service a request is for: from X-Amz-Target's prefix, else the SigV4 credential scope (header or presigned URL). */
export function serviceOf(headers: IncomingHttpHeaders, url: URL): string {
  const target = String(headers['x-amz-target'] ?? '');
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  if (target.startsWith('AmazonSQS')) return 'sqs';
  if (target.startsWith('AWSEvents')) return 'events';
  if (target.startsWith('AmazonSSM')) return 'ssm';
  const credential = /Credential=([^,\s]+)/.exec(String(headers.authorization ?? ''))?.[1] ?? url.searchParams.get('X-Amz-Credential') ?? '';
  return credential.split('/')[3] ?? 'unknown';
}

/** The tables a DynamoDB request names: its TableName, or each table of a batch's or a transaction's items. */
function tablesOf(request: Json): string[] {
  if (typeof request.TableName === 'string') return [request.TableName];
  const tables = new Set<string>();
  if (request.RequestItems && typeof request.RequestItems === 'object') for (const table of Object.keys(request.RequestItems)) tables.add(table);
  for (const item of (request.TransactItems ?? []) as Record<string, { TableName?: string }>[])
    for (const operation of Object.values(item)) if (typeof operation?.TableName === 'string') tables.add(operation.TableName);
  return [...tables];
}

export interface MeterTotals {
  dynamodb: {
    readUnits: number;
    writeUnits: number;
    requests: Record<string, number>;
    /** Requests by operation and table ("GetItem refinery-matcher-ci-nicknames"): which service's table the units go to. */
    requestsByTable: Record<string, number>;
  };
  s3: { tier1: number; tier2: number; requests: Record<string, number> };
  eventBridge: { putEventsCalls: number; entries: number };
  sqs: { requests: number; emptyReceives: number; deliveries: number; calls: Record<string, number> };
  /** Calls to other services (SSM, CloudFormation, Lambda's API), by service. */
  other: Record<string, number>;
}

const emptyTotals = (): MeterTotals => ({
  dynamodb: { readUnits: 0, writeUnits: 0, requests: {}, requestsByTable: {} },
  s3: { tier1: 0, tier2: 0, requests: {} },
  eventBridge: { putEventsCalls: 0, entries: 0 },
  sqs: { requests: 0, emptyReceives: 0, deliveries: 0, calls: {} },
  other: {},
});

/** One exchange as the proxy saw it. */
export interface MeteredExchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly requestBody: Buffer;
  readonly status: number;
  readonly responseBody: Buffer;
}

type Json = Record<string, unknown>;
type KeySchema = readonly string[];

/** Looks things up in DynamoDB without being metered (the meter's own questions: a table's key, an item's size). */
export interface DynamoLookup {
  keySchema(table: string): Promise<KeySchema>;
  item(table: string, key: WireItem): Promise<WireItem | undefined>;
}

/**
 * Counts what every exchange would be billed. `prepare` runs before a request is forwarded (a write's item size before
 * it changes), `record` after its answer.
 */
export class RequestMeter {
  private totals = emptyTotals();
  /** Item sizes by table and key, as last seen. */
  private readonly sizes = new Map<string, number>();
  private readonly schemas = new Map<string, Promise<KeySchema>>();
  /** Message ids SendMessage put in a queue: their first receive is not a delivery from EventBridge. */
  private readonly sentIds = new Set<string>();
  /** When the last request that was work (not an empty receive) ended. */
  lastWorkAt = Date.now();

  constructor(private readonly lookup: DynamoLookup) {}

  snapshot(): MeterTotals {
    return structuredClone(this.totals);
  }

  reset(): void {
    this.totals = emptyTotals();
  }

  /** What a write needs to know before it happens: the sizes of the items it will change, by position. */
  async prepare(headers: IncomingHttpHeaders, url: URL, body: Buffer): Promise<number[]> {
    if (serviceOf(headers, url) !== 'dynamodb') return [];
    const operation = String(headers['x-amz-target']).split('.')[1] ?? '';
    const request = parseJson(body);
    const targets = writeTargets(operation, request);
    return Promise.all(targets.map(({ table, key, item }) => this.sizeBefore(table, key ?? item ?? {})));
  }

  record(exchange: MeteredExchange, before: readonly number[]): void {
    const service = serviceOf(exchange.headers, exchange.url);
    if (service === 'dynamodb') this.recordDynamo(exchange, before);
    else if (service === 's3') this.recordS3(exchange);
    else if (service === 'events') this.recordEvents(exchange);
    else if (service === 'sqs') this.recordSqs(exchange);
    else this.totals.other[service] = (this.totals.other[service] ?? 0) + 1;
  }

  private note(work: boolean): void {
    if (work) this.lastWorkAt = Date.now();
  }

  private recordS3({ method, url, headers, status }: MeteredExchange): void {
    const kind = s3RequestKind(method, url, headers);
    const totals = this.totals.s3;
    totals.requests[kind] = (totals.requests[kind] ?? 0) + 1;
    // S3 bills requests whatever their answer (a 404 GET is a GET); a 5xx it does not.
    if (status < 500) {
      if (S3_TIER_1.includes(kind)) totals.tier1 += 1;
      else if (S3_TIER_2.includes(kind)) totals.tier2 += 1;
    }
    this.note(true);
  }

  private recordEvents({ headers, requestBody, responseBody, status }: MeteredExchange): void {
    const operation = String(headers['x-amz-target']).split('.')[1];
    if (operation !== 'PutEvents') {
      this.totals.other.events = (this.totals.other.events ?? 0) + 1;
      return;
    }
    this.totals.eventBridge.putEventsCalls += 1;
    if (status >= 300) return;
    const entries = (parseJson(requestBody).Entries ?? []) as Json[];
    const answers = (parseJson(responseBody).Entries ?? []) as Json[];
    entries.forEach((entry, index) => {
      if (answers[index]?.EventId) this.totals.eventBridge.entries += eventEntryChunks(entry);
    });
    this.note(true);
  }

  private recordSqs({ headers, requestBody, responseBody, status }: MeteredExchange): void {
    const operation = String(headers['x-amz-target']).split('.')[1] ?? 'unknown';
    const totals = this.totals.sqs;
    totals.calls[operation] = (totals.calls[operation] ?? 0) + 1;
    if (status >= 500) return;
    const request = parseJson(requestBody);
    const response = parseJson(responseBody);
    if (operation === 'ReceiveMessage') {
      const messages = (response.Messages ?? []) as { MessageId?: string; Body?: string; Attributes?: Record<string, string> }[];
      if (messages.length === 0) {
        totals.emptyReceives += 1;
        return;
      }
      totals.requests += sqsRequests(messages.reduce((sum, message) => sum + Buffer.byteLength(message.Body ?? ''), 0));
      for (const message of messages) {
        if (message.Attributes?.ApproximateReceiveCount !== '1' || this.sentIds.delete(message.MessageId ?? '')) continue;
        totals.deliveries += 1;
        totals.requests += sqsRequests(Buffer.byteLength(message.Body ?? ''));
      }
    } else if (operation === 'SendMessage') {
      totals.requests += sqsRequests(Buffer.byteLength(String(request.MessageBody ?? '')));
      if (typeof response.MessageId === 'string') this.sentIds.add(response.MessageId);
    } else if (operation === 'SendMessageBatch') {
      const entries = (request.Entries ?? []) as { MessageBody?: string }[];
      totals.requests += sqsRequests(entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''), 0));
      for (const sent of (response.Successful ?? []) as { MessageId?: string }[]) if (sent.MessageId) this.sentIds.add(sent.MessageId);
    } else {
      totals.requests += 1;
    }
    this.note(true);
  }

  private recordDynamo({ headers, requestBody, responseBody, status }: MeteredExchange, before: readonly number[]): void {
    const operation = String(headers['x-amz-target']).split('.')[1] ?? 'unknown';
    const totals = this.totals.dynamodb;
    totals.requests[operation] = (totals.requests[operation] ?? 0) + 1;
    this.note(true);
    const request = parseJson(requestBody);
    for (const table of tablesOf(request)) {
      const key = `${operation} ${table}`;
      totals.requestsByTable[key] = (totals.requestsByTable[key] ?? 0) + 1;
    }
    const response = parseJson(responseBody);
    const errorType = String(response.__type ?? '');
    // A write refused by its condition (or a cancelled transaction) is billed; other errors are not.
    const refused = /ConditionalCheckFailed|TransactionCanceled/.test(errorType);
    if (status >= 300 && !refused) return;
    const consistency = (consistent: unknown): ReadKind => (consistent === true ? 'strong' : 'eventual');
    switch (operation) {
      case 'GetItem': {
        const item = response.Item as WireItem | undefined;
        totals.readUnits += readUnits(wireItemBytes(item), consistency(request.ConsistentRead));
        if (item && !request.ProjectionExpression) this.remember(String(request.TableName), request.Key as WireItem, wireItemBytes(item));
        return;
      }
      case 'Query':
      case 'Scan': {
        const items = (response.Items ?? []) as WireItem[];
        totals.readUnits += readUnits(
          items.reduce((sum, item) => sum + wireItemBytes(item), 0),
          consistency(request.ConsistentRead),
        );
        if (!request.ProjectionExpression) for (const item of items) this.rememberItem(String(request.TableName), item);
        return;
      }
      case 'BatchGetItem': {
        const found = (response.Responses ?? {}) as Record<string, WireItem[]>;
        const asked = (request.RequestItems ?? {}) as Record<string, { Keys?: WireItem[]; ConsistentRead?: boolean }>;
        const unprocessed = (response.UnprocessedKeys ?? {}) as Record<string, { Keys?: WireItem[] }>;
        for (const [table, { Keys = [], ConsistentRead }] of Object.entries(asked)) {
          const items = found[table] ?? [];
          for (const item of items) totals.readUnits += readUnits(wireItemBytes(item), consistency(ConsistentRead));
          const missing = Keys.length - (unprocessed[table]?.Keys?.length ?? 0) - items.length;
          totals.readUnits += Math.max(0, missing) * readUnits(0, consistency(ConsistentRead));
        }
        return;
      }
      case 'TransactGetItems': {
        for (const answer of (response.Responses ?? []) as { Item?: WireItem }[])
          totals.readUnits += readUnits(wireItemBytes(answer.Item), 'transactional');
        return;
      }
      default:
        break;
    }
    const targets = writeTargets(operation, request);
    if (targets.length === 0) return;
    const transactional = operation === 'TransactWriteItems';
    const unprocessed = new Set(
      Object.entries((response.UnprocessedItems ?? {}) as Record<string, Json[]>).flatMap(([table, requests]) =>
        requests.map((entry) => `${table}|${JSON.stringify(entry)}`),
      ),
    );
    targets.forEach((target, index) => {
      if (unprocessed.has(`${target.table}|${JSON.stringify(target.raw)}`)) return;
      const old = before[index] ?? 0;
      // An update whose result is not returned (ReturnValues other than ALL_NEW, or in a transaction) is billed on the
      // item before it, and its size is looked up again the next time it is written.
      const returned = operation === 'UpdateItem' && request.ReturnValues === 'ALL_NEW' ? (response.Attributes as WireItem | undefined) : undefined;
      const after = target.kind === 'put' ? wireItemBytes(target.item) : target.kind === 'delete' ? 0 : returned ? wireItemBytes(returned) : old;
      totals.writeUnits += writeUnits(Math.max(old, after), transactional);
      if (refused || target.kind === 'check') return;
      const key = target.key ?? target.item;
      if (!key) return;
      if (target.kind === 'update' && !returned) this.remember(target.table, key, undefined);
      else this.remember(target.table, key, after);
    });
  }

  /** The item's size before a write; 0 when moto cannot say (no such table: the write itself will fail and say so). */
  private async sizeBefore(table: string, keyOrItem: WireItem): Promise<number> {
    return this.lookUpSize(table, keyOrItem).catch(() => 0);
  }

  private async lookUpSize(table: string, keyOrItem: WireItem): Promise<number> {
    const schema = await this.schemaOf(table);
    const key = pick(keyOrItem, schema);
    const known = this.sizes.get(sizeKey(table, key));
    if (known !== undefined) return known;
    const size = wireItemBytes(await this.lookup.item(table, key));
    this.sizes.set(sizeKey(table, key), size);
    return size;
  }

  private schemaOf(table: string): Promise<KeySchema> {
    let schema = this.schemas.get(table);
    if (!schema) {
      schema = this.lookup.keySchema(table);
      this.schemas.set(table, schema);
      schema.catch(() => this.schemas.delete(table)); // asked again next time
    }
    return schema;
  }

  private rememberItem(table: string, item: WireItem): void {
    this.remember(table, item, wireItemBytes(item));
  }

  /** The item's size as it now is (0: no item), or `undefined`: not known, to be looked up when next needed. */
  private remember(table: string, keyOrItem: WireItem, size: number | undefined): void {
    void this.schemaOf(table).then(
      (schema) => {
        const key = sizeKey(table, pick(keyOrItem, schema));
        if (size === undefined) this.sizes.delete(key);
        else this.sizes.set(key, size);
      },
      () => undefined, // no such table: nothing to remember
    );
  }
}

interface WriteTarget {
  readonly table: string;
  readonly kind: 'put' | 'update' | 'delete' | 'check';
  readonly key?: WireItem;
  readonly item?: WireItem;
  /** The batch entry as sent (UnprocessedItems names it so). */
  readonly raw?: Json;
}

/** The items a write request writes, in order. */
function writeTargets(operation: string, request: Json): WriteTarget[] {
  const table = String(request.TableName ?? '');
  switch (operation) {
    case 'PutItem':
      return [{ table, kind: 'put', item: request.Item as WireItem }];
    case 'UpdateItem':
      return [{ table, kind: 'update', key: request.Key as WireItem }];
    case 'DeleteItem':
      return [{ table, kind: 'delete', key: request.Key as WireItem }];
    case 'BatchWriteItem':
      return Object.entries((request.RequestItems ?? {}) as Record<string, Json[]>).flatMap(([name, entries]) =>
        entries.map((entry): WriteTarget => {
          const put = entry.PutRequest as { Item: WireItem } | undefined;
          const remove = entry.DeleteRequest as { Key: WireItem } | undefined;
          return put ? { table: name, kind: 'put', item: put.Item, raw: entry } : { table: name, kind: 'delete', key: remove?.Key ?? {}, raw: entry };
        }),
      );
    case 'TransactWriteItems':
      return ((request.TransactItems ?? []) as Json[]).map((entry): WriteTarget => {
        const [kind, body] = Object.entries(entry)[0] as [string, Json];
        const name = String(body.TableName ?? '');
        if (kind === 'Put') return { table: name, kind: 'put', item: body.Item as WireItem };
        if (kind === 'Update') return { table: name, kind: 'update', key: body.Key as WireItem };
        if (kind === 'Delete') return { table: name, kind: 'delete', key: body.Key as WireItem };
        return { table: name, kind: 'check', key: body.Key as WireItem };
      });
    default:
      return [];
  }
}

function pick(item: WireItem, schema: KeySchema): WireItem {
  return Object.fromEntries(schema.map((name) => [name, item[name] ?? {}]));
}

function sizeKey(table: string, key: WireItem): string {
  return `${table}|${JSON.stringify(key)}`;
}

function parseJson(body: Buffer): Json {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

/** DynamoDB questions asked of moto directly (never through the proxy, so never metered). */
export function motoDynamoLookup(endpoint: string, region: string): DynamoLookup {
  const call = async (operation: string, body: Json): Promise<Json> => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        authorization: `AWS4-HMAC-SHA256 Credential=meter/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Json;
    if (!response.ok) throw new Error(`request meter: DynamoDB ${operation} failed in moto (HTTP ${response.status}): ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    keySchema: async (table) => {
      const described = (await call('DescribeTable', { TableName: table })) as { Table?: { KeySchema?: { AttributeName: string }[] } };
      return (described.Table?.KeySchema ?? []).map((element) => element.AttributeName);
    },
    item: async (table, key) => ((await call('GetItem', { TableName: table, Key: key, ConsistentRead: true })) as { Item?: WireItem }).Item,
  };
}

export interface MeteringProxy {
  readonly endpoint: string;
  readonly meter: RequestMeter;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy on loopback in front of `target` (moto's server) that meters every exchange. Bodies are buffered (what
 * goes through here is a run on one machine).
 */
export async function startMeteringProxy(options: { readonly target: string; readonly region: string }): Promise<MeteringProxy> {
  const target = new URL(options.target);
  const meter = new RequestMeter(motoDynamoLookup(options.target, options.region));
  const server = createServer((request, response) => {
    void forward(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`request meter: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    const requestBody = await readAll(request);
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? target.host}`);
    const before = await meter.prepare(request.headers, url, requestBody);
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      const upstream = httpRequest(
        { hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        resolve,
      );
      upstream.on('error', reject);
      upstream.end(requestBody);
    });
    const responseBody = await readAll(answer);
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    response.end(responseBody);
    const plain = answer.headers['content-encoding'] === 'gzip' ? gunzipSync(responseBody) : responseBody;
    meter.record(
      { method: request.method ?? 'GET', url, headers: request.headers, requestBody, status: answer.statusCode ?? 502, responseBody: plain },
      before,
    );
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    meter,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

// AWS list prices, us-east-1, as looked up on 2026-12-07 (docs/scale.md cites each source). Change them here and
// every figure of bench:scale and docs/scale.md's projection follows.
export const US_EAST_1_PRICES = {
  /** DynamoDB on demand, per read request unit (a strongly consistent read of 4 KB; eventually consistent: half). */
  dynamodbReadUnit: 0.125 / 1e6,
  /** DynamoDB on demand, per write request unit (1 KB). */
  dynamodbWriteUnit: 0.625 / 1e6,
  /** S3 Standard: PUT, COPY, POST, LIST. */
  s3Tier1Request: 0.005 / 1000,
  /** S3 Standard: GET, HEAD. */
  s3Tier2Request: 0.0004 / 1000,
  /** EventBridge custom events (each 64 KB chunk of an entry). */
  eventBridgeEvent: 1 / 1e6,
  /** SQS standard queues (each 64 KB chunk of a request's payload). */
  sqsRequest: 0.4 / 1e6,
  /** Lambda requests. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda duration, x86, first 6 billion GB-seconds a month. */
  lambdaGbSecond: 0.0000166667,
} as const;

export interface ChunkCost {
  readonly dynamodb: number;
  readonly s3: number;
  readonly eventBridge: number;
  readonly sqs: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  /** Everything but Lambda's duration: what moving a chunk through the pipeline costs, whatever the matching costs. */
  readonly orchestration: number;
  readonly total: number;
}

/** What the counted figures of one chunk cost at list prices, in US dollars. */
export function chunkCost(
  perChunk: Readonly<{
    dynamodbReadUnits: number;
    dynamodbWriteUnits: number;
    s3Tier1Requests: number;
    s3Tier2Requests: number;
    eventBridgeEntries: number;
    sqsRequests: number;
    invocations: number;
    lambdaGbSeconds: number;
  }>,
  prices = US_EAST_1_PRICES,
): ChunkCost {
  const dynamodb = perChunk.dynamodbReadUnits * prices.dynamodbReadUnit + perChunk.dynamodbWriteUnits * prices.dynamodbWriteUnit;
  const s3 = perChunk.s3Tier1Requests * prices.s3Tier1Request + perChunk.s3Tier2Requests * prices.s3Tier2Request;
  const eventBridge = perChunk.eventBridgeEntries * prices.eventBridgeEvent;
  const sqs = perChunk.sqsRequests * prices.sqsRequest;
  const lambdaRequests = perChunk.invocations * prices.lambdaRequest;
  const lambdaDuration = perChunk.lambdaGbSeconds * prices.lambdaGbSecond;
  const orchestration = dynamodb + s3 + eventBridge + sqs + lambdaRequests;
  return { dynamodb, s3, eventBridge, sqs, lambdaRequests, lambdaDuration, orchestration, total: orchestration + lambdaDuration };
}

export { S3ObjectStore, MIN_PART_SIZE_BYTES, PARTS_IN_FLIGHT, type S3ObjectStoreOptions } from './s3-object-store';
export { DynamoTable, BATCH_WRITE_LIMIT, type DynamoTableOptions, type BatchRetryOptions } from './dynamo-table';
export { estimateItemBytes } from './dynamo-item-size';
export * from './event-bridge-publisher';
export * from './sqs-queues';
export * from './api-gateway-socket-connections';

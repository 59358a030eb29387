export * from './api-gateway-socket-connections';
export { estimateItemBytes } from './dynamo-item-size';
export { BATCH_WRITE_LIMIT, type BatchRetryOptions, DynamoTable, type DynamoTableOptions } from './dynamo-table';
export * from './event-bridge-publisher';
export { MIN_PART_SIZE_BYTES, PARTS_IN_FLIGHT, S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';
export * from './sqs-queues';

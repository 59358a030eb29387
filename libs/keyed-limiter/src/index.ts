export { LeaseLostError, LimiterAbortedError, type KeyedLimiter, type LeaseInfo, type RunOptions } from './keyed-limiter';
export {
  TableKeyedLimiter,
  DEFAULT_LEASE_MS,
  DEFAULT_LIMIT,
  DEFAULT_MAX_POLL_MS,
  DEFAULT_POLL_MS,
  DEFAULT_TICKET_MS,
  type LimiterClock,
  type LimiterLogger,
  type TableKeyedLimiterOptions,
} from './table-keyed-limiter';
export { MAX_LIMIT, hashLimiterKey, limiterPartitionKey, slotSortKey } from './layout';

export { type KeyedLimiter, type LeaseInfo, LeaseLostError, LimiterAbortedError, type RunOptions } from './keyed-limiter';
export { hashLimiterKey, limiterPartitionKey, MAX_LIMIT, slotSortKey } from './layout';
export {
  DEFAULT_LEASE_MS,
  DEFAULT_LIMIT,
  DEFAULT_MAX_POLL_MS,
  DEFAULT_POLL_MS,
  DEFAULT_TICKET_MS,
  type LimiterClock,
  type LimiterLogger,
  TableKeyedLimiter,
  type TableKeyedLimiterOptions,
} from './table-keyed-limiter';

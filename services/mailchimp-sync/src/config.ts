import type { KeyedLimiter } from '@refinery/keyed-limiter';
import type { ObjectStore, Table } from '@refinery/ports';
import { type CommonDeps, settingDefaults, type TokenRegistry } from '@refinery/runtime';
import { mailchimpSync } from './definition';
import type { KeyVault } from './domain/key-vault';
import type { MailchimpApi } from './domain/mailchimp-api';

export interface MailchimpSyncConfig {
  /** Bucket for fetched pages, assembled audience files, single-contact webhook files and write-back reports. */
  readonly importsBucket: string;
  /** Members per page request (Mailchimp returns at most 1,000). */
  readonly pageSize: number;
  /**
   * Members each page re-reads from the end of the page before it. Members removed while the audience is paged shift
   * the later ones down; the overlap catches up to this many removals, and duplicates are dropped by member id.
   */
  readonly pageOverlap: number;
  /** Concurrent requests per API key across every job, tenant and instance (Mailchimp allows 10). */
  readonly maxConnectionsPerKey: number;
  /** Overrides the data-centre URL from the key (`MAILCHIMP_BASE_URL`: tests, on-premise proxies). */
  readonly baseUrl?: string;
  /** How often and how long the write-back polls Mailchimp's batch status. */
  readonly batchPollMs: number;
  readonly batchTimeoutMs: number;
  /** The most operations in one write-back batch: the write-back holds one batch in memory, whatever the result's size. */
  readonly writeBackBatchOperations: number;
}

/** What the deployment does not set: how audiences are paged and how long the write-back waits for Mailchimp. */
export type MailchimpSyncTuning = Pick<
  MailchimpSyncConfig,
  'pageSize' | 'pageOverlap' | 'batchPollMs' | 'batchTimeoutMs' | 'writeBackBatchOperations'
>;

export const DEFAULT_MAILCHIMP_SYNC_CONFIG: Omit<MailchimpSyncConfig, 'importsBucket'> = {
  pageSize: 1000,
  pageOverlap: 100,
  maxConnectionsPerKey: settingDefaults(mailchimpSync).mailchimpMaxConnections,
  batchPollMs: 5000,
  batchTimeoutMs: 600_000,
  writeBackBatchOperations: 5_000,
};

export interface MailchimpSyncDeps extends CommonDeps {
  readonly config: MailchimpSyncConfig;
  readonly objects: ObjectStore;
  /** Imports, pages done, webhook registrations, duplicate markers. */
  readonly table: Table;
  /** Encrypted API keys. */
  readonly keys: KeyVault;
  /** The per-key concurrency limit every Mailchimp request goes through. */
  readonly limiter: KeyedLimiter;
  /** A Mailchimp client for one API key (its requests pass the limiter). */
  readonly mailchimp: (apiKey: string) => MailchimpApi;
  readonly tokens: TokenRegistry;
}

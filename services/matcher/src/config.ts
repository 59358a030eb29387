import type { CsvLimits } from '@refinery/csv';
import type { ContactProvider } from '@refinery/matching';
import type { ObjectStore, Table } from '@refinery/ports';
import { type CommonDeps, settingDefaults } from '@refinery/runtime';
import { matcher } from './definition';

export interface MatcherConfig {
  /** Bucket for matched chunk objects (read by the labeler by reference). */
  readonly chunksBucket: string;
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2). */
  readonly defaultRegion: string;
  /** Rows sent to the provider per look-up call. */
  readonly lookupBatchSize: number;
  /** What a data row may hold (libs/csv CsvLimits): a row over the limits is an invalid row with the reason. */
  readonly limits: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'>;
}

const defaults = settingDefaults(matcher);

export const DEFAULT_MATCHER_CONFIG: Omit<MatcherConfig, 'chunksBucket'> = {
  defaultRegion: defaults.defaultRegion,
  lookupBatchSize: defaults.lookupBatchSize,
  limits: { maxFieldBytes: defaults.maxFieldBytes, maxRowBytes: defaults.maxRowBytes },
};

export interface MatcherDeps extends CommonDeps {
  readonly config: MatcherConfig;
  readonly objects: ObjectStore;
  /** Asked in order; each only for the rows the ones before it could not match. Never empty. */
  readonly providers: readonly ContactProvider[];
  /** The nickname table (seeded from the bundled data by seedNicknames). */
  readonly nicknames: Table;
}

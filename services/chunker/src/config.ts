import type { ObjectStore, Table } from '@refinery/ports';
import { type CommonDeps, type SettingsOf, settingDefaults } from '@refinery/runtime';
import { chunker } from './definition';

/** The chunker's settings (src/definition.ts says what each one is for). */
export type ChunkerConfig = SettingsOf<typeof chunker>;

export const DEFAULT_CHUNKER_CONFIG: ChunkerConfig = settingDefaults(chunker);

export interface ChunkerDeps extends CommonDeps {
  readonly config: ChunkerConfig;
  readonly objects: ObjectStore;
  /**
   * The chunker's plans table: every planned chunk of a job (its chunk.planned.v1, as published), so the chunks beyond
   * the window can be released later, each with its own derived event id.
   */
  readonly plans: Table;
}

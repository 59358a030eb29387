import type { ObjectStore } from '@refinery/ports';
import type { CommonDeps } from '@refinery/runtime';

export interface LabelerConfig {
  /** Bucket for labeled chunk objects (read by the merger by reference). */
  readonly chunksBucket: string;
}

export interface LabelerDeps extends CommonDeps {
  readonly config: LabelerConfig;
  readonly objects: ObjectStore;
}

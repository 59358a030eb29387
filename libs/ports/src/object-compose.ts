import type { ObjectInfo, ObjectRef } from './object-store';

export interface ComposeOptions {
  readonly contentType?: string;
}

/** S3's multipart limits, which a composed object must respect: the smallest part but the last, the largest, how many. */
export const MIN_COMPOSE_PART_BYTES = 5 * 1024 * 1024;
export const MAX_COMPOSE_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_COMPOSE_PARTS = 10_000;

/** Concatenating stored objects into one without passing their bytes through the caller. */
export interface ObjectComposeOperations {
  /**
   * Writes `target` as the concatenation of `sources`, in order (sources of any size, empty ones and none at all
   * included), and returns it as `put` would. Like `put`, the object appears whole or not at all, replacing any
   * object at `target`; a missing source throws ObjectNotFoundError and leaves `target` as it was. On S3 the bytes
   * stay in S3: a multipart upload copies each source of at least 5 MiB as a part (UploadPartCopy) and sends only
   * runs of smaller sources through the caller, so the work does not grow with the size of the sources.
   */
  compose(target: ObjectRef, sources: readonly ObjectRef[], options?: ComposeOptions): Promise<ObjectInfo>;
}

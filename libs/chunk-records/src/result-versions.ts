/** Where an object lives (the same shape as @refinery/ports' ObjectRef). */
export interface ResultObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * A job's result file and its versions: version 0 is the merge (result.csv), version N the result after the first N
 * review decisions (result.vN.csv). Every version stays, so a download made before a decision can be made again.
 */
export function resultRef(bucket: string, tenantId: string, jobId: string, version: number): ResultObjectRef {
  return { bucket, key: `tenants/${tenantId}/jobs/${jobId}/${version === 0 ? 'result.csv' : `result.v${version}.csv`}` };
}

/** The job's review queue: one ReviewItem per row in review, in row order. */
export function reviewQueueRef(bucket: string, tenantId: string, jobId: string): ResultObjectRef {
  return { bucket, key: `tenants/${tenantId}/jobs/${jobId}/review.ndjson` };
}

/** The linkage model the job's rows were matched with, kept beside the review queue (decisions teach it). */
export function reviewModelRef(bucket: string, tenantId: string, jobId: string): ResultObjectRef {
  return { bucket, key: `tenants/${tenantId}/jobs/${jobId}/review-model.json` };
}

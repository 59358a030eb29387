import type { ChunkLane } from '@refinery/events';

export interface LaneLimits {
  /** The most rows a job of the express lane has; 0: no express lane. */
  readonly expressMaxRows: number;
  /** The most chunks a job of the express lane has. */
  readonly expressMaxChunks: number;
}

/**
 * The matcher's queue for a job's chunks, decided once for the whole job when it is planned: `express` for a job small
 * in rows and in chunks (its chunks are then all released at once: the express queue only ever holds small jobs, so a
 * small job never waits behind a big one's window), `bulk` for the rest (released a window at a time).
 */
export function laneOf(plan: { readonly rows: number; readonly chunks: number }, limits: LaneLimits): ChunkLane {
  // expressMaxRows 0 turns the lane off even for a job of no rows (its job.planned.v1 carries the lane to the merger).
  if (limits.expressMaxRows === 0) return 'bulk';
  return plan.rows <= limits.expressMaxRows && plan.chunks <= limits.expressMaxChunks ? 'express' : 'bulk';
}

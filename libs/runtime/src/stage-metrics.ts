import type { Clock, Metrics } from '@refinery/ports';

/** The stages that work chunk by chunk, as the `stage` dimension names them. */
export type ChunkStage = 'matcher' | 'labeler' | 'merger';

/**
 * A stage finished a chunk: one more chunk of the stage, and how long it worked on it (from `startedAt`, read from the
 * same clock when the handler began). Called once the chunk's work is done and its event published, so a failed
 * attempt is not counted as a chunk (a redelivered one is counted again: delivery is at least once).
 */
export function recordChunkDone(deps: { readonly metrics: Metrics; readonly clock: Clock }, stage: ChunkStage, startedAt: Date): void {
  deps.metrics.record('chunksProcessed', 1, { stage });
  deps.metrics.record('stageDuration', Math.max(0, deps.clock.now().getTime() - startedAt.getTime()), { stage });
}

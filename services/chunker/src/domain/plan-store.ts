import { type ChunkLane, chunkPlannedV1, type DomainEvent } from '@refinery/events';
import type { Item, ItemKey, Table } from '@refinery/ports';

// The chunker's plans table: one item per planned chunk of a job, holding its chunk.planned.v1 exactly as built when
// the job was planned (derived event id included, and the job's lane in it), and the job's window (for a job of the
// express lane, its number of chunks: every chunk is released at once). Items are written before any chunk is
// published and never change afterwards except by the same job.submitted.v1 planning the same job again (same ids).
//
//   { pk: 'job#<jobId>', sk: 'chunk#<9-digit index>', event: '<the chunk.planned.v1 as JSON>', window: 8, expiresAt }

export function plannedChunkKey(jobId: string, index: number): ItemKey {
  return { pk: `job#${jobId}`, sk: `chunk#${String(index).padStart(9, '0')}` };
}

export interface StoredChunk {
  /** The chunk's chunk.planned.v1, as published (or to be published). */
  readonly event: DomainEvent<typeof chunkPlannedV1>;
  /** The job's window: chunk i's completion releases chunk i + window. */
  readonly window: number;
}

/** `expiresAt`: epoch seconds after which DynamoDB deletes the item (the retention period), even if no erasure runs. */
export function plannedChunkItem(jobId: string, event: DomainEvent<typeof chunkPlannedV1>, window: number, expiresAt: number): Item {
  return { ...plannedChunkKey(jobId, event.data.chunk.index), event: JSON.stringify(event), window, expiresAt };
}

/** A stored chunk of a job's plan, or undefined when the job has no stored plan (or no such chunk). */
export async function loadPlannedChunk(plans: Table, jobId: string, index: number): Promise<StoredChunk | undefined> {
  const key = plannedChunkKey(jobId, index);
  const item = await plans.get(key);
  if (!item) return undefined;
  if (typeof item.event !== 'string' || typeof item.window !== 'number') {
    throw new Error(`plans item ${key.pk} / ${key.sk} is malformed: it needs a string "event" and a number "window"`);
  }
  const event = JSON.parse(item.event) as DomainEvent<typeof chunkPlannedV1>;
  if (event.type !== chunkPlannedV1.type || event.data?.chunk?.index !== index || event.metadata?.jobId !== jobId) {
    throw new Error(`plans item ${key.pk} / ${key.sk} does not hold the chunk.planned.v1 of chunk ${index} of job ${jobId}`);
  }
  return { event, window: item.window };
}

/**
 * The window and lane a job was planned with, when part of its plan is already stored (a redelivered
 * job.submitted.v1). A plan stored before lanes existed has none in its events: it is bulk (windowed), as it was.
 */
export async function storedPlan(plans: Table, jobId: string): Promise<{ window: number; lane: ChunkLane } | undefined> {
  const first = await loadPlannedChunk(plans, jobId, 0);
  return first ? { window: first.window, lane: first.event.data.lane ?? 'bulk' } : undefined;
}

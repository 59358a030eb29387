import { noMetrics } from '@refinery/ports';
import type { TestPorts } from '@refinery/test-support';
import { type ChunkerConfig, chunkerHandlers, DEFAULT_CHUNKER_CONFIG } from '../src/service';

/** The plans table the chunker tests read. */
export const PLANS_TABLE = 'chunker-plans';

/** The chunker on the test ports, with its defaults overridden by `config`. */
export function createTestChunker(ports: TestPorts, config: Partial<ChunkerConfig> = {}): ReturnType<typeof chunkerHandlers> {
  return chunkerHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_CHUNKER_CONFIG, ...config },
    objects: ports.objects,
    plans: ports.table(PLANS_TABLE),
  });
}

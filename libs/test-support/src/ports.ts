import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DecodedEvent, decodeEnvelope } from '@refinery/events';
import { LocalObjectStore, LocalTable, openDatabase, type SqliteDatabase } from '@refinery/local-runtime';
import type { Clock, EventPublisher, IdGenerator, PublishEntry } from '@refinery/ports';
import { type Logger, silentLogger } from '@refinery/runtime';

/** A publisher that keeps what it is given, and can be told to fail (to test what happens when the bus is down). */
export class RecordingPublisher implements EventPublisher {
  readonly entries: PublishEntry[] = [];
  failWith: Error | undefined;

  async publish(entries: readonly PublishEntry[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.entries.push(...entries);
  }

  /** Published events, decoded and validated with the catalog. */
  events(): DecodedEvent[] {
    return this.entries.map((entry) =>
      decodeEnvelope({
        version: '0',
        id: 'test',
        'detail-type': entry.detailType,
        source: entry.source,
        account: '000000000000',
        time: '2026-11-28T12:00:00Z',
        region: 'local',
        resources: [],
        detail: JSON.parse(entry.detail),
      }),
    );
  }

  ofType<T extends DecodedEvent['type']>(type: T): Extract<DecodedEvent, { type: T }>[] {
    return this.events().filter((event): event is Extract<DecodedEvent, { type: T }> => event.type === type);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** A clock that starts at a fixed instant and moves only when told (or by `step` per reading). */
export class TestClock implements Clock {
  private current: number;

  constructor(
    start = '2026-11-28T12:00:00.000Z',
    private readonly step = 1,
  ) {
    this.current = Date.parse(start);
  }

  now(): Date {
    const now = new Date(this.current);
    this.current += this.step;
    return now;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export function sequentialIds(): IdGenerator {
  let next = 0;
  return { newId: (prefix) => `${prefix}_TEST${String((next += 1)).padStart(6, '0')}` };
}

export interface TestPorts {
  readonly dir: string;
  readonly db: SqliteDatabase;
  readonly objects: LocalObjectStore;
  readonly publisher: RecordingPublisher;
  readonly clock: TestClock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  table(name: string): LocalTable;
  cleanup(): void;
}

/** The real local adapters (SQLite, files) on a fresh temporary data dir. */
export function createTestPorts(): TestPorts {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-ports-'));
  const db = openDatabase(join(dir, 'refinery.db'));
  const objects = new LocalObjectStore({ root: join(dir, 'objects'), db, signingSecret: 'test-secret', publicBaseUrl: () => 'http://127.0.0.1:9' });
  return {
    dir,
    db,
    objects,
    publisher: new RecordingPublisher(),
    clock: new TestClock(),
    ids: sequentialIds(),
    logger: silentLogger,
    table: (name) => new LocalTable(db, name),
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

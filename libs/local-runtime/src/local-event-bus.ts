import { randomUUID } from 'node:crypto';
import { type EventPattern, matchesEventPattern, validateEventPattern } from '@refinery/event-patterns';
import type { EventPublisher, PublishEntry } from '@refinery/ports';
import { cachedStatement, type SqliteDatabase } from './database';
import type { LocalQueues } from './local-queues';
import type { StorageHealth } from './storage-health';

export interface LocalRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly targetQueue: string;
}

export interface LoggedEvent {
  readonly seq: number;
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly event: Record<string, unknown>;
}

/** EventBridge's limit on one PutEvents entry; events carry references, so this is never near. */
export const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * The local stand-in for an EventBridge bus: every published event is written to the event log and sent to the queue of
 * every rule whose pattern matches, all in one transaction (an event is never logged without being routed, or the
 * other way round). Like EventBridge, it does not deduplicate: consumers are idempotent.
 */
export class LocalEventBus implements EventPublisher {
  private readonly rules = new Map<string, LocalRule>();
  private readonly listeners: ((events: readonly LoggedEvent[]) => void)[] = [];

  constructor(
    private readonly db: SqliteDatabase,
    private readonly queues: LocalQueues,
    private readonly options: {
      account?: string;
      region?: string;
      clock?: () => Date;
      /** Hears of publishes that fail on a full or read-only data dir (and turns their error into a DataDirFaultError). */
      storage?: StorageHealth;
    } = {},
  ) {}

  putRule(rule: LocalRule): void {
    validateEventPattern(rule.pattern, `rule ${rule.name}`);
    this.rules.set(rule.name, rule);
  }

  listRules(): LocalRule[] {
    return [...this.rules.values()];
  }

  async publish(entries: readonly PublishEntry[]): Promise<void> {
    if (this.options.storage) this.options.storage.guard(() => this.publishSync(entries));
    else this.publishSync(entries);
  }

  /** Calls `listener` with what each publishSync logged, once it is committed (the platform's own reactions to events). */
  onPublished(listener: (events: readonly LoggedEvent[]) => void): void {
    this.listeners.push(listener);
  }

  /** Synchronous publish, usable inside another SQLite transaction (e.g. the queue's dead-letter move). */
  publishSync(entries: readonly PublishEntry[]): LoggedEvent[] {
    const prepared = entries.map((entry) => this.toEvent(entry));
    const insert = cachedStatement(
      this.db,
      `INSERT INTO events (id, source, detail_type, time, tenant_id, job_id, event_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const result = this.db.transaction(() => {
      const routed = new Map<string, string[]>();
      const logged = prepared.map(({ event, metadata }): LoggedEvent => {
        const body = JSON.stringify(event);
        const info = insert.run(
          event.id,
          event.source,
          event['detail-type'],
          event.time,
          metadata.tenantId ?? null,
          metadata.jobId ?? null,
          metadata.eventId ?? null,
          body,
        );
        for (const rule of this.rules.values()) {
          if (matchesEventPattern(rule.pattern, event)) {
            const bodies = routed.get(rule.targetQueue) ?? [];
            bodies.push(body);
            routed.set(rule.targetQueue, bodies);
          }
        }
        return { seq: Number(info.lastInsertRowid), id: event.id, source: event.source, detailType: event['detail-type'], time: event.time, event };
      });
      for (const [queue, bodies] of routed) this.queues.send(queue, bodies);
      return logged;
    })();
    // Not inside an enclosing transaction (a dead-letter move publishes from one): the listeners may checkpoint.
    if (!this.db.inTransaction) for (const listener of this.listeners) listener(result);
    return result;
  }

  /** The event log, oldest first; optionally one job's events only. */
  history(options: { jobId?: string; afterSeq?: number; limit?: number } = {}): LoggedEvent[] {
    const rows = (
      options.jobId === undefined
        ? this.db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(options.afterSeq ?? 0, options.limit ?? 1000)
        : this.db
            .prepare('SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?')
            .all(options.jobId, options.afterSeq ?? 0, options.limit ?? 1000)
    ) as { seq: number; id: string; source: string; detail_type: string; time: string; body: string }[];
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      source: row.source,
      detailType: row.detail_type,
      time: row.time,
      event: JSON.parse(row.body) as Record<string, unknown>,
    }));
  }

  private toEvent(entry: PublishEntry): { event: EventEnvelope; metadata: { tenantId?: string; jobId?: string; eventId?: string } } {
    if (!entry.source || !entry.detailType) throw new Error('an event needs a source and a detail-type');
    const size = Buffer.byteLength(entry.detail) + Buffer.byteLength(entry.detailType) + Buffer.byteLength(entry.source);
    if (size > MAX_ENTRY_BYTES) {
      throw new Error(`event ${entry.detailType} is ${size} bytes; EventBridge accepts at most ${MAX_ENTRY_BYTES}`);
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.detail);
    } catch {
      throw new Error(`event ${entry.detailType}: detail is not JSON`);
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      throw new Error(`event ${entry.detailType}: detail must be a JSON object`);
    }
    const metadata = ((detail as { metadata?: unknown }).metadata ?? {}) as { tenantId?: string; jobId?: string; eventId?: string };
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: this.options.account ?? '000000000000',
      time: (this.options.clock?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region ?? 'local',
      resources: [],
      detail,
    };
    return { event, metadata: typeof metadata === 'object' && metadata !== null ? metadata : {} };
  }
}

interface EventEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  [key: string]: unknown;
}

import { join } from 'node:path';
import type { QueueMessage, Queues } from '@refinery/ports';
import { subscriptionQueueNames } from '@refinery/runtime';
import { SERVICE_DECLARATIONS } from './services';

/** Where the queues are: a local data dir, or an AWS stage. */
export type QueueLocation = { kind: 'local'; dataDir: string } | { kind: 'aws'; stage: string; region?: string };

export interface SubscriptionQueues {
  readonly service: string;
  readonly subscription: string;
  readonly queue: string;
  readonly deadLetterQueue: string;
}

export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

/** The queues of every subscription (or of one service, or one subscription), named for where they run. */
export function subscriptionQueues(location: QueueLocation, service?: string, subscription?: string): SubscriptionQueues[] {
  const declarations = service ? SERVICE_DECLARATIONS.filter((declaration) => declaration.name === service) : SERVICE_DECLARATIONS;
  if (service && declarations.length === 0) {
    throw new OperatorError(`unknown service "${service}"; services: ${SERVICE_DECLARATIONS.map((declaration) => declaration.name).join(', ')}`);
  }
  const stage = location.kind === 'aws' ? location.stage : undefined;
  const all = declarations.flatMap((declaration) =>
    Object.keys(declaration.subscriptions).map((name) => ({
      service: declaration.name,
      subscription: name,
      ...subscriptionQueueNames(declaration.name, name, stage),
    })),
  );
  const chosen = subscription ? all.filter((entry) => entry.subscription === subscription) : all;
  if (chosen.length === 0) {
    throw new OperatorError(`service "${service}" has no subscription "${subscription}"; it has: ${all.map((e) => e.subscription).join(', ')}`);
  }
  return chosen;
}

/** Opens the queues of a location. The AWS SDK is loaded only when asked for, so local use never pays for it. */
export async function openQueues(location: QueueLocation): Promise<{ queues: Queues; close(): Promise<void> }> {
  if (location.kind === 'aws') {
    // require, not import(): the CLI runs as CommonJS through tsx, whose hooks only see require.
    const { SQSClient } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
    const { SqsQueues } = require('@refinery/aws-adapters') as typeof import('@refinery/aws-adapters');
    // Queue URLs name their own host; behind an endpoint override (AWS_ENDPOINT_URL_SQS: emulators, proxies) that
    // host may not resolve, while the configured endpoint does. On AWS the two are the same.
    const client = new SQSClient({ useQueueUrlAsEndpoint: false, ...(location.region ? { region: location.region } : {}) });
    return { queues: new SqsQueues({ client }), close: async () => client.destroy() };
  }
  const { LocalQueues, LocalQueuesPort, openDatabase } = require('@refinery/local-runtime') as typeof import('@refinery/local-runtime');
  // No data-dir lock: operators inspect and redrive while `refinery dev` runs (SQLite WAL allows both).
  const db = openDatabase(join(location.dataDir, 'refinery.db'));
  return {
    queues: new LocalQueuesPort(new LocalQueues(db)),
    close: async () => {
      db.close();
    },
  };
}

export interface DeadLetterSummary extends SubscriptionQueues {
  readonly waiting: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

export async function listDeadLetters(queues: Queues, entries: readonly SubscriptionQueues[]): Promise<DeadLetterSummary[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const [queue, dlq] = await Promise.all([queues.depth(entry.queue), queues.depth(entry.deadLetterQueue)]);
      return { ...entry, waiting: queue.visible, inFlight: queue.inFlight, deadLettered: dlq.visible + dlq.inFlight };
    }),
  );
}

/** What an operator needs to see of a dead-lettered message: what it was about and how often it was tried. */
export interface DeadLetterView {
  readonly id: string;
  readonly sentAt: string;
  readonly receiveCount: number;
  readonly eventType: string;
  readonly tenantId?: string;
  readonly jobId?: string;
  readonly chunk?: number;
  readonly rows?: string;
  readonly body: string;
}

export function describeDeadLetter(message: QueueMessage): DeadLetterView {
  let event: {
    'detail-type'?: string;
    detail?: { metadata?: { tenantId?: string; jobId?: string }; data?: { chunk?: { index: number }; rows?: { first: number; count: number } } };
  } = {};
  try {
    event = JSON.parse(message.body);
  } catch {
    // Not JSON: shown as it is.
  }
  const data = event.detail?.data;
  return {
    id: message.id,
    sentAt: message.sentAt.toISOString(),
    receiveCount: message.receiveCount,
    eventType: event['detail-type'] ?? '(not an EventBridge event)',
    ...(event.detail?.metadata?.tenantId ? { tenantId: event.detail.metadata.tenantId } : {}),
    ...(event.detail?.metadata?.jobId ? { jobId: event.detail.metadata.jobId } : {}),
    ...(data?.chunk ? { chunk: data.chunk.index + 1 } : {}),
    ...(data?.rows ? { rows: `${data.rows.first + 1}-${data.rows.first + data.rows.count}` } : {}),
    body: message.body,
  };
}

export function formatSummaries(summaries: readonly DeadLetterSummary[]): string {
  const rows = summaries.map((s) => [
    `${s.service}/${s.subscription}`,
    String(s.waiting),
    String(s.inFlight),
    String(s.deadLettered),
    s.deadLetterQueue,
  ]);
  return formatTable(['subscription', 'waiting', 'in flight', 'dead-lettered', 'dead-letter queue'], rows);
}

export function formatDeadLetters(views: readonly DeadLetterView[]): string {
  if (views.length === 0) return 'no dead-lettered messages';
  const rows = views.map((v) => [v.id, v.eventType, v.jobId ?? '', v.chunk ? String(v.chunk) : '', v.rows ?? '', String(v.receiveCount), v.sentAt]);
  return formatTable(['message', 'event', 'job', 'chunk', 'rows', 'receives', 'sent'], rows);
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

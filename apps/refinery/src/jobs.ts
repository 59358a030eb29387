import { join } from 'node:path';
import { type StuckJob, StuckJobs } from '@refinery/ingest';
import { systemClock } from '@refinery/ports';
import { type EventSubscription, type Subscription, silentLogger, subscriptionPattern, subscriptionQueueNames } from '@refinery/runtime';
import type { QueueLocation } from './dlq';
import { SERVICE_DECLARATIONS } from './services';

// `refinery jobs stuck` and `refinery jobs fail`: the operator's view of ingest's sweep, on a local data dir or a
// deployed stage. They read ingest's jobs table and publish to the bus as the services do; `fail` publishes
// stage.failed.v1 from `refinery.operator`, which the merger turns into the job's failure like any other.

/** Ingest's jobs, and the bus, where they are. */
export async function openStuckJobs(location: QueueLocation): Promise<{ jobs: StuckJobs; close(): Promise<void> }> {
  if (location.kind === 'aws') {
    // require, not import(): the CLI runs as CommonJS through tsx, whose hooks only see require.
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
    const { EventBridgeClient } = require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
    const { DynamoTable, EventBridgePublisher } = require('@refinery/aws-adapters') as typeof import('@refinery/aws-adapters');
    const region = location.region ? { region: location.region } : {};
    const dynamodb = new DynamoDBClient(region);
    const eventBridge = new EventBridgeClient(region);
    const jobs = new StuckJobs({
      // The names the generated configuration gives them (libs/serverless-config).
      table: new DynamoTable({ client: dynamodb, tableName: `refinery-ingest-${location.stage}-jobs` }),
      publisher: new EventBridgePublisher({ client: eventBridge, eventBusName: `refinery-${location.stage}` }),
      clock: systemClock,
      logger: silentLogger,
    });
    return {
      jobs,
      close: async () => {
        dynamodb.destroy();
        eventBridge.destroy();
      },
    };
  }
  const { LocalEventBus, LocalQueues, LocalTable, localResourceName, openDatabase } =
    require('@refinery/local-runtime') as typeof import('@refinery/local-runtime');
  // No data-dir lock, as for `refinery dlq`: a running `refinery dev` picks the events up from its queues.
  const db = openDatabase(join(location.dataDir, 'refinery.db'));
  const bus = new LocalEventBus(db, new LocalQueues(db));
  // The local runtime's rules live in its process: route as it does, from the declarations.
  for (const declaration of SERVICE_DECLARATIONS) {
    for (const subscription of Object.values(declaration.subscriptions as Record<string, Subscription>)) {
      if (subscription.kind !== 'events') continue;
      const { queue } = subscriptionQueueNames(declaration.name, subscription.name);
      bus.putRule({ name: `${queue}-rule`, pattern: subscriptionPattern(subscription as EventSubscription), targetQueue: queue });
    }
  }
  const jobs = new StuckJobs({
    table: new LocalTable(db, localResourceName('ingest', 'jobs')),
    publisher: bus,
    clock: systemClock,
    logger: silentLogger,
  });
  return {
    jobs,
    close: async () => {
      db.close();
    },
  };
}

export interface StuckJobView {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: string;
  readonly submittedAt: string;
  readonly lastProgressAt: string;
  readonly idleMinutes: number;
  readonly chunks: string;
  readonly waitingFor: string;
  readonly reportedAt?: string;
}

export function stuckJobView(job: StuckJob): StuckJobView {
  return {
    jobId: job.jobId,
    tenantId: job.tenantId,
    status: job.status,
    submittedAt: job.submittedAt,
    lastProgressAt: job.lastProgressAt,
    idleMinutes: Math.floor(job.idleMs / 60_000),
    chunks: `${job.chunks.done}/${job.chunks.total}`,
    waitingFor: job.waitingFor,
    ...(job.reported ? { reportedAt: job.reported.at } : {}),
  };
}

export function formatStuckJobs(views: readonly StuckJobView[], minutes: number): string {
  if (views.length === 0) return `no job has gone ${minutes} minutes without progress`;
  const lines = views.map(
    (view) =>
      `${view.jobId}  ${view.tenantId}  ${view.status}  idle ${view.idleMinutes} min  chunks ${view.chunks}` +
      `${view.reportedAt ? `  (reported failed at ${view.reportedAt})` : ''}\n  ${view.waitingFor}`,
  );
  return `${views.length} job(s) without progress for ${minutes} minutes or more:\n${lines.join('\n')}`;
}

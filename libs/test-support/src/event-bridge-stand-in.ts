import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EventPattern, matchesEventPattern, validateEventPattern } from '@refinery/event-patterns';

export interface StandInRule {
  readonly name: string;
  readonly pattern: EventPattern;
  /** Receives the whole EventBridge event as JSON text (what an SQS target gets as its message body). */
  readonly deliver: (eventJson: string) => Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number;
}

/**
 * EventBridge has no emulator: this is ours, for tests. It answers PutEvents over HTTP on the documented wire shape
 * (JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`, `{ Entries }` in, `{ FailedEntryCount, Entries }` out), so the real
 * SDK client and our EventBridgePublisher talk to it unchanged, and it applies rules (event patterns) exactly like the
 * local bus does, delivering each matching event to its target.
 */
export class EventBridgeStandIn {
  private server: Server | undefined;
  private readonly rules: StandInRule[] = [];
  /** Every event accepted, in order (for assertions). */
  readonly events: Record<string, unknown>[] = [];

  constructor(private readonly eventBusName: string) {}

  addRule(rule: StandInRule): void {
    validateEventPattern(rule.pattern, `rule ${rule.name}`);
    this.rules.push(rule);
  }

  /** Routes an event that did not come through PutEvents (e.g. S3's Object Created notification). */
  async route(event: Record<string, unknown>): Promise<void> {
    this.events.push(event);
    const json = JSON.stringify(event);
    await Promise.all(this.rules.filter((rule) => matchesEventPattern(rule.pattern, event)).map((rule) => rule.deliver(json)));
  }

  async listen(): Promise<string> {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.handle(request.headers['x-amz-target'], body).then(
          (answer) => {
            response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
            response.end(JSON.stringify(answer.body));
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
            response.end(JSON.stringify({ __type: 'InternalException', message: (error as Error).message }));
          },
        );
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(target: string | string[] | undefined, body: string): Promise<{ status: number; body: unknown }> {
    if (target !== 'AWSEvents.PutEvents') {
      return { status: 400, body: { __type: 'UnknownOperationException', message: `unsupported operation ${String(target)}` } };
    }
    const { Entries = [] } = JSON.parse(body) as { Entries?: PutEventsEntry[] };
    const results: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] = [];
    for (const entry of Entries) {
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required' });
        continue;
      }
      if ((entry.EventBusName ?? 'default') !== this.eventBusName) {
        results.push({ ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` });
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      const id = randomUUID();
      await this.route({
        version: '0',
        id,
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: entry.Resources ?? [],
        detail,
      });
      results.push({ EventId: id });
    }
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    return { status: 200, body: { FailedEntryCount: failed, Entries: results } };
  }
}

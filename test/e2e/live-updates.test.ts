import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { startTestApp, type TestApp, waitForJob } from '../support/app';

// Live job updates end to end on the local mode: ingest publishes job.progressed.v1, the notifier pushes it over the
// WebSocket the local gateway serves at /socket (same port as the HTTP API), to the job's tenant only.

jest.setTimeout(120_000);

const ACME_TOKEN = 'token-acme-0001';
const GLOBEX_TOKEN = 'token-globex-0002';

interface JobView {
  jobId: string;
  status: string;
  rows: { total: number; done: number; matched: number; unmatched: number; invalid: number };
  chunks: { total: number; done: number };
  version: number;
}
type Message =
  | { type: 'job'; job: JobView }
  | { type: 'jobs'; jobs: JobView[] }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

/** A client of the socket that keeps every message it gets. */
class LiveClient {
  readonly messages: Message[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Message));
  }

  /** A browser's way (subprotocols refinery.v1 + bearer.TOKEN) or a server's (Authorization header). */
  static async connect(url: string, token: string, via: 'subprotocol' | 'header'): Promise<LiveClient> {
    const socketUrl = `${url.replace(/^http/, 'ws')}/socket`;
    const socket =
      via === 'subprotocol'
        ? new WebSocket(socketUrl, ['refinery.v1', `bearer.${token}`])
        : new WebSocket(socketUrl, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`handshake refused: HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    });
    return new LiveClient(socket);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits for a message (counting from `from`) that satisfies the test. */
  async next<T extends Message>(test: (message: Message) => message is T, from = 0, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message in ${JSON.stringify(this.messages).slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends an action and waits for its answer (the first message of a type other than `job` pushes, or an error). */
  async ask<T extends Message['type']>(message: unknown, type: T): Promise<Extract<Message, { type: T }>> {
    const from = this.messages.length;
    this.send(message);
    return this.next((candidate): candidate is Extract<Message, { type: T }> => candidate.type === type, from, 10_000);
  }

  jobMessages(jobId: string): JobView[] {
    return this.messages.flatMap((message) => (message.type === 'job' && message.job.jobId === jobId ? [message.job] : []));
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close();
    await closed;
  }
}

describe('live job updates over the WebSocket', () => {
  let test: TestApp;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    test = await startTestApp({ directory: 'examples/directory.csv' });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await test.stop();
  });

  async function connect(token: string, via: 'subprotocol' | 'header'): Promise<LiveClient> {
    const client = await LiveClient.connect(test.app.url, token, via);
    clients.push(client);
    return client;
  }

  it('refuses a handshake without a valid token (401)', async () => {
    await expect(LiveClient.connect(test.app.url, 'not-a-token-0000', 'header')).rejects.toThrow('HTTP 401');
    const bare = new WebSocket(`${test.app.url.replace(/^http/, 'ws')}/socket`);
    const status = await new Promise<number | undefined>((resolve) => {
      bare.once('unexpected-response', (_request, response) => resolve(response.statusCode));
      bare.once('open', () => resolve(101));
      bare.on('error', () => undefined);
    });
    bare.terminate();
    expect(status).toBe(401);
  });

  it("pushes a job's progress to its tenant until it completes, never to another tenant, and syncs a reconnecting client at once", async () => {
    const acme = await connect(ACME_TOKEN, 'subprotocol');
    const globex = await connect(GLOBEX_TOKEN, 'header');
    expect(acme.socket.protocol).toBe('refinery.v1');
    expect((await acme.ask({ action: 'ping' }, 'pong')).type).toBe('pong');
    expect((await globex.ask({ action: 'sync' }, 'jobs')).jobs).toEqual([]);

    // examples/contacts.csv has 250 rows: 25 chunks of 10.
    const { jobId } = await test.acme.submitCsv(readFileSync('examples/contacts.csv'), '?chunkRows=10');
    const completed = await acme.next(
      (message): message is { type: 'job'; job: JobView } =>
        message.type === 'job' && message.job.jobId === jobId && message.job.status === 'completed',
    );

    // Progress while it ran, not only the end: many snapshots, and a higher version is always a later state.
    const views = acme.jobMessages(jobId);
    const byVersion = [...new Map(views.map((view) => [view.version, view])).values()].sort((a, b) => a.version - b.version);
    expect(byVersion.length).toBeGreaterThanOrEqual(3);
    expect(views.some((view) => view.status === 'running' && view.rows.done > 0 && view.rows.done < view.rows.total)).toBe(true);
    for (let i = 1; i < byVersion.length; i += 1) {
      const [before, after] = [byVersion[i - 1] as JobView, byVersion[i] as JobView];
      expect(after.rows.done).toBeGreaterThanOrEqual(before.rows.done);
      expect(after.chunks.done).toBeGreaterThanOrEqual(before.chunks.done);
    }
    const newest = byVersion.at(-1) as JobView;
    expect(newest).toEqual(completed.job);
    expect(completed.job.rows.total).toBe(250);
    expect(completed.job.rows.done).toBe(completed.job.rows.total);
    expect(completed.job.chunks).toEqual({ total: 25, done: 25 });

    // Polling still works, and tells the same story.
    const polled = await waitForJob(test.acme, jobId);
    expect(polled).toMatchObject({ status: 'completed', rows: { total: 250, matched: completed.job.rows.matched } });

    // The other tenant heard nothing of it and cannot watch it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(globex.messages.filter((message) => message.type === 'job')).toEqual([]);
    expect(await globex.ask({ action: 'watch', jobId }, 'error')).toEqual({ type: 'error', code: 'not_found', message: `no job ${jobId}` });
    expect((await globex.ask({ action: 'sync' }, 'jobs')).jobs).toEqual([]);

    // A client that (re)connects gets the current state with its first message.
    await acme.close();
    const again = await connect(ACME_TOKEN, 'subprotocol');
    const synced = await again.ask({ action: 'sync' }, 'jobs');
    expect(synced.jobs).toEqual([completed.job]);
    expect(await again.ask({ action: 'watch', jobId }, 'job')).toEqual({ type: 'job', job: completed.job });
  });
});

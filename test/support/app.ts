import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, ApiError, type JobView, type LocalApp, type LocalAppOptions, startLocalApp } from '@refinery/cli';

export const TEST_TOKENS = 'acme:token-acme-0001,globex:token-globex-0002';

export interface TestApp {
  readonly app: LocalApp;
  readonly acme: ApiClient;
  readonly globex: ApiClient;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Every service on the embedded runtime in this process, on a fresh data dir, with two tenants. */
export async function startTestApp(options: Partial<LocalAppOptions> & Pick<LocalAppOptions, 'directory'>): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'refinery-e2e-'));
  const app = await startLocalApp({
    dataDir,
    port: 0,
    apiTokens: TEST_TOKENS,
    ...options,
    settings: { notifier: { webhookTimeoutMs: 2000 }, ...options.settings },
  });
  return {
    app,
    dataDir,
    acme: new ApiClient(app.url, 'token-acme-0001'),
    globex: new ApiClient(app.url, 'token-globex-0002'),
    stop: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls a job until it completes or fails. A 503 is polled through, as a client of API Gateway does: it is what the
 * gateway answers when the function did not answer in time (the emulated stage on a loaded machine).
 */
export async function waitForJob(client: ApiClient, jobId: string, timeoutMs = 60_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let job: JobView;
    try {
      job = await client.job(jobId);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 503) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (job.status === 'completed' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits for a job another service created (mailchimp-sync's imports and webhooks): ingest hears of it through the bus a
 * moment after the 202, so it may answer 404 at first. Then polls it like waitForJob.
 */
export async function waitForNewJob(client: ApiClient, jobId: string, timeoutMs = 60_000): Promise<JobView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await client.request('GET', `/jobs/${jobId}`);
    if (response.status === 200) break;
    if (Date.now() > deadline) throw new Error(`job ${jobId} never appeared (HTTP ${response.status})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return waitForJob(client, jobId, timeoutMs);
}

/** Downloads a job's result CSV as text. */
export async function resultText(client: ApiClient, jobId: string): Promise<string> {
  const response = await client.request('GET', `/jobs/${jobId}/result`);
  if (!response.ok) throw new Error(`result: HTTP ${response.status} ${await response.text()}`);
  return response.text();
}

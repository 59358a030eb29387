import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app';
import { REPO_ROOT } from '../support/cli';
import { BOUND_MS, isolationScenario, type Receivers, startReceivers } from '../support/webhook-isolation';

// A hanging webhook receiver of one tenant must not delay another tenant's webhooks (test/support/webhook-isolation.ts
// says how it is measured). Here on the embedded runtime, as `refinery dev` runs it; on the packaged stacks on moto the
// same scenario is the last test of test/e2e/aws-pipeline.test.ts, which shares that file's emulator.

jest.setTimeout(300_000);

// Webhooks go to receivers on loopback here: let them through the outbound address check.
process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = '1';

describe("a hanging webhook receiver does not delay another tenant's webhooks", () => {
  let receivers: Receivers;
  beforeEach(async () => {
    receivers = await startReceivers();
  });
  afterEach(() => receivers.stop());

  it(`locally (the embedded runtime): each of globex's webhooks arrives within ${BOUND_MS} ms of its job completing`, async () => {
    let t: TestApp | undefined;
    try {
      // The notifier's own defaults (3 s connect, 5 s response, one delivery in flight per subscription).
      t = await startTestApp({ directory: join(REPO_ROOT, 'examples', 'directory.csv'), settings: { notifier: {} } });
      const latencies = await isolationScenario(t.acme, t.globex, receivers);
      for (const latency of latencies) expect(latency).toBeLessThan(BOUND_MS);
      expect(receivers.hung).toBeGreaterThan(0);
    } finally {
      await t?.stop();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntime, LocalTable, localResourceName, openDatabase } from '@refinery/local-runtime';
import { buildProviderChain, readCircuitRecords } from '@refinery/providers';
import { kebabName, silentLogger } from '@refinery/runtime';
import { LOCAL_PROVIDER_LIMITS_TABLE, localProviderChainDeps, stageProviderLimitsTable } from '../src/provider-circuits';

// The local mode's provider chain records its circuits' transitions in the data dir (what `refinery status --data-dir`
// reads, from a process of its own, while `refinery dev` runs). A provider on 127.0.0.1 that answers 503 opens one.

describe('the local provider chain records its circuits in the data dir', () => {
  let dataDir: string;
  let server: Server;
  let origin: string;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'refinery-circuits-'));
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an opened circuit, written through the runtime connection, is read back by another connection', async () => {
    const runtime = await LocalRuntime.open({ dataDir, logger: silentLogger });
    try {
      const [crm] = buildProviderChain(
        {
          providers: [
            {
              type: 'http',
              name: 'crm',
              urlTemplate: `${origin}/people?last={last_name}`,
              idField: 'id',
              settings: { maxAttempts: 1, circuitFailureThreshold: 1 },
            },
          ],
        },
        { directory: () => undefined as never, env: {}, ...localProviderChainDeps(runtime, silentLogger) },
      );
      await expect(crm?.findCandidates([{ last_name: 'Thorne' }])).rejects.toThrow('HTTP 503');
      // The write is off the call's path: it is done once the tasks queued before this one are.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await runtime.close();
    }

    const reader = openDatabase(join(dataDir, 'refinery.db'));
    try {
      const records = await readCircuitRecords(new LocalTable(reader, LOCAL_PROVIDER_LIMITS_TABLE));
      expect(records).toEqual([
        {
          provider: 'crm',
          state: 'open',
          from: 'closed',
          since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          reason: expect.stringMatching(
            /^1 consecutive failed call, the last: crm is unavailable: GET \/people failed 1 time\(s\), last with HTTP 503$/,
          ),
          writer: { description: expect.stringMatching(new RegExp(`^pid ${process.pid} on `)), host: expect.any(String), pid: process.pid },
        },
      ]);
    } finally {
      reader.close();
    }
  });

  it('names the matcher providerLimits table as the local runtime and the generated configuration do', () => {
    expect(LOCAL_PROVIDER_LIMITS_TABLE).toBe(localResourceName('matcher', 'providerLimits'));
    expect(stageProviderLimitsTable('prod')).toBe(`refinery-matcher-prod-${kebabName('providerLimits')}`);
  });
});

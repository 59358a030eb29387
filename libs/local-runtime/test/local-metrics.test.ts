import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrapePrometheus } from '@refinery/test-support';
import { isLoopbackAddress, LocalMetrics, metricsAccessAllowed, metricsEndpoint, prometheusName } from '../src';

describe('LocalMetrics', () => {
  it('renders counters per service and dimensions, parsed by a Prometheus text-format parser', async () => {
    const metrics = new LocalMetrics();
    const labeler = metrics.forService('labeler');
    labeler.record('rowsProcessed', 3, { status: 'matched', method: 'exact' });
    labeler.record('rowsProcessed', 2, { status: 'matched', method: 'exact' });
    labeler.record('rowsProcessed', 1, { status: 'unmatched', method: 'none' });
    metrics.forService('merger').record('deadLettered', 1, {});

    const page = scrapePrometheus(await metrics.render());
    expect(page.types.get('refinery_rows_processed_total')).toBe('COUNTER');
    expect(page.help.get('refinery_rows_processed_total')).toMatch(/Rows labeled/);
    expect(page.samples('refinery_rows_processed_total')).toEqual([
      { labels: { service: 'labeler', status: 'matched', method: 'exact' }, value: 5 },
      { labels: { service: 'labeler', status: 'unmatched', method: 'none' }, value: 1 },
    ]);
    expect(page.samples('refinery_dead_lettered_total')).toEqual([{ labels: { service: 'merger' }, value: 1 }]);
    // Every catalogue entry is announced, recorded or not: a scraper sees the whole set from the start.
    expect(page.types.get('refinery_stuck_jobs_total')).toBe('COUNTER');
    expect(page.samples('refinery_stuck_jobs_total')).toEqual([]);
  });

  it('renders durations as cumulative histograms with the unit in the name', async () => {
    const metrics = new LocalMetrics();
    const matcher = metrics.forService('matcher');
    matcher.record('stageDuration', 7, { stage: 'matcher' });
    matcher.record('stageDuration', 40, { stage: 'matcher' });
    matcher.record('stageDuration', 2_000_000, { stage: 'matcher' });
    metrics.forService('merger').record('jobDuration', 90, { outcome: 'completed' });

    const page = scrapePrometheus(await metrics.render());
    expect(page.types.get('refinery_stage_duration_milliseconds')).toBe('HISTOGRAM');
    const buckets = Object.fromEntries(page.samples('refinery_stage_duration_milliseconds_bucket').map((sample) => [sample.labels.le, sample.value]));
    expect(buckets).toMatchObject({ '5': 0, '10': 1, '25': 1, '50': 2, '900000': 2, '+Inf': 3 });
    const series = { service: 'matcher', stage: 'matcher' };
    expect(page.samples('refinery_stage_duration_milliseconds_count')).toEqual([{ labels: series, value: 3 }]);
    expect(page.samples('refinery_stage_duration_milliseconds_sum')).toEqual([{ labels: series, value: 2_000_047 }]);
    // A second series of the same histogram is read as well as the first.
    metrics.forService('merger').record('stageDuration', 3, { stage: 'merger' });
    const both = scrapePrometheus(await metrics.render());
    expect(both.samples('refinery_stage_duration_milliseconds_count')).toEqual([
      { labels: series, value: 3 },
      { labels: { service: 'merger', stage: 'merger' }, value: 1 },
    ]);
    const job = page.samples('refinery_job_duration_seconds_bucket').filter((sample) => ['60', '120', '+Inf'].includes(sample.labels.le ?? ''));
    expect(job.map((sample) => [sample.labels.outcome, sample.labels.le, sample.value])).toEqual([
      ['completed', '60', 0],
      ['completed', '120', 1],
      ['completed', '+Inf', 1],
    ]);
  });

  it('escapes label values and reads gauges at every scrape', async () => {
    const metrics = new LocalMetrics();
    metrics.forService('odd "service"\\\nname').record('webhookDeliveries', 1, { outcome: 'delivered' });
    let depth = 4;
    metrics.addGauge({ name: 'refinery_test_depth', help: 'A depth.', read: () => [{ labels: { queue: 'q' }, value: depth }] });

    const first = scrapePrometheus(await metrics.render());
    expect(first.samples('refinery_webhook_deliveries_total')).toEqual([
      { labels: { service: 'odd "service"\\\nname', outcome: 'delivered' }, value: 1 },
    ]);
    expect(first.types.get('refinery_test_depth')).toBe('GAUGE');
    expect(first.samples('refinery_test_depth')).toEqual([{ labels: { queue: 'q' }, value: 4 }]);
    depth = 0;
    expect(scrapePrometheus(await metrics.render()).samples('refinery_test_depth')).toEqual([{ labels: { queue: 'q' }, value: 0 }]);
    expect(() => metrics.addGauge({ name: 'refinery_test_depth', help: '', read: () => [] })).toThrow(/already registered/);
    expect(() => metrics.addGauge({ name: 'not a name', help: '', read: () => [] })).toThrow(/not a Prometheus metric name/);
  });

  it('drops a value that is not a finite number rather than spoil the page', async () => {
    const metrics = new LocalMetrics();
    metrics.forService('ingest').record('stuckJobs', Number.NaN, {});
    expect(scrapePrometheus(await metrics.render()).samples('refinery_stuck_jobs_total')).toEqual([]);
  });

  it('keeps what a worker thread forwards as if recorded here', async () => {
    const main = new LocalMetrics();
    const thread = new LocalMetrics();
    thread.forwardTo((record) => main.recordForwarded(structuredClone(record)));
    thread.forService('matcher').record('chunksProcessed', 1, { stage: 'matcher' });
    expect(scrapePrometheus(await thread.render()).samples('refinery_chunks_processed_total')).toEqual([]);
    expect(scrapePrometheus(await main.render()).samples('refinery_chunks_processed_total')).toEqual([
      { labels: { service: 'matcher', stage: 'matcher' }, value: 1 },
    ]);
  });

  it('names metrics in snake case', () => {
    expect(prometheusName('providerLatency')).toBe('refinery_provider_latency');
  });
});

describe('GET /metrics', () => {
  const token = 'Bearer right-token';
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const metrics = new LocalMetrics();
    metrics.forService('notifier').record('webhookDeliveries', 2, { outcome: 'delivered' });
    const handler = metricsEndpoint(metrics, { tokenValid: (authorization) => authorization === token });
    server = createServer((request, response) => {
      void handler(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('serves the text format to a loopback client', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(scrapePrometheus(await response.text()).samples('refinery_webhook_deliveries_total')).toEqual([
      { labels: { service: 'notifier', outcome: 'delivered' }, value: 2 },
    ]);
  });

  it('refuses a cross-origin browser request without a token, and takes one with it', async () => {
    expect((await fetch(`${url}/metrics`, { headers: { origin: 'https://elsewhere.example' } })).status).toBe(403);
    const withToken = await fetch(`${url}/metrics`, { headers: { origin: 'https://elsewhere.example', authorization: token } });
    expect(withToken.status).toBe(200);
  });

  it('answers other methods with 405 and leaves other paths alone', async () => {
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/metrics-not`)).status).toBe(404);
  });
});

describe('the access rule of /metrics', () => {
  const tokenValid = (authorization: string | undefined): boolean => authorization === 'Bearer ok';
  const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ headers, socket: { remoteAddress } });

  it('allows loopback clients and refuses others unless they show a valid token', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(metricsAccessAllowed(request(address), { tokenValid })).toBe(true);
    }
    for (const address of ['192.168.1.20', '10.0.0.1', '::ffff:192.168.1.20', 'fe80::1']) {
      expect(metricsAccessAllowed(request(address), { tokenValid })).toBe(false);
      expect(metricsAccessAllowed(request(address, { authorization: 'Bearer wrong' }), { tokenValid })).toBe(false);
      expect(metricsAccessAllowed(request(address, { authorization: 'Bearer ok' }), { tokenValid })).toBe(true);
    }
  });

  it('does not take an address that merely starts like loopback', () => {
    expect(isLoopbackAddress('127.0.0.1.evil')).toBe(false);
    expect(isLoopbackAddress('1270.0.0.1')).toBe(false);
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

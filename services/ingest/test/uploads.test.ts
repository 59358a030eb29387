import { deriveEventId } from '@refinery/events';
import { ingest } from '../src/definition';
import {
  createHarness,
  FIRST_JOB_ID,
  FIRST_JOB_INPUT,
  fixture,
  getJob,
  type IngestHarness,
  PNG_BYTES,
  postCsv,
  postJson,
  sampleFile,
} from './helpers';

const CONTACTS = sampleFile('contacts.csv');
const OBJECT_CREATED = fixture('s3-object-created.json');
const S3_EVENT_ID = JSON.parse(OBJECT_CREATED).id as string;

describe('ingest uploads subscription (S3 "Object Created" via EventBridge)', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  /** A presigned-upload job, and the client's PUT of its file. */
  async function uploadedJob(
    file: Buffer,
    body: Record<string, unknown> = { filename: 'customers.csv', sizeBytes: 120, chunkRows: 500 },
  ): Promise<void> {
    const created = await postJson(harness, body);
    expect(created.json.jobId).toBe(FIRST_JOB_ID);
    await harness.ports.objects.put(FIRST_JOB_INPUT, file, { contentType: 'text/csv', ifNoneMatch: '*' });
  }

  it('submits the job: job.submitted.v1 with the stored size, caused by job.created.v1', async () => {
    await uploadedJob(CONTACTS);
    // The notice S3 sends to EventBridge for that PUT.
    expect(JSON.parse(OBJECT_CREATED)).toMatchObject({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: FIRST_JOB_INPUT.bucket }, object: { key: FIRST_JOB_INPUT.key, size: CONTACTS.length } },
    });

    const response = await harness.uploads([OBJECT_CREATED]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    const [created] = harness.ports.publisher.ofType('job.created.v1');
    const [submitted] = harness.ports.publisher.ofType('job.submitted.v1');
    expect(harness.ports.publisher.entries[1]?.source).toBe('refinery.ingest');
    expect(submitted).toEqual({
      type: 'job.submitted.v1',
      source: 'refinery.ingest',
      metadata: {
        eventId: deriveEventId(FIRST_JOB_ID, 'job.submitted.v1'),
        occurredAt: expect.any(String),
        tenantId: 'acme',
        jobId: FIRST_JOB_ID,
        correlationId: created?.metadata.correlationId,
        causationId: created?.metadata.eventId,
      },
      data: { filename: 'customers.csv', input: { ...FIRST_JOB_INPUT, sizeBytes: CONTACTS.length }, options: { chunkRows: 500 } },
    });
    const history = await getJob(harness, FIRST_JOB_ID, '/events');
    expect(history.json.events.map((event: { type: string }) => event.type)).toEqual(['job.created.v1', 'job.submitted.v1']);
    // Submitted is not yet running: the status stays accepted until the chunker plans the job.
    expect((await getJob(harness, FIRST_JOB_ID)).json.status).toBe('accepted');
  });

  it('submits a job whose CSV came in the request body once its notification arrives', async () => {
    await postCsv(harness, CONTACTS, { query: { filename: 'contacts.csv', chunkRows: '2' } });

    expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });

    expect(harness.ports.publisher.ofType('job.submitted.v1').map((event) => event.data)).toEqual([
      { filename: 'contacts.csv', input: { ...FIRST_JOB_INPUT, sizeBytes: CONTACTS.length }, options: { chunkRows: 2 } },
    ]);
  });

  it('publishes nothing new for a duplicate notice, in the same batch or delivered again later', async () => {
    await uploadedJob(CONTACTS);

    expect(await harness.uploads([OBJECT_CREATED, OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });
    expect(await harness.uploads([OBJECT_CREATED], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });

    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    const history = await getJob(harness, FIRST_JOB_ID, '/events');
    expect(history.json.events.map((event: { type: string }) => event.type)).toEqual(['job.created.v1', 'job.submitted.v1']);
  });

  it('fails the stage for good (stage.failed.v1, retryable false) when the upload is not a CSV, and does not retry it', async () => {
    await uploadedJob(PNG_BYTES);

    const response = await harness.uploads([OBJECT_CREATED]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'stage.failed.v1']);
    const [failed] = harness.ports.publisher.ofType('stage.failed.v1');
    expect(harness.ports.publisher.entries[1]?.source).toBe('refinery.ingest');
    expect(failed?.metadata).toMatchObject({ tenantId: 'acme', jobId: FIRST_JOB_ID, causationId: S3_EVENT_ID });
    expect(failed?.data).toEqual({
      service: 'ingest',
      subscription: 'uploads',
      eventType: 'Object Created',
      eventId: S3_EVENT_ID,
      reason: 'the uploaded file cannot be used: not a CSV file: looks like a PNG image (starts with bytes 89 50 4e 47)',
      retryable: false,
      attempts: 1,
    });
    // Delivered again, the same failure has the same id, so consumers see it once.
    await harness.uploads([OBJECT_CREATED], { receiveCount: 2 });
    const again = harness.ports.publisher.ofType('stage.failed.v1');
    expect(again.map((event) => event.metadata.eventId)).toEqual([failed?.metadata.eventId, failed?.metadata.eventId]);
    expect(harness.ports.publisher.ofType('job.submitted.v1')).toEqual([]);
  });

  it('fails the stage for good when the uploaded CSV has no usable header', async () => {
    await uploadedJob(sampleFile('not-contacts.csv'));

    expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });

    expect(harness.ports.publisher.ofType('stage.failed.v1').map((event) => [event.data.retryable, event.data.reason])).toEqual([
      [
        false,
        'the uploaded file cannot be used: no usable header: found "Product", "Price", "Quantity"; need ' +
          'an email or phone column, or a name column (first_name, last_name or a full name) with one of company, title, street, city, state, postcode, birth_date, or birth_date with street or postcode',
      ],
    ]);
    expect(harness.ports.publisher.ofType('job.submitted.v1')).toEqual([]);
  });

  it("checks the header with the job's explicit column mapping", async () => {
    await uploadedJob(sampleFile('mapped-by-option.csv'), {
      filename: 'kunden.csv',
      sizeBytes: 120,
      columnMapping: { Vorname: 'first_name', Nachname: 'last_name' },
    });

    expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });

    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    expect(harness.ports.publisher.ofType('job.submitted.v1')[0]?.data.options).toEqual({
      columnMapping: { Vorname: 'first_name', Nachname: 'last_name' },
    });
  });

  it('ignores objects that are not a job input: another key under tenants/, or another bucket', async () => {
    await uploadedJob(CONTACTS);

    const response = await harness.uploads([fixture('s3-object-created-unrelated-key.json'), fixture('s3-object-created-other-bucket.json')]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(harness.publishedTypes()).toEqual(['job.created.v1']);
  });

  it('reports a notice for a job whose history is missing as a batch item failure, to be retried', async () => {
    await harness.ports.objects.put(FIRST_JOB_INPUT, CONTACTS);

    const response = await harness.uploads([OBJECT_CREATED]);

    expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(harness.ports.publisher.entries).toEqual([]);
  });

  it('on the last allowed delivery (maxReceiveCount 5) reports the failure as retryable before the message goes to the DLQ', async () => {
    expect(ingest.subscriptions.uploads.queue.maxReceiveCount).toBe(5);

    const fourth = await harness.uploads([OBJECT_CREATED], { receiveCount: 4 });
    expect(fourth).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(harness.ports.publisher.entries).toEqual([]);

    const last = await harness.uploads([OBJECT_CREATED], { receiveCount: 5 });

    expect(last).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(harness.ports.publisher.ofType('stage.failed.v1').map((event) => event.data)).toEqual([
      {
        service: 'ingest',
        subscription: 'uploads',
        eventType: 'Object Created',
        eventId: S3_EVENT_ID,
        reason: `ingest gave up on Object Created after 5 attempts: job ${FIRST_JOB_ID} has no history yet`,
        retryable: true,
        attempts: 5,
      },
    ]);
  });

  it('fails only the records of a batch that fail: a malformed message is kept, the others are done', async () => {
    await uploadedJob(CONTACTS);

    const response = await harness.uploads([fixture('s3-object-created-unrelated-key.json'), 'not json at all', OBJECT_CREATED]);

    expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-2' }] });
    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
  });

  it('does not lose job.submitted.v1 when the bus is down: the record is retried and the retry publishes it', async () => {
    await uploadedJob(CONTACTS);
    harness.ports.publisher.failWith = new Error('EventBridge unavailable');

    expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(harness.publishedTypes()).toEqual(['job.created.v1']);

    harness.ports.publisher.failWith = undefined;
    expect(await harness.uploads([OBJECT_CREATED], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });

    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    expect(harness.ports.publisher.ofType('job.submitted.v1')[0]?.metadata.eventId).toBe(deriveEventId(FIRST_JOB_ID, 'job.submitted.v1'));
    const history = await getJob(harness, FIRST_JOB_ID, '/events');
    expect(history.json.events.map((event: { type: string }) => event.type)).toEqual(['job.created.v1', 'job.submitted.v1']);
  });
});

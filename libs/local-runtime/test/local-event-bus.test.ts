import { openDatabase } from '../src/database';
import { LocalEventBus } from '../src/local-event-bus';
import { LocalQueues } from '../src/local-queues';

describe('LocalEventBus (EventBridge rules to queues)', () => {
  function setup() {
    const db = openDatabase(':memory:');
    const queues = new LocalQueues(db);
    for (const name of ['planned', 'everything', 'failures']) queues.createQueue(name, { visibilityTimeoutMs: 1000 });
    const bus = new LocalEventBus(db, queues);
    bus.putRule({ name: 'r1', pattern: { source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'] }, targetQueue: 'planned' });
    bus.putRule({ name: 'r2', pattern: { source: [{ prefix: 'refinery.' }] }, targetQueue: 'everything' });
    bus.putRule({ name: 'r3', pattern: { 'detail-type': ['stage.failed.v1'] }, targetQueue: 'failures' });
    return { bus, queues };
  }
  const detail = (jobId: string) => JSON.stringify({ metadata: { tenantId: 't', jobId, eventId: 'e1' }, data: {} });

  it('sends each event, as EventBridge delivers it, to the queue of every matching rule and logs it', async () => {
    const { bus, queues } = setup();
    await bus.publish([{ source: 'refinery.chunker', detailType: 'chunk.planned.v1', detail: detail('j1') }]);
    const [message] = queues.receive('planned', 10);
    const event = JSON.parse(message!.body);
    expect(event).toMatchObject({ version: '0', source: 'refinery.chunker', 'detail-type': 'chunk.planned.v1', region: 'local', resources: [] });
    expect(event.detail.metadata.jobId).toBe('j1');
    expect(queues.receive('everything', 10)).toHaveLength(1);
    expect(queues.receive('failures', 10)).toHaveLength(0);
    expect(bus.history({ jobId: 'j1' })).toEqual([expect.objectContaining({ detailType: 'chunk.planned.v1', id: event.id })]);
  });

  it('does not deduplicate (EventBridge does not either)', async () => {
    const { bus, queues } = setup();
    const entry = { source: 'refinery.chunker', detailType: 'chunk.planned.v1', detail: detail('j1') };
    await bus.publish([entry, entry]);
    expect(queues.receive('planned', 10)).toHaveLength(2);
  });

  it('rejects entries that EventBridge would reject, and publishes none of the batch', async () => {
    const { bus, queues } = setup();
    const good = { source: 'refinery.chunker', detailType: 'chunk.planned.v1', detail: detail('j1') };
    await expect(bus.publish([good, { ...good, detail: 'not json' }])).rejects.toThrow('detail is not JSON');
    await expect(bus.publish([{ ...good, detail: JSON.stringify({ rows: 'x'.repeat(300_000) }) }])).rejects.toThrow('EventBridge accepts at most');
    expect(queues.receive('planned', 10)).toHaveLength(0);
  });

  it('refuses invalid rule patterns', () => {
    const { bus } = setup();
    expect(() => bus.putRule({ name: 'bad', pattern: { source: [] }, targetQueue: 'planned' })).toThrow('must list at least one value');
  });
});

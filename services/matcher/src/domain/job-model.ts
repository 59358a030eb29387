import { type LinkageModel, parseLinkageModel } from '@refinery/matching';
import { ObjectNotFoundError, type ObjectRef, type ObjectStore } from '@refinery/ports';

/** Where a job's linkage model lives: beside its matched chunks, so it expires with them. */
export function jobModelRef(bucket: string, tenantId: string, jobId: string): ObjectRef {
  return { bucket, key: `tenants/${tenantId}/jobs/${jobId}/model.json` };
}

/** The models being learnt in this process, by object: a second chunk of the job waits for the first's. */
const learning = new Map<string, Promise<LinkageModel>>();

/**
 * A job's model as one JSON object. The first chunk to run learns it from the job's first rows and writes it; the
 * others read it. Two chunks of a job starting at once in one process (the local mode's consumers, a Lambda container
 * with concurrent records) share one learning; in two processes both learn it from the same rows, so they write the
 * same model.
 */
export class StoredJobModel {
  constructor(
    private readonly objects: ObjectStore,
    private readonly ref: ObjectRef,
  ) {}

  /** The stored model, or the one `learn` gives (then stored), learnt once per process however many chunks ask. */
  async loadOrLearn(learn: () => Promise<LinkageModel>): Promise<{ readonly model: LinkageModel; readonly learnt: boolean }> {
    const stored = await this.load();
    if (stored !== undefined) return { model: stored, learnt: false };
    const key = `${this.ref.bucket}/${this.ref.key}`;
    const pending = learning.get(key);
    if (pending) return { model: await pending, learnt: false };
    const mine = learn().then(async (model) => {
      await this.save(model);
      return model;
    });
    learning.set(key, mine);
    try {
      return { model: await mine, learnt: true };
    } finally {
      learning.delete(key);
    }
  }

  async load(): Promise<LinkageModel | undefined> {
    try {
      const text = (await this.objects.getBuffer(this.ref)).toString('utf8');
      return parseLinkageModel(text, `the job's linkage model (${this.ref.key})`);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async save(model: LinkageModel): Promise<void> {
    await this.objects.put(this.ref, JSON.stringify(model), { contentType: 'application/json' });
  }
}

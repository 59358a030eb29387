import { type LinkageModel, parseLinkageModel } from '@refinery/matching';
import { ObjectNotFoundError, type ObjectRef, type ObjectStore } from '@refinery/ports';

/** Where a job's linkage model lives: beside its matched chunks, so it expires with them. */
export function jobModelRef(bucket: string, tenantId: string, jobId: string): ObjectRef {
  return { bucket, key: `tenants/${tenantId}/jobs/${jobId}/model.json` };
}

/**
 * A job's model as one JSON object. The first chunk to run learns it from the job's first rows and writes it; the
 * others read it. Two chunks starting at once both learn it from the same rows, so they write the same model.
 */
export class StoredJobModel {
  constructor(
    private readonly objects: ObjectStore,
    private readonly ref: ObjectRef,
  ) {}

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

// The signed CRM webhook sources of each tenant, in the jobs table. A source is a name the tenant picks ("hubspot") and
// an opaque id minted for it (`src_...`): the id is the webhook URL's last segment, which is how a request that carries
// no bearer token finds its tenant and the secret to check its signature with. Two items per source:
//
//   webhook-source#<id>       / source          { id, tenantId, name, sealedSecret, createdAt }  (the webhook's lookup)
//   webhook-sources#<tenant>  / name#<name>     { id, name, createdAt }                          (the tenant's list; one per name)
//
// (The table's other partitions are `job#<jobId>`, `idempotency#<tenant>` and `seen#<sourceId>`, the webhook ids seen.)
//
// Verifying an HMAC needs the key itself, so the secret cannot be hashed: it is sealed (AES-256-GCM with the
// key-encryption key, bound to the source and its tenant) before it is stored, so neither the table (SSE on AWS) nor
// the local refinery.db holds it in clear. Sources stored before that hold `secret` in clear: they are read as they
// are and sealed on that first read, as is a secret sealed with an older key of the ring. The secret is never logged,
// and never returned again (the list leaves it out).
import { type Clock, ConditionFailedError, type IdGenerator, type Item, queryAll, type Table } from '@refinery/ports';
import type { SecretSealer } from '@refinery/runtime';
import { generateWebhookSecret } from '@refinery/webhooks-in';

export interface WebhookSource {
  /** `src_...`: the webhook URL is `/webhooks/<id>`. */
  readonly id: string;
  readonly tenantId: string;
  /** The tenant's name for it, a lowercase slug: `hubspot`, `salesforce-eu`. */
  readonly name: string;
  /** Standard Webhooks signing secret, `whsec_<base64>`. */
  readonly secret: string;
  readonly createdAt: string;
}

export type WebhookSourceSummary = Pick<WebhookSource, 'id' | 'name' | 'createdAt'>;

/** A lowercase slug: letters, digits and inner hyphens, 1 to 64 characters. */
export const SOURCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** What a minted source id looks like (anything else is not looked up). */
export const SOURCE_ID = /^src_[A-Za-z0-9]{1,64}$/;

export class WebhookSourceExistsError extends Error {
  override readonly name = 'WebhookSourceExistsError';
}

export function webhookPath(sourceId: string): string {
  return `/webhooks/${sourceId}`;
}

const sourceKey = (id: string) => ({ pk: `webhook-source#${id}`, sk: 'source' });
const nameKey = (tenantId: string, name: string) => ({ pk: `webhook-sources#${tenantId}`, sk: `name#${name}` });
/** What a sealed secret is bound to: copied onto another source or tenant, it does not open. */
const sealedFor = (id: string, tenantId: string) => `webhook-source#${id}#${tenantId}`;

export class WebhookSources {
  constructor(
    private readonly table: Table,
    private readonly deps: { readonly ids: IdGenerator; readonly clock: Clock; readonly secrets: SecretSealer },
  ) {}

  /**
   * A new source with a new secret. The source item is written first, under a fresh id, then the name (create-only):
   * a name already taken removes the new source again and throws WebhookSourceExistsError. A crash in between leaves a
   * source no one has the id or the secret of.
   */
  async create(tenantId: string, name: string): Promise<WebhookSource> {
    const source: WebhookSource = {
      id: this.deps.ids.newId('src'),
      tenantId,
      name,
      secret: generateWebhookSecret(),
      createdAt: this.deps.clock.now().toISOString(),
    };
    await this.table.put(this.sourceItem(source), { condition: { kind: 'itemNotExists' } });
    try {
      await this.table.put(
        { ...nameKey(tenantId, name), id: source.id, name, createdAt: source.createdAt },
        { condition: { kind: 'itemNotExists' } },
      );
    } catch (error) {
      await this.table.delete(sourceKey(source.id));
      if (error instanceof ConditionFailedError) throw new WebhookSourceExistsError(`there is already a webhook source named ${name}`);
      throw error;
    }
    return source;
  }

  /** The tenant's sources, by name; no secrets. */
  async list(tenantId: string): Promise<WebhookSourceSummary[]> {
    const sources: WebhookSourceSummary[] = [];
    for await (const item of queryAll(this.table, `webhook-sources#${tenantId}`, { beginsWith: 'name#' })) {
      sources.push({ id: item.id as string, name: item.name as string, createdAt: item.createdAt as string });
    }
    return sources;
  }

  /**
   * The source a webhook URL names, with its tenant and secret. A secret stored in clear (before secrets were sealed)
   * or sealed with an older key is sealed again with the newest, unless the source was deleted meanwhile.
   */
  async get(id: string): Promise<WebhookSource | undefined> {
    const item = await this.table.get(sourceKey(id));
    if (!item) return undefined;
    const tenantId = item.tenantId as string;
    const { secret, reseal } = this.secretOf(item, id, tenantId);
    const source: WebhookSource = { id, tenantId, name: item.name as string, secret, createdAt: item.createdAt as string };
    if (reseal) {
      await this.table.put(this.sourceItem(source), { condition: { kind: 'itemExists' } }).catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error; // deleted meanwhile: nothing to seal
      });
    }
    return source;
  }

  /** The stored form of a source: its secret sealed, never in clear. */
  private sourceItem(source: WebhookSource): Item {
    const { secret, ...rest } = source;
    return { ...sourceKey(source.id), ...rest, sealedSecret: this.deps.secrets.seal(secret, sealedFor(source.id, source.tenantId)) };
  }

  private secretOf(item: Item, id: string, tenantId: string): { secret: string; reseal: boolean } {
    if (typeof item.sealedSecret === 'string') {
      const opened = this.deps.secrets.open(item.sealedSecret, sealedFor(id, tenantId));
      return { secret: opened.plaintext, reseal: opened.stale };
    }
    if (typeof item.secret === 'string') return { secret: item.secret, reseal: true };
    throw new Error(`webhook source ${id} has no secret stored`);
  }

  /**
   * Deletes the tenant's source of that name; false when there is none. The source item goes first, so its webhooks
   * are refused (404) from then on; a crash before the name goes leaves it listed, and a repeated delete finishes.
   */
  async delete(tenantId: string, name: string): Promise<boolean> {
    const entry = await this.table.get(nameKey(tenantId, name));
    if (!entry) return false;
    await this.table.delete(sourceKey(entry.id as string));
    await this.table.delete(nameKey(tenantId, name));
    return true;
  }
}

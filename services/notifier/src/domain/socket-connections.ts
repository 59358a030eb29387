import { type Clock, queryAll, type SocketConnections, type Table } from '@refinery/ports';

/**
 * API Gateway closes a WebSocket connection after 2 hours at the latest. A connection whose $disconnect never arrived
 * (API Gateway delivers it on a best-effort basis) is forgotten after that, plus a margin: DynamoDB deletes its items
 * (`expiresAt`, the table's TTL attribute), and until it does (TTL deletion can lag) the registry skips them.
 */
export const CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60 + 10 * 60;

/** An open WebSocket connection of a tenant (API Gateway's connection id). */
export interface SocketConnection {
  readonly connectionId: string;
  readonly tenantId: string;
  readonly connectedAt: string;
}

const tenantPk = (tenantId: string): string => `tenant#${tenantId}`;
const tenantSk = (connectionId: string): string => `connection#${connectionId}`;
// A message or a disconnect names only the connection: this item says whose it is.
const connectionKey = (connectionId: string) => ({ pk: `connection#${connectionId}`, sk: 'connection' });

/**
 * The open WebSocket connections, per tenant (to push a job's progress to its tenant's clients) and per connection id
 * (to know whose a message is). Written at $connect, removed at $disconnect or when posting finds the connection gone.
 */
export class ConnectionRegistry {
  constructor(
    private readonly table: Table,
    private readonly sockets: SocketConnections,
    private readonly clock: Clock,
  ) {}

  /** Posts a message to a connection; one found gone (410) is forgotten. */
  async send(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    const outcome = await this.sockets.post(connectionId, message);
    if (outcome === 'gone') await this.remove(connectionId);
    return outcome;
  }

  async add(connection: SocketConnection): Promise<void> {
    const expiresAt = Math.floor(Date.parse(connection.connectedAt) / 1000) + CONNECTION_LIFETIME_SECONDS;
    // The lookup first: a connection listed for its tenant can always be told whose it is.
    await this.table.put({ ...connectionKey(connection.connectionId), ...connection, expiresAt });
    await this.table.put({ pk: tenantPk(connection.tenantId), sk: tenantSk(connection.connectionId), ...connection, expiresAt });
  }

  /** The tenant a connection acts for, or undefined when it is not (or no longer) registered. */
  async tenantOf(connectionId: string): Promise<string | undefined> {
    const item = await this.table.get(connectionKey(connectionId));
    return typeof item?.tenantId === 'string' && !this.expired(item.expiresAt) ? item.tenantId : undefined;
  }

  /** Forgets a connection; nothing happens when it is unknown (a repeated $disconnect, a second 410). */
  async remove(connectionId: string): Promise<void> {
    const item = await this.table.get(connectionKey(connectionId));
    if (typeof item?.tenantId === 'string') await this.table.delete({ pk: tenantPk(item.tenantId), sk: tenantSk(connectionId) });
    await this.table.delete(connectionKey(connectionId));
  }

  /** The tenant's connections that may still be open. */
  async ofTenant(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const item of queryAll(this.table, tenantPk(tenantId), { beginsWith: 'connection#' })) {
      if (!this.expired(item.expiresAt)) ids.push(String(item.connectionId));
    }
    return ids;
  }

  private expired(expiresAt: unknown): boolean {
    return typeof expiresAt === 'number' && expiresAt * 1000 <= this.clock.now().getTime();
  }
}

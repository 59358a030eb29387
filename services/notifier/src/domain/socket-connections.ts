import { queryAll, type Table } from '@refinery/ports';

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
  constructor(private readonly table: Table) {}

  async add(connection: SocketConnection): Promise<void> {
    // The lookup first: a connection listed for its tenant can always be told whose it is.
    await this.table.put({ ...connectionKey(connection.connectionId), ...connection });
    await this.table.put({ pk: tenantPk(connection.tenantId), sk: tenantSk(connection.connectionId), ...connection });
  }

  /** The tenant a connection acts for, or undefined when it is not (or no longer) registered. */
  async tenantOf(connectionId: string): Promise<string | undefined> {
    const item = await this.table.get(connectionKey(connectionId));
    return typeof item?.tenantId === 'string' ? item.tenantId : undefined;
  }

  /** Forgets a connection; nothing happens when it is unknown (a repeated $disconnect, a second 410). */
  async remove(connectionId: string): Promise<void> {
    const tenantId = await this.tenantOf(connectionId);
    if (tenantId !== undefined) await this.table.delete({ pk: tenantPk(tenantId), sk: tenantSk(connectionId) });
    await this.table.delete(connectionKey(connectionId));
  }

  async ofTenant(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const item of queryAll(this.table, tenantPk(tenantId), { beginsWith: 'connection#' })) ids.push(String(item.connectionId));
    return ids;
  }
}

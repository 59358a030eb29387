import { type ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { SocketConnections } from '@refinery/ports';
import { httpStatusOf } from './s3-errors';

export interface ApiGatewaySocketConnectionsOptions {
  /**
   * A client whose endpoint is the WebSocket API's stage as HTTPS, `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`
   * (the Management API lives on the API itself).
   */
  readonly client: ApiGatewayManagementApiClient;
}

/**
 * `SocketConnections` on the API Gateway Management API: PostToConnection, where 410 GoneException (the client left,
 * or API Gateway dropped the connection) is `'gone'`. Anything else throws, as the SDK raised it (after its own
 * retries of throttling and 5xx).
 */
export class ApiGatewaySocketConnections implements SocketConnections {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(options: ApiGatewaySocketConnectionsOptions) {
    this.client = options.client;
  }

  async post(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(message, 'utf8') }));
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }
}

function isGone(error: unknown): boolean {
  return (error instanceof Error && error.name === 'GoneException') || httpStatusOf(error) === 410;
}

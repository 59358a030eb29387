// Shaped after the API Gateway Management API of a WebSocket API (PostToConnection).

/** API Gateway's limit for one message posted to a connection (PostToConnection answers 413 above it). */
export const MAX_SOCKET_MESSAGE_BYTES = 128 * 1024;

/** The open WebSocket connections of one API, addressed by the connection id API Gateway gave each. */
export interface SocketConnections {
  /**
   * Sends one text message to a connection. `'gone'` when the connection is closed or unknown (PostToConnection's
   * 410 GoneException): the caller forgets it. Throws for anything else (throttling, a message over
   * MAX_SOCKET_MESSAGE_BYTES), so the caller can try again later.
   *
   * A connection cannot be posted to before its `$connect` handler has returned (API Gateway opens it only then):
   * answer what a client needs at once when it asks (its first message), not from `$connect`.
   */
  post(connectionId: string, message: string): Promise<'sent' | 'gone'>;
}

import { MAX_SOCKET_MESSAGE_BYTES, type SocketConnections } from '@refinery/ports';

/** One open WebSocket as the local gateway hands it over: how to send to it and how to close it. */
export interface LocalSocket {
  /** True until the socket starts closing. */
  isOpen(): boolean;
  /** Sends one text frame; resolves once it is written. */
  send(message: string): Promise<void>;
  /** Starts the closing handshake (DeleteConnection). */
  close(): void;
}

/** What API Gateway's GetConnection tells of a connection. */
export interface LocalConnectionInfo {
  readonly connectedAt: Date;
  readonly lastActiveAt: Date;
  readonly sourceIp: string;
  readonly userAgent: string;
}

/** Posting more than API Gateway takes in one message (PostToConnection's 413 PayloadTooLargeException). */
export class SocketMessageTooLargeError extends Error {
  override readonly name = 'SocketMessageTooLargeError';
  constructor(readonly sizeBytes: number) {
    super(`a message of ${sizeBytes} bytes is over the ${MAX_SOCKET_MESSAGE_BYTES} bytes API Gateway accepts`);
  }
}

/**
 * `SocketConnections` of the local gateway's WebSocket API (`/socket`): the sockets it has opened, by connection id.
 * A connection is known only once its `$connect` handler has returned and the handshake is done, as on API Gateway;
 * before that, and after it closes, posting to it answers `'gone'`.
 */
export class LocalSocketConnections implements SocketConnections {
  private readonly sockets = new Map<string, { socket: LocalSocket; info: LocalConnectionInfo }>();

  /** The gateway: a handshake is done. */
  attach(connectionId: string, socket: LocalSocket, identity: { sourceIp: string; userAgent: string }, now = new Date()): void {
    this.sockets.set(connectionId, { socket, info: { connectedAt: now, lastActiveAt: now, ...identity } });
  }

  /** The gateway: the socket closed. */
  detach(connectionId: string): void {
    this.sockets.delete(connectionId);
  }

  /** The gateway: the client sent a message. */
  touch(connectionId: string, now = new Date()): void {
    const entry = this.sockets.get(connectionId);
    if (entry) entry.info = { ...entry.info, lastActiveAt: now };
  }

  get size(): number {
    return this.sockets.size;
  }

  async post(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    const sizeBytes = Buffer.byteLength(message, 'utf8');
    if (sizeBytes > MAX_SOCKET_MESSAGE_BYTES) throw new SocketMessageTooLargeError(sizeBytes);
    const socket = this.openSocket(connectionId);
    if (!socket) return 'gone';
    try {
      await socket.send(message);
      return 'sent';
    } catch (error) {
      // Closed between the check and the write: the same as gone.
      if (!socket.isOpen()) return 'gone';
      throw error;
    }
  }

  /** GetConnection: undefined when gone. */
  info(connectionId: string): LocalConnectionInfo | undefined {
    return this.openSocket(connectionId) ? this.sockets.get(connectionId)?.info : undefined;
  }

  /** DeleteConnection: closes the socket ($disconnect follows); false when it is gone already. */
  disconnect(connectionId: string): boolean {
    const socket = this.openSocket(connectionId);
    if (!socket) return false;
    socket.close();
    return true;
  }

  private openSocket(connectionId: string): LocalSocket | undefined {
    const socket = this.sockets.get(connectionId)?.socket;
    return socket?.isOpen() ? socket : undefined;
  }
}

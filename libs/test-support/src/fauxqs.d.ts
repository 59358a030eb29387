// The part of fauxqs's API the test harness uses (its own types are ES-module only). buildApp returns a Fastify
// instance; only the members used here are declared.
declare module 'fauxqs' {
  import type { IncomingMessage, Server } from 'node:http';

  interface HookRequest {
    readonly method: string;
    readonly url: string;
    readonly headers: IncomingMessage['headers'];
  }
  interface HookReply {
    readonly statusCode: number;
    code(status: number): HookReply;
    header(name: string, value: string): HookReply;
    send(body: string): Promise<unknown>;
  }
  interface FauxqsApp {
    readonly server: Server;
    addHook(name: 'onRequest' | 'onResponse', hook: (request: HookRequest, reply: HookReply) => Promise<void>): void;
    listen(options: { port: number; host: string }): Promise<string>;
    close(): Promise<void>;
  }
  export function buildApp(options?: { logger?: boolean; host?: string; defaultRegion?: string }): FauxqsApp;
}

import { MAX_SOCKET_MESSAGE_BYTES } from '@refinery/ports';
import { z } from 'zod';
import type { JobView } from './job-views';

// The WebSocket protocol `refinery.v1`: JSON text frames. Clients ask with `action`, the server answers and pushes
// with `type`.

export const SOCKET_SUBPROTOCOL = 'refinery.v1';
/** Browsers cannot set headers on a WebSocket: they offer the token as the subprotocol `bearer.TOKEN` instead. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

export const clientMessageSchema = z.discriminatedUnion('action', [
  /** The tenant's most recent jobs: what a (re)connecting client asks first. */
  z.object({ action: z.literal('sync') }),
  /** One job's latest view. */
  z.object({ action: z.literal('watch'), jobId: z.string().min(1).max(200) }),
  /** Keeps an idle connection open (API Gateway closes it after 10 idle minutes). */
  z.object({ action: z.literal('ping') }),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type ServerMessage =
  | { readonly type: 'jobs'; readonly jobs: readonly JobView[] }
  | { readonly type: 'job'; readonly job: JobView }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: 'bad_request' | 'not_found' | 'unauthorized'; readonly message: string };

/** A client's frame, or the reason it is not one. */
export function parseClientMessage(body: string | undefined): { ok: true; message: ClientMessage } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { ok: false, problem: 'messages are JSON objects like {"action":"sync"}' };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      problem: `expected {"action":"sync"}, {"action":"watch","jobId":"..."} or {"action":"ping"}: ${z.prettifyError(parsed.error)}`,
    };
  return { ok: true, message: parsed.data };
}

/**
 * The text of a message. A `jobs` answer drops its oldest jobs until it fits in one API Gateway message (128 KB);
 * fifty views are far below that unless filenames or failure reasons are huge.
 */
export function encodeServerMessage(message: ServerMessage): string {
  let text = JSON.stringify(message);
  if (message.type !== 'jobs') return text;
  let jobs = message.jobs;
  while (Buffer.byteLength(text, 'utf8') > MAX_SOCKET_MESSAGE_BYTES && jobs.length > 0) {
    jobs = jobs.slice(0, -1);
    text = JSON.stringify({ ...message, jobs });
  }
  return text;
}

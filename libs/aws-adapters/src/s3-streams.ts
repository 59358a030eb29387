import { Readable } from 'node:stream';
import type { ObjectBody } from '@refinery/ports';

/**
 * The body as one Node stream of Buffers, counting bytes as lib-storage pulls them: the object's size is known when
 * the upload completes without buffering the body or trusting a declared length.
 */
export function countingStream(body: Exclude<ObjectBody, Buffer | string>, count: (bytes: number) => void): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      count(buffer.length);
      yield buffer;
    }
  }
  return Readable.from(chunks());
}

/** GetObject's body as a Node Readable (it is one under Node's HTTP handler; a web stream is converted). */
export function toNodeReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  const web = body as { transformToWebStream?: () => ReadableStream<Uint8Array> } | undefined;
  if (web?.transformToWebStream) return Readable.fromWeb(web.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
  if (body === undefined) return Readable.from([]);
  throw new Error('S3 returned a body that is not a stream');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { type ApiClient, ApiError } from './api-client';

/** Files at least this large go up in parts (`refinery enrich --multipart-threshold`). */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024;
/** Parts sent at once. */
export const PARTS_IN_FLIGHT = 4;
/** Attempts per part: a part whose connection breaks (or that storage answers 5xx) is sent again, after a growing wait. */
export const PART_ATTEMPTS = 5;
const FIRST_RETRY_MS = 200;
/** Part URLs asked for at once (the API's page). */
const PART_URLS_PAGE = 100;

/** What `POST /jobs` with `{"upload": "multipart"}` answers as `upload`. */
export interface MultipartUploadTarget {
  readonly kind: 'multipart';
  readonly uploadId: string;
  readonly sizeBytes: number;
  readonly partSizeBytes: number;
  readonly partCount: number;
  readonly expiresAt: string;
}

interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

export interface MultipartProgress {
  /** Parts that were already uploaded (by an earlier run) when this one started. */
  readonly resumed: number;
  /** Parts sent by this run. */
  readonly sent: number;
  /** Part sends that failed and were tried again. */
  readonly retried: number;
}

/**
 * Uploads a file in the parts the API chose: first asks which parts storage holds already (so a run after a broken
 * one sends only the rest), then sends the others PARTS_IN_FLIGHT at a time, each read from its byte range of the file
 * and retried when its connection breaks, then completes. Part URLs are fetched a page at a time, as they are needed.
 */
export async function uploadInParts(
  client: ApiClient,
  jobId: string,
  target: MultipartUploadTarget,
  path: string,
  options: { partsInFlight?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<MultipartProgress> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const job = `/jobs/${encodeURIComponent(jobId)}/upload`;
  const uploaded = new Set<number>();
  for (let after: number | null = 0; after !== null; ) {
    const page: { parts: Array<{ partNumber: number; sizeBytes: number }>; nextAfter: number | null } = await client.getJson(
      `${job}/parts?after=${after}&limit=1000`,
    );
    // A part of the wrong length cannot be there (each URL is signed for its length), so the list is what is done.
    for (const part of page.parts) uploaded.add(part.partNumber);
    after = page.nextAfter;
  }
  const missing: number[] = [];
  for (let partNumber = 1; partNumber <= target.partCount; partNumber += 1) if (!uploaded.has(partNumber)) missing.push(partNumber);

  let retried = 0;
  const urls = new Map<number, PartUrl>();
  const urlOf = async (partNumber: number): Promise<PartUrl> => {
    if (!urls.has(partNumber)) {
      const page: { parts: PartUrl[] } = await client.getJson(`${job}/part-urls?from=${partNumber}&limit=${PART_URLS_PAGE}`);
      urls.clear(); // keep one page in memory
      for (const part of page.parts) urls.set(part.partNumber, part);
    }
    const url = urls.get(partNumber);
    if (!url) throw new Error(`the API handed out no URL for part ${partNumber} of job ${jobId}`);
    return url;
  };
  const send = async (partNumber: number): Promise<void> => {
    const start = (partNumber - 1) * target.partSizeBytes;
    const end = Math.min(start + target.partSizeBytes, target.sizeBytes);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await putRange(await urlOf(partNumber), path, start, end);
        return;
      } catch (error) {
        const retryable = !(error instanceof ApiError) || error.status >= 500;
        if (!retryable || attempt >= PART_ATTEMPTS) {
          throw new Error(`part ${partNumber} of ${target.partCount} could not be uploaded after ${attempt} attempts: ${(error as Error).message}`);
        }
        retried += 1;
        await sleep(FIRST_RETRY_MS * 2 ** (attempt - 1));
      }
    }
  };
  // Workers take the next missing part in order, so the URL pages are asked for in order too.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < missing.length) {
      const partNumber = missing[next] as number;
      next += 1;
      await send(partNumber);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.partsInFlight ?? PARTS_IN_FLIGHT, missing.length) }, worker));

  const completed = await client.request('POST', `${job}/complete`);
  if (completed.status !== 202) {
    const failure = await client.errorOf(completed);
    // Completed by an earlier run that died before hearing the answer.
    if (failure.code !== 'upload_completed') throw failure;
  }
  return { resumed: uploaded.size, sent: missing.length, retried };
}

/** PUTs bytes start..end-1 of the file to a part URL, streamed (node:http, as the single upload). */
async function putRange(part: PartUrl, path: string, start: number, end: number): Promise<void> {
  const url = new URL(part.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const status = await new Promise<number>((resolve, reject) => {
    const request = send(url, { method: part.method, headers: { ...part.headers, 'content-length': String(end - start) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    pipeline(createReadStream(path, { start, end: end - 1 }), request).catch(reject);
  });
  if (status < 200 || status >= 300) throw new ApiError(status, 'upload_failed', `storage answered HTTP ${status}`);
}

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { JobViewData } from '@refinery/events';
import type { MultipartUploadTarget } from './multipart-upload';

/** What `GET /jobs/{id}` answers: the event catalog's job view (the same shape `job.progressed.v1` carries). */
export type JobView = JobViewData;

export interface HistoryEntry {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

/** One page of `GET /jobs/{id}/events`: `nextCursor` is null on the last page. */
export interface EventsPage {
  readonly events: HistoryEntry[];
  readonly nextCursor: string | null;
}

export interface UploadTarget {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

export interface UploadJobBody {
  readonly filename: string;
  readonly sizeBytes: number;
  readonly chunkRows?: number;
  readonly thresholds?: { match?: number; review?: number };
  /** `multipart`: the answer's `upload` is a MultipartUploadTarget (see uploadInParts). */
  readonly upload?: 'multipart' | undefined;
}

/** What `POST /jobs` with JSON answers: `upload` is null when the file is in place already (a replay). */
export interface CreatedUploadJob<Target> {
  readonly jobId: string;
  readonly status: string;
  readonly upload: Target | null;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A small client of the Contact Refinery HTTP API (used by `refinery enrich`, the tests and the benchmark). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** `sizeBytes`: the file's size; the upload URL (or each part URL) takes a body of exactly that many bytes. */
  createUploadJob(body: UploadJobBody & { upload: 'multipart' }, idempotencyKey?: string): Promise<CreatedUploadJob<MultipartUploadTarget>>;
  createUploadJob(body: UploadJobBody & { upload?: undefined }, idempotencyKey?: string): Promise<CreatedUploadJob<UploadTarget>>;
  createUploadJob(body: UploadJobBody, idempotencyKey?: string): Promise<CreatedUploadJob<UploadTarget | MultipartUploadTarget>>;
  async createUploadJob(body: UploadJobBody, idempotencyKey?: string): Promise<CreatedUploadJob<UploadTarget | MultipartUploadTarget>> {
    return this.json('POST', '/jobs', JSON.stringify(body), {
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    });
  }

  async submitCsv(csv: string | Buffer, query = ''): Promise<{ jobId: string; status: string }> {
    return this.json('POST', `/jobs${query}`, csv, { 'content-type': 'text/csv' });
  }

  /**
   * PUTs a file to a presigned upload URL, streaming it with backpressure (node:http, not fetch: on Node 20 a stream
   * handed to fetch is read ahead without limit, which held whole files in memory). A 412 means the file is already
   * there (a resumed run).
   */
  async upload(target: UploadTarget, path: string): Promise<'uploaded' | 'already-uploaded'> {
    const { size } = await fs.stat(path);
    const url = new URL(target.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const status = await new Promise<number>((resolve, reject) => {
      const request = send(url, { method: target.method, headers: { ...target.headers, 'content-length': String(size) } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      });
      request.on('error', reject);
      pipeline(createReadStream(path), request).catch(reject);
    });
    if (status === 412) return 'already-uploaded';
    if (status < 200 || status >= 300) throw new ApiError(status, 'upload_failed', `upload failed with HTTP ${status}`);
    return 'uploaded';
  }

  /** GET of an API path, its JSON answer (an ApiError for anything but 2xx). */
  getJson<T>(path: string): Promise<T> {
    return this.json('GET', path);
  }

  job(jobId: string): Promise<JobView> {
    return this.json('GET', `/jobs/${encodeURIComponent(jobId)}`);
  }

  /** The job's whole history, oldest first: every page of `GET /jobs/{id}/events`, following `nextCursor`. */
  async events(jobId: string): Promise<HistoryEntry[]> {
    const events: HistoryEntry[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
      const page: EventsPage = await this.json('GET', `/jobs/${encodeURIComponent(jobId)}/events?${query}`);
      events.push(...page.events);
      cursor = page.nextCursor;
    } while (cursor);
    return events;
  }

  /**
   * Downloads the result to `path`, atomically: asks the API (302 to a short-lived URL), then streams that URL to a
   * temporary file with backpressure (node:http, as for uploads) and renames it into place.
   */
  async downloadResult(jobId: string, path: string): Promise<void> {
    const answer = await this.request('GET', `/jobs/${encodeURIComponent(jobId)}/result`, undefined, {}, 'manual');
    const location = answer.headers.get('location');
    if (answer.status !== 302 || !location) throw await this.errorOf(answer);
    const url = new URL(location, this.baseUrl);
    const get = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const partial = `${path}.partial`;
    await new Promise<void>((resolve, reject) => {
      const request = get(url, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new ApiError(response.statusCode ?? 0, 'download_failed', `result download failed with HTTP ${response.statusCode}`));
          return;
        }
        pipeline(response, createWriteStream(partial)).then(resolve, reject);
      });
      request.on('error', reject);
      request.end();
    });
    await fs.rename(partial, path);
  }

  async request(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
    redirect: 'follow' | 'manual' = 'follow',
  ): Promise<Response> {
    const send = () =>
      fetch(`${this.baseUrl}${path}`, { method, redirect, headers: { ...this.headers(), ...headers }, ...(body !== undefined ? { body } : {}) });
    try {
      return await send();
    } catch (error) {
      // A kept-alive connection the server closed as the request went out (its idle timeout and our reuse crossing,
      // likelier on a loaded machine) fails before the server saw anything: a read is safe to send once more.
      if ((method === 'GET' || method === 'HEAD') && isStaleConnection(error)) return send();
      throw error;
    }
  }

  private async json<T>(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.request(method, path, body, headers);
    if (!response.ok) throw await this.errorOf(response);
    return (await response.json()) as T;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** The API's error answer as an ApiError (its code and message). */
  async errorOf(response: Response): Promise<ApiError> {
    const text = await response.text();
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      return new ApiError(response.status, error.code, error.message);
    } catch {
      return new ApiError(response.status, 'http_error', `HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
  }
}

/** fetch's failure when the connection it reused was closed by the other side (undici: ECONNRESET, "other side closed"). */
export function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface JobView {
  readonly jobId: string;
  readonly status: 'accepted' | 'running' | 'completed' | 'failed';
  readonly filename: string;
  readonly rows: { total: number; done: number; matched: number; unmatched: number; invalid: number };
  readonly chunks: { total: number; done: number };
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly error: { reason: string; rows?: { first: number; count: number } } | null;
}

export interface HistoryEntry {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

export interface UploadTarget {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
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

  async createUploadJob(
    body: { filename: string; chunkRows?: number },
    idempotencyKey?: string,
  ): Promise<{ jobId: string; status: string; upload: UploadTarget | null }> {
    return this.json('POST', '/jobs', JSON.stringify(body), {
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    });
  }

  async submitCsv(csv: string | Buffer, query = ''): Promise<{ jobId: string; status: string }> {
    return this.json('POST', `/jobs${query}`, csv, { 'content-type': 'text/csv' });
  }

  /** PUTs a file to a presigned upload URL, streaming it. A 412 means it is already there (a resumed run). */
  async upload(target: UploadTarget, path: string): Promise<'uploaded' | 'already-uploaded'> {
    const { size } = await fs.stat(path);
    const response = await fetch(target.url, {
      method: target.method,
      headers: { ...target.headers, 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    await response.arrayBuffer();
    if (response.status === 412) return 'already-uploaded';
    if (!response.ok) throw new ApiError(response.status, 'upload_failed', `upload failed with HTTP ${response.status}`);
    return 'uploaded';
  }

  job(jobId: string): Promise<JobView> {
    return this.json('GET', `/jobs/${encodeURIComponent(jobId)}`);
  }

  events(jobId: string): Promise<HistoryEntry[]> {
    return this.json('GET', `/jobs/${encodeURIComponent(jobId)}/events`);
  }

  /** Downloads the result (following the redirect to the result URL) to `path`, atomically. */
  async downloadResult(jobId: string, path: string): Promise<void> {
    const response = await fetch(`${this.baseUrl}/jobs/${encodeURIComponent(jobId)}/result`, { headers: this.headers() });
    if (!response.ok || !response.body) throw await this.error(response);
    const partial = `${path}.partial`;
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(partial));
    await fs.rename(partial, path);
  }

  async request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { method, headers: { ...this.headers(), ...headers }, ...(body !== undefined ? { body } : {}) });
  }

  private async json<T>(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.request(method, path, body, headers);
    if (!response.ok) throw await this.error(response);
    return (await response.json()) as T;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  private async error(response: Response): Promise<ApiError> {
    const text = await response.text();
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      return new ApiError(response.status, error.code, error.message);
    } catch {
      return new ApiError(response.status, 'http_error', `HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
  }
}

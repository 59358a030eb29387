// The HTTP API client: ingest's jobs routes and notifier's subscriptions, with the bearer token of the session.

/**
 * @typedef {{ total: number, done: number, matched: number, unmatched: number, invalid: number, review?: number }} RowCounts
 * @typedef {{ total: number, pending: number, accepted: number, rejected: number, version: number }} ReviewFigures
 * @typedef {{
 *   row: number, status: 'pending' | 'accepted' | 'rejected', candidateId: string, method: string, score: number, reason: string,
 *   contact: Record<string, string>, candidate: Record<string, string>, version?: number, probabilityNow?: number
 * }} ReviewEntry
 * @typedef {{ review: ReviewFigures, items: ReviewEntry[], next: number | null, model?: { labelledPairs: number } }} ReviewPage
 * @typedef {{
 *   jobId: string, status: 'accepted' | 'running' | 'completed' | 'failed', filename: string, rows: RowCounts,
 *   byMethod?: { exact: number, fuzzy: number, nickname: number }, chunks: { total: number, done: number },
 *   createdAt: string, completedAt: string | null,
 *   error: { reason: string, rows?: { first: number, count: number } } | null, version?: number, review?: ReviewFigures
 * }} JobView
 * @typedef {{ id: string, type: string, occurredAt: string, data: Record<string, any> }} HistoryEntry
 * @typedef {{ header: string, field: string | null, explicit: boolean }} PreviewColumn
 * @typedef {{ columns: PreviewColumn[], fields: string[], usable: boolean, problem: string | null }} MappingPreview
 * @typedef {{ url: string, method: string, headers: Record<string, string>, expiresAt?: string }} UploadTarget
 * @typedef {{ kind: 'multipart', uploadId: string, sizeBytes: number, partSizeBytes: number, partCount: number, expiresAt: string }} MultipartTarget
 * @typedef {{ partNumber: number, url: string, method: string, headers: Record<string, string> }} PartUrl
 * @typedef {{ columns: string[], rows: { row: number, values: string[] }[], next: string | null, version?: number }} RowsPage
 * @typedef {{ id: string, url: string, eventTypes: string[], description: string, createdAt: string, secret?: string }} Subscription
 */

/** An answer other than 2xx, with the API's `{ error: { code, message } }` when it sent one. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * @param {{ baseUrl: string, notifierBaseUrl?: string, token: () => string | null, onUnauthorized: () => void }} options
 */
export function createApi({ baseUrl, notifierBaseUrl = baseUrl, token, onUnauthorized }) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, headers?: Record<string, string>, bearer?: string, quietUnauthorized?: boolean, base?: string }} [options]
   * @returns {Promise<any>}
   */
  async function request(method, path, options = {}) {
    const bearer = options.bearer ?? token();
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', ...options.headers };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let body;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(`${options.base ?? baseUrl}${path}`, { method, headers, body, cache: 'no-store' });
    } catch (error) {
      throw new ApiError(0, 'network', `the API could not be reached (${error instanceof Error ? error.message : String(error)})`);
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data && typeof data === 'object' && data.error ? data.error : {};
      const failure = new ApiError(
        response.status,
        typeof error.code === 'string' ? error.code : `http_${response.status}`,
        typeof error.message === 'string' ? error.message : `HTTP ${response.status}`,
        error.details,
      );
      if (response.status === 401 && !options.quietUnauthorized) onUnauthorized();
      throw failure;
    }
    return data;
  }

  const id = encodeURIComponent;

  return {
    /** Checks a token before keeping it: any authenticated read will do. @param {string} candidate */
    checkToken: (candidate) => request('GET', '/jobs?limit=1', { bearer: candidate, quietUnauthorized: true }),

    /** @param {{ limit?: number, after?: string | null }} [page] @returns {Promise<{ jobs: JobView[], next: string | null }>} */
    listJobs: (page = {}) => {
      const query = new URLSearchParams({ limit: String(page.limit ?? 50) });
      if (page.after) query.set('after', page.after);
      return request('GET', `/jobs?${query}`);
    },
    /** @param {string} jobId @returns {Promise<JobView>} */
    job: (jobId) => request('GET', `/jobs/${id(jobId)}`),
    /**
     * The job's whole history, oldest first: every page of `/events`, following `nextCursor`.
     * @param {string} jobId @returns {Promise<HistoryEntry[]>}
     */
    events: async (jobId) => {
      /** @type {HistoryEntry[]} */
      const events = [];
      /** @type {string | null} */
      let cursor = null;
      do {
        const query = new URLSearchParams({ limit: '1000' });
        if (cursor) query.set('cursor', cursor);
        /** @type {{ events: HistoryEntry[], nextCursor: string | null }} */
        const page = await request('GET', `/jobs/${id(jobId)}/events?${query}`);
        events.push(...page.events);
        cursor = page.nextCursor;
      } while (cursor);
      return events;
    },
    /**
     * @param {string} jobId
     * @param {{ status?: string, label?: string, limit?: number, after?: string | null }} filters
     * @returns {Promise<RowsPage>}
     */
    rows: (jobId, filters) => {
      const query = new URLSearchParams({ limit: String(filters.limit ?? 50) });
      if (filters.status) query.set('status', filters.status);
      if (filters.label) query.set('label', filters.label);
      if (filters.after) query.set('after', filters.after);
      return request('GET', `/jobs/${id(jobId)}/rows?${query}`);
    },
    /**
     * A page of the job's review queue.
     * @param {string} jobId
     * @param {{ status?: string, limit?: number, after?: number | null }} query
     * @returns {Promise<ReviewPage>}
     */
    review: (jobId, query) => {
      const search = new URLSearchParams({ status: query.status ?? 'pending', limit: String(query.limit ?? 20) });
      if (query.after !== null && query.after !== undefined) search.set('after', String(query.after));
      return request('GET', `/jobs/${id(jobId)}/review?${search}`);
    },
    /**
     * A person's decision on a row in review.
     * @param {string} jobId
     * @param {number} row
     * @param {'accept' | 'reject'} decision
     * @returns {Promise<{ row: number, decision: string, version: number }>}
     */
    decide: (jobId, row, decision) => request('POST', `/jobs/${id(jobId)}/review/${row}`, { body: { decision } }),
    /** The result's short-lived download URL. @param {string} jobId @returns {Promise<{ url: string, expiresAt: string, filename: string }>} */
    resultLink: (jobId) => request('GET', `/jobs/${id(jobId)}/result`),
    /**
     * @param {{ head: string, complete: boolean, columnMapping?: Record<string, string | null> }} input
     * @returns {Promise<MappingPreview>}
     */
    previewMapping: (input) => request('POST', '/column-mappings/preview', { body: input }),
    /**
     * `sizeBytes`: the file's size; the upload URL is signed for exactly that many bytes. `upload: 'multipart'`: the
     * file goes up in parts (uploadInParts); with an Idempotency-Key, asking again resumes the same upload.
     * @param {{ filename: string, sizeBytes: number, columnMapping?: Record<string, string | null>, upload?: 'multipart' }} input
     * @param {string} [idempotencyKey]
     * @returns {Promise<{ jobId: string, status: string, upload: UploadTarget | MultipartTarget | null }>}
     */
    createUploadJob: (input, idempotencyKey) =>
      request('POST', '/jobs', { body: input, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) }),
    /** A page of part URLs. @param {string} jobId @param {number} from @returns {Promise<{ parts: PartUrl[], nextFrom: number | null }>} */
    partUrls: (jobId, from) => request('GET', `/jobs/${id(jobId)}/upload/part-urls?from=${from}&limit=100`),
    /**
     * A page of the parts storage holds. @param {string} jobId @param {number} after
     * @returns {Promise<{ parts: { partNumber: number, sizeBytes: number }[], nextAfter: number | null }>}
     */
    uploadedParts: (jobId, after) => request('GET', `/jobs/${id(jobId)}/upload/parts?after=${after}&limit=1000`),
    /** @param {string} jobId @returns {Promise<{ jobId: string, status: string }>} */
    completeUpload: (jobId) => request('POST', `/jobs/${id(jobId)}/upload/complete`),

    // The notifier's routes (its own HTTP API on AWS unless one host serves both).
    /** @returns {Promise<{ subscriptions: Subscription[] }>} */
    subscriptions: () => request('GET', '/subscriptions', { base: notifierBaseUrl }),
    /** @param {{ url: string, eventTypes: string[], description: string }} input @returns {Promise<Subscription>} */
    createSubscription: (input) => request('POST', '/subscriptions', { body: input, base: notifierBaseUrl }),
    /** @param {string} subscriptionId */
    deleteSubscription: (subscriptionId) => request('DELETE', `/subscriptions/${id(subscriptionId)}`, { base: notifierBaseUrl }),
    /** @param {string} subscriptionId @returns {Promise<{ deliveries: any[] }>} */
    deliveries: (subscriptionId) => request('GET', `/subscriptions/${id(subscriptionId)}/deliveries`, { base: notifierBaseUrl }),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * PUTs a file to its presigned upload URL (XMLHttpRequest, for upload progress). A 412 means the file is there already.
 * @param {UploadTarget} target
 * @param {Blob} file
 * @param {(fraction: number) => void} onProgress
 * @returns {Promise<void>}
 */
export function uploadFile(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method || 'PUT', target.url);
    // Content-Length is the browser's to send (the file's size, which the URL is signed for); it may not be set here.
    for (const [name, value] of Object.entries(target.headers ?? {})) if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if ((xhr.status >= 200 && xhr.status < 300) || xhr.status === 412) resolve();
      else reject(new ApiError(xhr.status, 'upload_failed', `the upload was refused (HTTP ${xhr.status})`));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'the upload could not reach the storage service')));
    xhr.send(file);
  });
}

/** Parts sent at once, and attempts per part (a part whose connection breaks is sent again, after a growing wait). */
const PARTS_IN_FLIGHT = 3;
const PART_ATTEMPTS = 5;

/**
 * Uploads a file in the parts the API chose: asks which parts storage holds already (a resumed upload sends only the
 * rest), sends the others a few at a time, each sliced from the file and retried when its connection breaks, then
 * completes. Part URLs come a page at a time, as they are needed.
 * @param {Api} api
 * @param {string} jobId
 * @param {MultipartTarget} target
 * @param {Blob} file
 * @param {(fraction: number) => void} onProgress
 * @returns {Promise<void>}
 */
export async function uploadInParts(api, jobId, target, file, onProgress) {
  const done = new Set();
  for (let after = /** @type {number | null} */ (0); after !== null; ) {
    const page = await api.uploadedParts(jobId, after);
    for (const part of page.parts) done.add(part.partNumber);
    after = page.nextAfter;
  }
  const lengthOf = (/** @type {number} */ n) => Math.min(target.partSizeBytes, target.sizeBytes - (n - 1) * target.partSizeBytes);
  /** @type {Map<number, number>} bytes sent per part in flight */
  const sending = new Map();
  let doneBytes = [...done].reduce((sum, n) => sum + lengthOf(n), 0);
  const report = () => onProgress(Math.min(1, (doneBytes + [...sending.values()].reduce((a, b) => a + b, 0)) / target.sizeBytes));
  report();

  /** @type {number[]} */
  const missing = [];
  for (let n = 1; n <= target.partCount; n += 1) if (!done.has(n)) missing.push(n);
  /** @type {Map<number, PartUrl>} one page of URLs */
  let urls = new Map();
  const urlOf = async (/** @type {number} */ n) => {
    if (!urls.has(n)) urls = new Map((await api.partUrls(jobId, n)).parts.map((part) => [part.partNumber, part]));
    const url = urls.get(n);
    if (!url) throw new Error(`no upload URL for part ${n}`);
    return url;
  };
  const send = async (/** @type {number} */ n) => {
    const start = (n - 1) * target.partSizeBytes;
    const blob = file.slice(start, start + lengthOf(n));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await putBlob(await urlOf(n), blob, (loaded) => {
          sending.set(n, loaded);
          report();
        });
        sending.delete(n);
        doneBytes += blob.size;
        report();
        return;
      } catch (failure) {
        sending.delete(n);
        const retryable = !(failure instanceof ApiError) || failure.status === 0 || failure.status >= 500;
        if (!retryable || attempt >= PART_ATTEMPTS) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const n = /** @type {number} */ (missing[next]);
      next += 1;
      await send(n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, missing.length) }, worker));
  try {
    await api.completeUpload(jobId);
  } catch (failure) {
    // Completed by an earlier attempt that did not hear the answer.
    if (!(failure instanceof ApiError && failure.code === 'upload_completed')) throw failure;
  }
}

/**
 * PUTs one part (XMLHttpRequest, for its progress). @param {PartUrl} part @param {Blob} blob
 * @param {(loaded: number) => void} onLoaded @returns {Promise<void>}
 */
function putBlob(part, blob, onLoaded) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(part.method || 'PUT', part.url);
    // Content-Length (signed into the URL) is the browser's to send: the slice's size.
    for (const [name, value] of Object.entries(part.headers ?? {})) if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => onLoaded(event.loaded));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new ApiError(xhr.status, 'upload_failed', `part ${part.partNumber} was refused (HTTP ${xhr.status})`));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', `part ${part.partNumber} could not reach the storage service`)));
    xhr.send(blob);
  });
}

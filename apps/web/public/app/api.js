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
     * `sizeBytes`: the file's size; the upload URL is signed for exactly that many bytes.
     * @param {{ filename: string, sizeBytes: number, columnMapping?: Record<string, string | null> }} input
     * @returns {Promise<{ jobId: string, status: string, upload: UploadTarget | null }>}
     */
    createUploadJob: (input) => request('POST', '/jobs', { body: input }),

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

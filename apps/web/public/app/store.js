// The jobs the page knows of, from every source (GET /jobs, GET /jobs/{id}, socket pushes), keeping for each job the
// newest state: a larger `version` is a newer state, so a late or repeated message never moves a job backwards.

/** @typedef {import('./api.js').JobView} JobView */

export class JobStore {
  constructor() {
    /** @type {Map<string, JobView>} */
    this.jobs = new Map();
    /** @type {Set<(job: JobView) => void>} */
    this.listeners = new Set();
  }

  /** @param {string} jobId */
  get(jobId) {
    return this.jobs.get(jobId);
  }

  /** Newest first (job ids are ULIDs: they sort by creation time). */
  all() {
    return [...this.jobs.values()].sort((a, b) => (a.jobId < b.jobId ? 1 : a.jobId > b.jobId ? -1 : 0));
  }

  /**
   * Keeps a job's state unless the store has a newer one; tells the listeners when it changed.
   * @param {JobView} job
   * @returns {JobView} the state kept
   */
  put(job) {
    if (!job || typeof job.jobId !== 'string') return job;
    const known = this.jobs.get(job.jobId);
    if (known && isOlder(job, known)) return known;
    if (known && JSON.stringify(known) === JSON.stringify(job)) return known;
    this.jobs.set(job.jobId, job);
    for (const listener of this.listeners) listener(job);
    return job;
  }

  /** @param {(job: JobView) => void} listener @returns {() => void} unsubscribe */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear() {
    this.jobs.clear();
  }
}

/**
 * @param {JobView} candidate
 * @param {JobView} known
 */
function isOlder(candidate, known) {
  if (typeof candidate.version === 'number' && typeof known.version === 'number') return candidate.version < known.version;
  // Without versions: a finished job never goes back to running.
  const terminal = (/** @type {JobView} */ job) => job.status === 'completed' || job.status === 'failed';
  return terminal(known) && !terminal(candidate);
}

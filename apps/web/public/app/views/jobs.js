// The tenant's jobs, newest first, with their status: GET /jobs once, then live from the socket's pushes (every
// 2 s from GET /jobs while the socket is down). Items are updated in place so keyboard focus stays where it is.

import { h, pageHeading, replaceChildren } from '../dom.js';
import { formatTime, ownSentence, percentDone, rowsDoneText, statusBadge } from '../format.js';

const POLL_MS = 2000;

/** @typedef {import('../api.js').JobView} JobView */

/** @param {import('../main.js').App} app @returns {import('../router.js').View} */
export function jobsView(app) {
  const message = h('p', { class: 'message', role: 'status', text: 'Loading your jobs…' });
  const list = h('ul', { class: 'job-list', 'aria-label': 'Jobs, newest first' });
  const more = h('button', { type: 'button', class: 'secondary', text: 'Show older jobs', hidden: true, onclick: loadMore });
  /** @type {Map<string, JobItem>} */
  const items = new Map();
  /** @type {string | null} */
  let next = null;
  let loadedMore = false;
  let disposed = false;

  /** @param {string | null} after */
  async function load(after) {
    try {
      const page = await app.api.listJobs({ limit: 50, after });
      if (disposed) return;
      for (const job of page.jobs) app.store.put(job);
      // A refresh of the first page keeps the cursor of older pages already shown.
      if (after) {
        next = page.next;
        loadedMore = true;
      } else if (!loadedMore) next = page.next;
      more.hidden = !next;
      renderAll();
    } catch (error) {
      if (disposed) return;
      message.textContent = `Your jobs could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
      message.classList.add('error');
    }
  }

  async function loadMore() {
    /** @type {HTMLButtonElement} */ (more).disabled = true;
    await load(next);
    /** @type {HTMLButtonElement} */ (more).disabled = false;
  }

  function renderAll() {
    const jobs = app.store.all();
    message.classList.remove('error');
    message.textContent = jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}.` : 'No jobs yet: upload a contact book to start one.';
    for (const [index, job] of jobs.entries()) place(job, index);
  }

  /** Updates a job's item, or adds it where it belongs (newest first). @param {JobView} job @param {number} [index] */
  function place(job, index) {
    const known = items.get(job.jobId);
    if (known) {
      known.update(job);
      return;
    }
    const item = new JobItem(job);
    items.set(job.jobId, item);
    const position = index ?? app.store.all().findIndex((other) => other.jobId === job.jobId);
    const before = list.children[position] ?? null;
    list.insertBefore(item.node, before);
  }

  const unsubscribe = app.store.subscribe((job) => {
    place(job);
    const count = items.size;
    message.textContent = `${count} job${count === 1 ? '' : 's'}.`;
  });
  const poller = setInterval(() => {
    if (!app.socket.connected) void load(null);
  }, POLL_MS);
  void load(null);

  const node = h(
    'section',
    { class: 'view jobs' },
    h('div', { class: 'view-header' }, pageHeading('Jobs'), h('a', { href: '#/upload', class: 'button primary', text: 'Upload a contact book' })),
    message,
    list,
    more,
  );
  return {
    node,
    title: 'Jobs',
    dispose: () => {
      disposed = true;
      unsubscribe();
      clearInterval(poller);
    },
  };
}

/** One job in the list: a link to it, its status and its progress. */
class JobItem {
  /** @param {JobView} job */
  constructor(job) {
    this.link = h('a', { class: 'job-link' });
    this.status = h('span', { class: 'job-status' });
    this.progress = h('progress', { max: '100', 'aria-hidden': 'true' });
    this.detail = h('span', { class: 'job-detail' });
    this.time = h('span', { class: 'job-time' });
    this.node = h('li', { class: 'job-item' }, this.link, h('span', { class: 'job-meta' }, this.status, this.progress, this.detail, this.time));
    this.update(job);
  }

  /** @param {JobView} job */
  update(job) {
    this.node.dataset.jobId = job.jobId;
    this.node.dataset.status = job.status;
    this.link.setAttribute('href', `#/jobs/${encodeURIComponent(job.jobId)}`);
    this.link.textContent = job.filename || job.jobId;
    replaceChildren(this.status, statusBadge(job.status));
    /** @type {HTMLProgressElement} */ (this.progress).value = percentDone(job);
    this.progress.hidden = job.status === 'failed';
    // A failed job says why at once; the others how far they are.
    this.detail.textContent = job.status === 'failed' ? ownSentence(job.error?.reason ?? 'no reason was recorded') : rowsDoneText(job);
    this.time.textContent = `created ${formatTime(job.createdAt)}`;
  }
}

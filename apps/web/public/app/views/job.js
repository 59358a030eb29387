// One job: its progress (live from the socket; GET /jobs/{id} every 2 s while the socket is down), why it failed,
// its summary and result download, a preview of its result rows, and its history.

import { ApiError } from '../api.js';
import { h, pageHeading } from '../dom.js';
import { ownSentence, percentDone, progressText, rowRangeText, statusBadge } from '../format.js';
import { HistoryPanel } from './history.js';
import { ResultsPanel } from './results.js';
import { ReviewPanel } from './review.js';
import { SummaryPanel } from './summary.js';

const POLL_MS = 2000;

/** @typedef {import('../api.js').JobView} JobView */

/**
 * @param {import('../main.js').App} app
 * @param {string} jobId
 * @returns {import('../router.js').View}
 */
export function jobView(app, jobId) {
  const heading = pageHeading('Job');
  const message = h('p', { class: 'message', role: 'status', text: 'Loading the job…' });
  const badge = h('span', { class: 'job-badge' });
  const bar = /** @type {HTMLProgressElement} */ (
    h('progress', { id: 'job-progress', max: '100', value: 0, 'aria-labelledby': 'job-progress-label', 'aria-describedby': 'job-progress-text' })
  );
  const barText = h('p', { id: 'job-progress-text', class: 'progress-text', 'aria-live': 'polite' });
  const failure = h('div', { class: 'message error failure', role: 'alert', hidden: true });
  const summary = new SummaryPanel(app, jobId);
  const results = new ResultsPanel(app, jobId);
  const review = new ReviewPanel(app, jobId);
  const history = new HistoryPanel(app, jobId);
  const details = h(
    'div',
    { class: 'job-details', hidden: true },
    h('p', { class: 'job-id' }, 'Job ', h('code', { text: jobId })),
    h(
      'section',
      { class: 'card progress-card', 'aria-labelledby': 'job-progress-label' },
      h('h2', { id: 'job-progress-label', text: 'Progress' }),
      h('p', { class: 'job-status-line' }, 'Status: ', badge),
      bar,
      barText,
    ),
    failure,
    summary.node,
    review.node,
    results.node,
    history.node,
  );

  /** @type {JobView | null} */
  let shown = null;
  /** The result version whose rows are shown. @type {number | undefined} */
  let shownVersion;
  let disposed = false;

  /** @param {JobView} job */
  function show(job) {
    const first = shown === null;
    const statusChanged = shown?.status !== job.status;
    shown = job;
    message.hidden = true;
    details.hidden = false;
    heading.textContent = job.filename || 'Job';
    document.title = `${job.filename || 'Job'} – Contact Refinery`;
    details.dataset.status = job.status;
    badge.replaceChildren(statusBadge(job.status));
    bar.value = percentDone(job);
    barText.textContent = progressText(job);
    showFailure(job);
    summary.update(job);
    review.update(job);
    if (job.status === 'completed') results.activate();
    if (job.status === 'completed' && shownVersion !== job.review?.version) {
      // A decision made a new version of the result: show its rows.
      if (shownVersion !== undefined) results.reload(job.review?.version ?? 0);
      shownVersion = job.review?.version;
    }
    if (first || statusChanged) history.refresh();
    else history.refreshSoon();
  }

  /** @param {JobView} job */
  function showFailure(job) {
    failure.hidden = job.status !== 'failed';
    if (job.status !== 'failed') return;
    const reason = job.error?.reason ?? 'no reason was recorded';
    const rows = job.error?.rows;
    failure.replaceChildren(
      h('h2', { text: 'Why this job failed' }),
      h('p', { class: 'failure-reason', text: ownSentence(reason) }),
      h('p', { class: 'failure-rows', text: rows ? `Rows affected: ${rowRangeText(rows)}.` : 'Rows affected: the whole file (no particular rows).' }),
    );
  }

  function showNotFound() {
    heading.textContent = 'Job not found';
    document.title = 'Job not found – Contact Refinery';
    details.remove();
    message.hidden = false;
    message.setAttribute('role', 'alert');
    message.classList.add('error');
    message.textContent = 'There is no such job for your account. The link may be wrong, or the job may belong to another account.';
    message.after(h('p', {}, h('a', { href: '#/jobs', text: 'See your jobs' })));
  }

  async function load() {
    try {
      const job = await app.api.job(jobId);
      if (!disposed) show(app.store.put(job));
    } catch (error) {
      if (disposed) return;
      if (error instanceof ApiError && error.status === 404) showNotFound();
      else if (!shown) {
        message.classList.add('error');
        message.textContent = `The job could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }

  const unsubscribe = app.store.subscribe((job) => {
    if (job.jobId === jobId && shown && !disposed) show(job);
  });
  // While the socket is down, ask for the job every 2 s (until it is finished), from its first answer on: a first
  // answer that came late is not followed by a poll too soon.
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let poller;
  app.socket.watch(jobId);
  void load().finally(() => {
    if (disposed) return;
    poller = setInterval(() => {
      if (shown && !app.socket.connected && shown.status !== 'completed' && shown.status !== 'failed') void load();
    }, POLL_MS);
  });

  const node = h(
    'section',
    { class: 'view job' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/jobs', text: '← All jobs' })),
    heading,
    message,
    details,
  );
  return {
    node,
    title: 'Job',
    dispose: () => {
      disposed = true;
      unsubscribe();
      clearInterval(poller);
      history.dispose();
      results.dispose();
      app.socket.watch(null);
    },
  };
}

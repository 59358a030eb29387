// A job's figures (matched by method, unmatched, invalid) and, once completed, the download of its result file
// (GET /jobs/{id}/result with Accept: application/json gives a short-lived URL; the browser downloads from it).

import { h } from '../dom.js';
import { formatNumber, sentence } from '../format.js';

/** @typedef {import('../api.js').JobView} JobView */

export class SummaryPanel {
  /**
   * @param {import('../main.js').App} app
   * @param {string} jobId
   */
  constructor(app, jobId) {
    this.app = app;
    this.jobId = jobId;
    this.figures = h('dl', { class: 'figures' });
    this.download = /** @type {HTMLButtonElement} */ (
      h('button', { type: 'button', class: 'primary', text: 'Download the result (CSV)', hidden: true, onclick: () => void this.fetchResult() })
    );
    this.downloadMessage = h('p', { class: 'message', role: 'status' });
    this.node = h(
      'section',
      { class: 'card summary', 'aria-labelledby': 'summary-heading', hidden: true },
      h('h2', { id: 'summary-heading', text: 'Summary' }),
      this.figures,
      this.download,
      this.downloadMessage,
    );
  }

  /** @param {JobView} job */
  update(job) {
    const rows = job.rows ?? { total: 0, done: 0, matched: 0, unmatched: 0, invalid: 0 };
    this.node.hidden = job.status === 'accepted' || (job.status === 'failed' && !rows.done);
    const methods = job.byMethod ?? { exact: 0, fuzzy: 0, nickname: 0 };
    const entry = (/** @type {string} */ name, /** @type {string} */ key, /** @type {string} */ value) => [
      h('dt', { text: name }),
      h('dd', { 'data-figure': key, text: value }),
    ];
    this.figures.replaceChildren(
      ...entry(
        job.status === 'completed' ? 'Rows' : 'Rows done',
        'rows',
        job.status === 'completed' ? formatNumber(rows.total) : `${formatNumber(rows.done)} of ${formatNumber(rows.total)}`,
      ),
      ...entry('Matched', 'matched', formatNumber(rows.matched)),
      ...entry('by exact identifiers', 'exact', formatNumber(methods.exact)),
      ...entry('by similar names (fuzzy)', 'fuzzy', formatNumber(methods.fuzzy)),
      ...entry('by nickname', 'nickname', formatNumber(methods.nickname)),
      ...entry('Unmatched', 'unmatched', formatNumber(rows.unmatched)),
      ...(job.review ? entry('of which in review', 'review', formatNumber(job.review.pending)) : []),
      ...entry('Invalid', 'invalid', formatNumber(rows.invalid)),
    );
    this.download.hidden = job.status !== 'completed';
  }

  async fetchResult() {
    this.download.disabled = true;
    this.downloadMessage.classList.remove('error');
    this.downloadMessage.textContent = 'Preparing the download…';
    try {
      const link = await this.app.api.resultLink(this.jobId);
      // A link to the short-lived URL, followed at once: the file comes with Content-Disposition: attachment.
      const anchor = h('a', { href: link.url, download: link.filename || 'result.csv', hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      this.downloadMessage.textContent = `Downloading ${link.filename || 'the result'}.`;
    } catch (error) {
      this.downloadMessage.classList.add('error');
      this.downloadMessage.textContent = `The result could not be downloaded: ${sentence(error instanceof Error ? error.message : String(error))}`;
    } finally {
      this.download.disabled = false;
    }
  }
}

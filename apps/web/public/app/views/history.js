// A job's history (GET /jobs/{id}/events), oldest first, in words. Refreshed when the job changes, at most every 2 s.

import { h } from '../dom.js';
import { formatTime, historyText } from '../format.js';

const MIN_INTERVAL_MS = 2000;

export class HistoryPanel {
  /**
   * @param {import('../main.js').App} app
   * @param {string} jobId
   */
  constructor(app, jobId) {
    this.app = app;
    this.jobId = jobId;
    this.list = h('ol', { class: 'history' });
    this.message = h('p', { class: 'message', role: 'status' });
    this.node = h(
      'section',
      { class: 'card', 'aria-labelledby': 'history-heading' },
      h(
        'div',
        { class: 'section-header' },
        h('h2', { id: 'history-heading', text: 'History' }),
        h('button', { type: 'button', class: 'secondary', text: 'Refresh history', onclick: () => void this.refresh() }),
      ),
      this.message,
      this.list,
    );
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.lastRefresh = 0;
    this.disposed = false;
  }

  /** Refreshes now. */
  async refresh() {
    this.lastRefresh = Date.now();
    try {
      const events = await this.app.api.events(this.jobId);
      if (this.disposed) return;
      this.message.textContent = events.length ? '' : 'Nothing recorded yet.';
      this.list.replaceChildren(
        ...events.map((entry) =>
          h(
            'li',
            { 'data-type': entry.type },
            h('time', { datetime: entry.occurredAt, text: formatTime(entry.occurredAt) }),
            ' ',
            h('span', { text: historyText(entry) }),
          ),
        ),
      );
    } catch (error) {
      if (this.disposed) return;
      this.message.textContent = `The history could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Refreshes now, or once the 2 s since the last refresh have passed. */
  refreshSoon() {
    if (this.timer !== undefined) return; // the refresh already planned will show this change too
    const wait = Math.max(0, this.lastRefresh + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, wait);
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}

// The review queue of a completed job (GET /jobs/{id}/review): one uncertain row at a time, the contact as the book
// has it beside the candidate the provider proposed, with what each field weighed; keyboard first — A accepts, R
// rejects, S skips (the row stays pending). Each decision (POST /jobs/{id}/review/{row}) makes a new version of the
// result file.

import { h } from '../dom.js';
import { formatNumber, parseWaterfall, sentence, signedWeight, waterfallTable } from '../format.js';

/** @typedef {import('../api.js').JobView} JobView */
/** @typedef {import('../api.js').ReviewEntry} ReviewEntry */

const PAGE = 20;
// The contact's fields in the order a person reads them, with the comparisons that weigh each.
/** @type {[string, string[]][]} */
const FIELDS = [
  ['first_name', ['first_name']],
  ['last_name', ['last_name']],
  ['birth_date', ['birth_date']],
  ['email', ['email']],
  ['phone', ['phone']],
  ['street', ['street_number', 'street_name']],
  ['city', ['city']],
  ['state', ['state']],
  ['postcode', ['postcode']],
  ['country', []],
  ['company', ['company']],
  ['title', ['title']],
];
const KEYS = /** @type {const} */ ({ a: 'accept', r: 'reject', s: 'skip' });

export class ReviewPanel {
  /**
   * @param {import('../main.js').App} app
   * @param {string} jobId
   */
  constructor(app, jobId) {
    this.app = app;
    this.jobId = jobId;
    this.active = false;
    this.busy = false;
    /** Pending rows not yet shown or skipped, in order. @type {ReviewEntry[]} */
    this.queue = [];
    /** @type {number | null} */
    this.after = null;
    this.exhausted = false;
    /** @type {ReviewEntry | null} */
    this.current = null;
    this.figures = h('p', { class: 'review-figures', id: 'review-figures' });
    this.message = h('p', { class: 'message', role: 'status', id: 'review-message' });
    this.pair = h('div', { class: 'review-pair' });
    const button = (/** @type {keyof typeof KEYS} */ key, /** @type {string} */ text, /** @type {string} */ kind) =>
      /** @type {HTMLButtonElement} */ (
        h(
          'button',
          { type: 'button', class: kind, 'aria-keyshortcuts': key.toUpperCase(), onclick: () => void this.act(KEYS[key]) },
          text,
          ' ',
          h('kbd', { text: key.toUpperCase() }),
        )
      );
    this.accept = button('a', 'Accept', 'primary');
    this.reject = button('r', 'Reject', 'secondary');
    this.skip = button('s', 'Skip', 'secondary');
    this.actions = h('div', { class: 'review-actions', role: 'group', 'aria-label': 'Decide this row' }, this.accept, this.reject, this.skip);
    this.node = h(
      'section',
      {
        class: 'card review',
        'aria-labelledby': 'review-heading',
        hidden: true,
        onkeydown: (/** @type {KeyboardEvent} */ event) => this.onKey(event),
      },
      h('h2', { id: 'review-heading', text: 'Review uncertain rows' }),
      h(
        'p',
        { class: 'help' },
        'These rows have a likely candidate but not a sure one. Is the candidate the person in your book? ',
        h('kbd', { text: 'A' }),
        ' accept, ',
        h('kbd', { text: 'R' }),
        ' reject, ',
        h('kbd', { text: 'S' }),
        ' skip for now. Each decision makes a new version of the result file; earlier versions stay downloadable.',
      ),
      this.figures,
      this.message,
      this.pair,
      this.actions,
    );
  }

  /** @param {JobView} job */
  update(job) {
    const review = job.review;
    this.node.hidden = job.status !== 'completed' || !review;
    if (!review) return;
    this.figures.textContent = `${formatNumber(review.pending)} of ${formatNumber(review.total)} waiting; ${formatNumber(review.accepted)} accepted, ${formatNumber(review.rejected)} rejected; result version ${formatNumber(review.version)}.`;
    if (!this.active) {
      this.active = true;
      // Not focused: opening the job leaves focus on its heading; a decision keeps it in the card.
      void this.showNext(false);
    }
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest('input, select, textarea')) return;
    const action = KEYS[/** @type {keyof typeof KEYS} */ (event.key.toLowerCase())];
    if (!action || !this.current) return;
    event.preventDefault();
    void this.act(action);
  }

  /** @param {'accept' | 'reject' | 'skip'} action */
  async act(action) {
    const item = this.current;
    if (!item || this.busy) return;
    if (action === 'skip') {
      this.queue.push(item);
      await this.showNext();
      return;
    }
    this.busy = true;
    this.setButtons(true);
    try {
      const answer = await this.app.api.decide(this.jobId, item.row, action);
      this.announce(
        `Row ${formatNumber(item.row + 1)} ${action === 'accept' ? 'accepted' : 'rejected'}: result version ${formatNumber(answer.version)}.`,
      );
      await this.showNext();
      // The job's figures (and its download) follow the decisions.
      this.app.store.put(await this.app.api.job(this.jobId));
    } catch (error) {
      this.message.classList.add('error');
      this.message.textContent = `The decision could not be saved: ${sentence(error instanceof Error ? error.message : String(error))}`;
    } finally {
      this.busy = false;
      this.setButtons(!this.current);
    }
  }

  /** @param {string} text */
  announce(text) {
    this.message.classList.remove('error');
    this.message.textContent = text;
  }

  /** @param {boolean} disabled */
  setButtons(disabled) {
    for (const button of [this.accept, this.reject, this.skip]) button.disabled = disabled;
  }

  /** @param {boolean} [focus] whether Accept takes the focus (after a decision: the keyboard goes on) */
  async showNext(focus = true) {
    if (this.queue.length === 0 && !this.exhausted) await this.loadMore();
    this.current = this.queue.shift() ?? null;
    if (!this.current) {
      this.pair.replaceChildren(h('p', { class: 'done', text: 'No rows wait for review.' }));
      this.setButtons(true);
      return;
    }
    this.render(this.current);
    this.setButtons(false);
    if (focus) this.accept.focus();
  }

  async loadMore() {
    try {
      const page = await this.app.api.review(this.jobId, { status: 'pending', limit: PAGE, after: this.after });
      this.queue.push(...page.items);
      this.after = page.next;
      this.exhausted = page.next === null;
    } catch (error) {
      this.exhausted = true;
      this.message.classList.add('error');
      this.message.textContent = `The review queue could not be loaded: ${sentence(error instanceof Error ? error.message : String(error))}`;
    }
  }

  /** @param {ReviewEntry} item */
  render(item) {
    const waterfall = parseWaterfall(item.reason);
    const weightOf = (/** @type {string[]} */ comparisons) => {
      const parts = (waterfall?.parts ?? []).filter((part) => comparisons.includes(part.comparison));
      return parts.length ? parts.map((part) => `${part.level} ${signedWeight(part.weight)}`).join(', ') : '';
    };
    const rows = FIELDS.filter(([field]) => item.contact[field] || item.candidate[field]).map(([field, comparisons]) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row', text: String(field).replace(/_/g, ' ') }),
        h('td', { text: item.contact[field] ?? '' }),
        h('td', { text: item.candidate[field] ?? '' }),
        h('td', { class: 'weight', text: weightOf(comparisons) }),
      ),
    );
    const now = item.probabilityNow === undefined ? '' : ` (${item.probabilityNow.toFixed(4)} now that the model has learnt from your decisions)`;
    this.pair.replaceChildren(
      h('h3', { id: 'review-row', text: `Row ${formatNumber(item.row + 1)} of your file` }),
      h('p', { class: 'review-probability', text: `Match probability ${item.score.toFixed(4)}${now}.` }),
      h(
        'table',
        { class: 'review-compare', 'aria-labelledby': 'review-row' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', text: 'Field' }),
            h('th', { scope: 'col', text: 'Your book' }),
            h('th', { scope: 'col', text: `Candidate ${item.candidateId}` }),
            h('th', { scope: 'col', text: 'Weight (bits)' }),
          ),
        ),
        h('tbody', {}, rows),
      ),
    );
    if (waterfall) this.pair.append(h('details', { class: 'why' }, h('summary', { text: 'All the evidence' }), waterfallTable(waterfall)));
  }
}

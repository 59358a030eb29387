// A preview of a completed job's result rows (GET /jobs/{id}/rows): filters by match status and by field label,
// pages of 50, and the labels shown by colour AND text. The table scrolls sideways in its own box.

import { h } from '../dom.js';
import { formatNumber, LABELS, labelBadge, MATCH_STATUSES, parseWaterfall, sentence, waterfallTable } from '../format.js';

const PAGE_SIZE = 50;
const RETRY_MS = 300;
const FILTER_LABELS = LABELS.filter((label) => label !== 'empty');

export class ResultsPanel {
  /**
   * @param {import('../main.js').App} app
   * @param {string} jobId
   */
  constructor(app, jobId) {
    this.app = app;
    this.jobId = jobId;
    this.active = false;
    /** The result version the rows should come from (0: the merge). */
    this.wantedVersion = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
    /** Cursors of the pages shown so far (null: the first page), so "Previous page" can go back. @type {(string | null)[]} */
    this.cursors = [null];
    /** @type {string | null} */
    this.next = null;
    this.status = /** @type {HTMLSelectElement} */ (
      h(
        'select',
        { id: 'filter-status', name: 'status' },
        h('option', { value: '', text: 'any status' }),
        MATCH_STATUSES.map((value) => h('option', { value, text: value })),
      )
    );
    this.label = /** @type {HTMLSelectElement} */ (
      h(
        'select',
        { id: 'filter-label', name: 'label' },
        h('option', { value: '', text: 'any label' }),
        FILTER_LABELS.map((value) => h('option', { value, text: value })),
      )
    );
    this.filters = h(
      'form',
      { class: 'filters', 'aria-label': 'Filter the rows', onsubmit: (/** @type {Event} */ event) => this.applyFilters(event) },
      h('div', { class: 'field' }, h('label', { for: 'filter-status', text: 'Match status' }), this.status),
      h('div', { class: 'field' }, h('label', { for: 'filter-label', text: 'A field labeled' }), this.label),
      h('button', { type: 'submit', class: 'secondary', text: 'Show rows' }),
    );
    this.message = h('p', { class: 'message', role: 'status', id: 'rows-message' });
    this.table = h('table', { class: 'rows' });
    this.scroller = h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'results-heading rows-message' }, this.table);
    this.previous = /** @type {HTMLButtonElement} */ (
      h('button', { type: 'button', class: 'secondary', text: 'Previous page', disabled: true, onclick: () => void this.goBack() })
    );
    this.nextButton = /** @type {HTMLButtonElement} */ (
      h('button', { type: 'button', class: 'secondary', text: 'Next page', disabled: true, onclick: () => void this.goNext() })
    );
    this.node = h(
      'section',
      { class: 'card results', 'aria-labelledby': 'results-heading', hidden: true },
      h('h2', { id: 'results-heading', text: 'Result rows' }),
      h(
        'p',
        { class: 'help' },
        'Each field shows its label: ',
        labelBadge('confirmed'),
        ' the provider has the same value, ',
        labelBadge('old'),
        ' the provider has a newer one, ',
        labelBadge('new'),
        ' the provider adds one, ',
        labelBadge('unverified'),
        ' nothing to check it against; then the provider’s latest value. Your file’s own columns follow.',
      ),
      this.filters,
      this.message,
      this.scroller,
      h('nav', { class: 'paging', 'aria-label': 'Pages of rows' }, this.previous, this.nextButton),
    );
  }

  /**
   * Shows the first page again once the result's version `version` is written (a review decision makes a new version;
   * the merger writes it a moment later, so the page asks again until the rows come from it).
   * @param {number} version
   */
  reload(version) {
    this.wantedVersion = version;
    if (!this.active) return;
    this.cursors = [null];
    void this.load(null);
  }

  /** Stops asking for a version not written yet (the page is left). */
  dispose() {
    clearTimeout(this.retry);
    this.active = false;
  }

  /** Shows the panel and its first page, once. */
  activate() {
    if (this.active) return;
    this.active = true;
    this.node.hidden = false;
    void this.load(null);
  }

  /** @param {Event} event */
  applyFilters(event) {
    event.preventDefault();
    this.cursors = [null];
    void this.load(null);
  }

  async goNext() {
    if (!this.next) return;
    this.cursors.push(this.next);
    await this.load(this.next);
  }

  async goBack() {
    if (this.cursors.length < 2) return;
    this.cursors.pop();
    await this.load(this.cursors[this.cursors.length - 1] ?? null);
  }

  /** @param {string | null} after */
  async load(after) {
    this.message.classList.remove('error');
    this.message.textContent = 'Loading rows…';
    this.nextButton.disabled = true;
    this.previous.disabled = true;
    try {
      const page = await this.app.api.rows(this.jobId, { status: this.status.value, label: this.label.value, limit: PAGE_SIZE, after });
      this.next = page.next;
      this.render(page);
      clearTimeout(this.retry);
      if ((page.version ?? 0) < this.wantedVersion && after === null) this.retry = setTimeout(() => void this.load(null), RETRY_MS);
      const first = (this.cursors.length - 1) * PAGE_SIZE + 1;
      this.message.textContent = page.rows.length
        ? `Showing ${formatNumber(page.rows.length)} row${page.rows.length === 1 ? '' : 's'} (page ${this.cursors.length}, results ${formatNumber(first)} to ${formatNumber(first + page.rows.length - 1)}${this.filterWords()}).`
        : `No rows${this.filterWords()}.`;
    } catch (error) {
      this.table.replaceChildren();
      this.message.classList.add('error');
      this.message.textContent = `The rows could not be loaded: ${sentence(error instanceof Error ? error.message : String(error))}`;
    } finally {
      this.nextButton.disabled = !this.next;
      this.previous.disabled = this.cursors.length < 2;
    }
  }

  filterWords() {
    const parts = [];
    if (this.status.value) parts.push(`status ${this.status.value}`);
    if (this.label.value) parts.push(`a field labeled ${this.label.value}`);
    return parts.length ? `, ${parts.join(' and ')}` : '';
  }

  /** @param {import('../api.js').RowsPage} page */
  render(page) {
    const columns = displayColumns(page.columns);
    const statusIndex = page.columns.lastIndexOf('match_status');
    const head = h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', text: 'Row' }),
        columns.map((column) => h('th', { scope: 'col', class: column.className, text: column.header })),
      ),
    );
    const body = h(
      'tbody',
      {},
      page.rows.map((row) =>
        h(
          'tr',
          { 'data-row': String(row.row), 'data-status': statusIndex >= 0 ? (row.values[statusIndex] ?? '') : '' },
          h('th', { scope: 'row', text: String(row.row) }),
          columns.map((column) => h('td', { class: column.className }, column.cell(row.values))),
        ),
      ),
    );
    this.table.replaceChildren(head, body);
  }
}

/**
 * @typedef {{ header: string, className?: string, cell: (values: string[]) => (Node | string)[] | Node | string }} DisplayColumn
 */

/**
 * The preview's columns, labels first so they read at a glance: the match status and method, then one column per
 * field with its label (colour and word) and the provider's latest value, then the file's own columns and the
 * rest of the result's (score, id, reason). The downloaded file keeps the result's own layout.
 * @param {string[]} columns
 * @returns {DisplayColumn[]}
 */
export function displayColumns(columns) {
  // The result's columns come after the input's: look them up from the end, in case the input has the same names.
  const at = (/** @type {string} */ name) => columns.lastIndexOf(name);
  const fields = columns
    .filter((name, index) => name.endsWith('_status') && name !== 'match_status' && at(name) === index && at(`${name.slice(0, -7)}_latest`) > index)
    .map((name) => name.slice(0, -7));
  const taken = new Set([
    at('match_status'),
    at('match_method'),
    at('match_reason'),
    ...fields.flatMap((field) => [at(`${field}_status`), at(`${field}_latest`)]),
  ]);
  /** @type {DisplayColumn[]} */
  const display = [];
  if (at('match_status') >= 0) display.push({ header: 'match status', cell: (values) => statusCell(values[at('match_status')] ?? '') });
  if (at('match_method') >= 0) display.push({ header: 'method', cell: (values) => values[at('match_method')] ?? '' });
  if (at('match_reason') >= 0)
    display.push({ header: 'why', className: 'reason-cell', cell: (values) => reasonCell(values[at('match_reason')] ?? '') });
  for (const field of fields) {
    display.push({
      header: field.replace(/_/g, ' '),
      className: 'field-cell',
      cell: (values) => {
        const label = values[at(`${field}_status`)] ?? '';
        const latest = values[at(`${field}_latest`)] ?? '';
        return [LABELS.includes(label) ? labelBadge(label) : label, latest ? ` ${latest}` : ''];
      },
    });
  }
  columns.forEach((name, index) => {
    if (!taken.has(index)) display.push({ header: name, cell: (values) => values[index] ?? '' });
  });
  return display;
}

/** @param {string} value */
function statusCell(value) {
  return MATCH_STATUSES.includes(value) ? h('span', { class: `badge status-${value}`, text: value }) : value;
}

/**
 * The match reason: its first clause, and the weight of every field behind a disclosure (a waterfall table).
 * @param {string} reason
 */
function reasonCell(reason) {
  const waterfall = parseWaterfall(reason);
  if (!waterfall) return reason;
  return h('details', { class: 'why' }, h('summary', { text: waterfall.verdict }), waterfallTable(waterfall));
}

// Words and numbers for people: status names, percentages, dates, history entries.

import { h } from './dom.js';

/** @typedef {import('./api.js').JobView} JobView */

export const STATUS_WORDS = /** @type {const} */ ({
  // Accepted covers a job waiting for its upload and one whose file is in, queued for the chunker.
  accepted: 'accepted, not started yet',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
});

/** @param {JobView} job @returns {number} 0-100 */
export function percentDone(job) {
  if (job.status === 'completed') return 100;
  const total = Math.max(job.rows?.total ?? 0, job.rows?.done ?? 0);
  if (!total) return 0;
  return Math.min(100, Math.floor((100 * (job.rows.done ?? 0)) / total));
}

/** The rows done, in words: `42 % (105 of 250 rows)`. @param {JobView} job */
export function rowsDoneText(job) {
  const total = Math.max(job.rows?.total ?? 0, job.rows?.done ?? 0);
  return `${percentDone(job)} %${total ? ` (${formatNumber(job.rows.done)} of ${formatNumber(total)} rows)` : ''}`;
}

/** @param {JobView} job */
export function progressText(job) {
  const total = Math.max(job.rows?.total ?? 0, job.rows?.done ?? 0);
  const rows = total ? ` (${formatNumber(job.rows.done)} of ${formatNumber(total)} rows)` : '';
  return `${percentDone(job)} %${rows}, ${STATUS_WORDS[job.status] ?? job.status}`;
}

/** @param {number | undefined} value */
export function formatNumber(value) {
  return typeof value === 'number' ? value.toLocaleString('en-US') : '0';
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * A status badge: colour AND the word, so it reads without colour too.
 * @param {string} status
 */
export function statusBadge(status) {
  return h('span', { class: `badge status-${cssToken(status)}`, text: STATUS_WORDS[/** @type {keyof typeof STATUS_WORDS} */ (status)] ?? status });
}

/** The labels of fields and rows: colour AND text. */
export const LABELS = ['confirmed', 'old', 'new', 'unverified', 'empty'];
export const MATCH_STATUSES = ['matched', 'review', 'unmatched', 'invalid'];

/** @param {string} value */
export function labelBadge(value) {
  return h('span', { class: `badge label-${cssToken(value)}`, text: value });
}

/** @param {string} value */
export function cssToken(value) {
  return (
    String(value)
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '') || 'none'
  );
}

/**
 * A row range (0-based first data row) in the 1-based words the result file and the preview use.
 * @param {{ first: number, count: number }} rows
 */
export function rowRangeText(rows) {
  if (rows.count <= 0) return 'no rows';
  const first = rows.first + 1;
  const last = rows.first + rows.count;
  return rows.count === 1 ? `data row ${first}` : `data rows ${first} to ${last} (${formatNumber(rows.count)} rows)`;
}

/**
 * One line for a history entry.
 * @param {import('./api.js').HistoryEntry} entry
 */
export function historyText(entry) {
  const data = entry.data ?? {};
  switch (entry.type) {
    case 'job.created.v1':
      return `Job created for ${data.filename ?? 'a file'}`;
    case 'job.submitted.v1':
      return 'File received and checked: the work starts';
    case 'job.planned.v1':
      return `Planned: ${formatNumber(data.rows?.total)} rows in ${formatNumber(data.chunks?.total)} chunk(s)`;
    case 'chunk.labeled.v1':
      return `Chunk ${(data.chunk?.index ?? 0) + 1} of ${data.chunk?.count ?? '?'} done: ${formatNumber(data.rows?.count)} rows (${formatNumber(data.counts?.matched)} matched, ${formatNumber(data.counts?.unmatched)} unmatched, ${formatNumber(data.counts?.invalid)} invalid)`;
    case 'job.completed.v1':
      return `Completed: ${formatNumber(data.rows?.total)} rows, ${formatNumber(data.rows?.matched)} matched`;
    case 'job.failed.v1':
      return `Failed: ${data.reason ?? 'unknown reason'}${data.rows ? ` (${rowRangeText(data.rows)})` : ''}`;
    case 'stage.failed.v1':
      return `The ${data.service ?? ''} stage failed${data.retryable === false ? '' : ' after retries'}: ${data.reason ?? 'unknown reason'}${data.rows ? ` (${rowRangeText(data.rows)})` : ''}`;
    default:
      return entry.type;
  }
}

/** Ends a message with a full stop unless it has one. @param {string} text */
export function sentence(text) {
  const trimmed = String(text).trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A message as a sentence of its own: capital first letter, full stop. @param {string} text */
export function ownSentence(text) {
  const ended = sentence(text);
  return ended.charAt(0).toUpperCase() + ended.slice(1);
}

/**
 * @typedef {{ comparison: string, level: string, weight: number }} WeightPart
 * @typedef {{ verdict: string, prior: number | null, weight: number | null, parts: WeightPart[], adjustments: { what: string, weight: number }[], notes: string[], missing: string[] }} Waterfall
 */

/**
 * Reads the weights out of a match_reason (`matched: "Ann Lee" (id P1, probability 0.9990), at least 0.9; weight
 * +12.3 bits = prior -13.6, first_name exact +7.1, ...; next ...`): what each field added or took away, the way a
 * waterfall chart shows it. Null for a reason without weights (an invalid row, a provider without candidates).
 * @param {string} reason
 * @returns {Waterfall | null}
 */
export function parseWaterfall(reason) {
  const equals = reason.indexOf(' bits = ');
  if (equals < 0) return null;
  const head = reason.slice(0, equals);
  const weightMatch = /weight ([+-]\d+(?:\.\d+)?)$/.exec(head);
  const rest = reason.slice(equals + ' bits = '.length);
  const end = rest.indexOf('; ');
  const body = end < 0 ? rest : rest.slice(0, end);
  /** @type {Waterfall} */
  const waterfall = {
    verdict: head.replace(/; weight [+-]\d+(?:\.\d+)?$/, ''),
    prior: null,
    weight: weightMatch ? Number(weightMatch[1]) : null,
    parts: [],
    adjustments: [],
    notes: [],
    missing: [],
  };
  const missingAt = body.indexOf('missing: ');
  const listed = missingAt < 0 ? body : body.slice(0, missingAt);
  if (missingAt >= 0)
    waterfall.missing = body
      .slice(missingAt + 'missing: '.length)
      .split(', ')
      .filter(Boolean);
  for (const part of listed
    .split(', ')
    .map((text) => text.trim())
    .filter(Boolean)) {
    const prior = /^prior ([+-]\d+\.\d)$/.exec(part);
    const field = /^([a-z_]+) (.+) ([+-]\d+\.\d)$/.exec(part);
    const adjustment = /^(.+) ([+-]\d+\.\d)$/.exec(part);
    if (prior) waterfall.prior = Number(prior[1]);
    else if (field && !part.startsWith('household') && !part.startsWith('changes') && !part.startsWith('places')) {
      waterfall.parts.push({ comparison: field[1] ?? '', level: field[2] ?? '', weight: Number(field[3]) });
    } else if (adjustment) waterfall.adjustments.push({ what: adjustment[1] ?? '', weight: Number(adjustment[2]) });
    else waterfall.notes.push(part);
  }
  return waterfall;
}

/** @param {number} weight */
export function signedWeight(weight) {
  return `${weight >= 0 ? '+' : '−'}${Math.abs(weight).toFixed(1)}`;
}

/**
 * A waterfall as a table: each field's contribution in bits, with a bar whose length is its size (colour AND sign).
 * @param {Waterfall} waterfall
 */
export function waterfallTable(waterfall) {
  const rows = [
    ...(waterfall.prior === null ? [] : [{ name: 'before looking (prior)', level: '', weight: waterfall.prior }]),
    ...waterfall.parts.map((part) => ({ name: part.comparison.replace(/_/g, ' '), level: part.level, weight: part.weight })),
    ...waterfall.adjustments.map((adjustment) => ({ name: adjustment.what, level: '', weight: adjustment.weight })),
  ];
  const largest = Math.max(1, ...rows.map((row) => Math.abs(row.weight)));
  return h(
    'table',
    { class: 'waterfall' },
    h('caption', { text: `Evidence in bits: ${waterfall.weight === null ? '' : `${signedWeight(waterfall.weight)} in all`}` }),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col', text: 'Field' }), h('th', { scope: 'col', text: 'Agreement' }), h('th', { scope: 'col', text: 'Weight' })),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          { class: row.weight >= 0 ? 'for' : 'against' },
          h('th', { scope: 'row', text: row.name }),
          h('td', { text: row.level }),
          h('td', { class: 'weight' }, barOf(Math.abs(row.weight) / largest), h('span', { text: signedWeight(row.weight) })),
        ),
      ),
    ),
    waterfall.missing.length || waterfall.notes.length
      ? h(
          'tfoot',
          {},
          h(
            'tr',
            {},
            h('td', {
              colspan: '3',
              text: [...waterfall.notes, waterfall.missing.length ? `not compared (missing): ${waterfall.missing.join(', ').replace(/_/g, ' ')}` : '']
                .filter(Boolean)
                .join('; '),
            }),
          ),
        )
      : null,
  );
}

// Set through the CSSOM: the page's Content-Security-Policy refuses style attributes.
/** @param {number} fraction */
function barOf(fraction) {
  const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
  bar.style.width = `${Math.round(fraction * 100)}%`;
  return bar;
}

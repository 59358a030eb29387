// Upload a contact book, the same way the API's clients do: read the first 64 KiB, ask ingest for the header mapping
// it would use (POST /column-mappings/preview), let the user change it, then POST /jobs {filename, columnMapping} and
// PUT the file to the presigned upload URL — or, from config.json's multipartThresholdBytes on, in parts (a broken
// part is sent again; choosing the same file again after the page died resumes its upload). The job's page takes over
// from there.

import { ApiError, uploadFile, uploadInParts } from '../api.js';
import { h, pageHeading } from '../dom.js';
import { sentence } from '../format.js';
import { readHead } from '../read-head.js';
import { MappingEditor } from './mapping.js';

/** @param {import('../main.js').App} app @returns {import('../router.js').View} */
export function uploadView(app) {
  /** @type {File | null} */
  let file = null;
  /** @type {{ head: string, complete: boolean } | null} */
  let head = null;
  let usable = false;
  let busy = false;
  let sequence = 0;
  let disposed = false;

  const input = /** @type {HTMLInputElement} */ (
    h('input', { id: 'file', type: 'file', accept: '.csv,text/csv,text/plain', 'aria-describedby': 'file-help' })
  );
  const dropZone = h(
    'div',
    { class: 'drop-zone' },
    h('label', { for: 'file', class: 'drop-label', text: 'Choose a CSV file' }),
    input,
    h('p', { id: 'file-help', class: 'help', text: 'or drop it here. The first line must be a header (First Name, Last Name, Email, …).' }),
  );
  const chosen = h('p', { class: 'chosen', hidden: true });
  const error = h('div', { class: 'message error', role: 'alert', id: 'upload-error' });
  const editor = new MappingEditor((mapping) => void preview(mapping));
  const problem = h('p', { class: 'message error', role: 'alert', id: 'mapping-problem', hidden: true });
  const start = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', text: 'Start matching', disabled: true }));
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: '100', value: 0, 'aria-labelledby': 'upload-progress-text' }));
  const progressText = h('p', { id: 'upload-progress-text', 'aria-live': 'polite' });
  const progressBox = h('div', { class: 'upload-progress', hidden: true }, progress, progressText);
  const mappingSection = h(
    'form',
    { class: 'card', hidden: true, 'aria-labelledby': 'mapping-heading', onsubmit: submit },
    h('h2', { id: 'mapping-heading', tabindex: '-1', text: 'Check the columns' }),
    editor.node,
    problem,
    h('div', { class: 'actions' }, start, h('button', { type: 'button', class: 'secondary', text: 'Choose another file', onclick: reset })),
    progressBox,
  );

  input.addEventListener('change', () => {
    const picked = input.files?.[0];
    if (picked) void choose(picked);
  });
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('dragging');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    const dropped = event.dataTransfer?.files?.[0];
    if (dropped) void choose(dropped);
  });

  /** @param {File} picked */
  async function choose(picked) {
    file = picked;
    head = null;
    usable = false;
    error.textContent = '';
    mappingSection.hidden = true;
    chosen.hidden = false;
    chosen.textContent = `${picked.name} (${formatBytes(picked.size)})`;
    if (picked.size === 0) {
      showError('This file is empty: choose a CSV file with a header line and at least one contact.');
      return;
    }
    head = await readHead(picked);
    await preview(undefined);
  }

  /** Asks ingest which mapping it would use (with the user's choices, if any). @param {Record<string, string | null> | undefined} mapping */
  async function preview(mapping) {
    if (!head || !file) return;
    const mine = ++sequence;
    start.disabled = true;
    try {
      const answer = await app.api.previewMapping({ head: head.head, complete: head.complete, ...(mapping ? { columnMapping: mapping } : {}) });
      if (disposed || mine !== sequence) return;
      error.textContent = '';
      const first = mappingSection.hidden;
      mappingSection.hidden = false;
      editor.show(answer, mapping);
      usable = answer.usable;
      problem.hidden = answer.usable;
      problem.textContent = answer.usable
        ? ''
        : `This mapping cannot be used: ${sentence(answer.problem ?? 'a name and one more field are needed')} Change the columns above.`;
      start.disabled = !usable || busy;
      if (first) /** @type {HTMLElement} */ (mappingSection.querySelector('h2')).focus();
    } catch (failure) {
      if (disposed || mine !== sequence) return;
      mappingSection.hidden = true;
      showError(describeFileError(failure));
    }
  }

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    if (!file || !usable || busy) return;
    busy = true;
    start.disabled = true;
    editor.setDisabled(true);
    progressBox.hidden = false;
    progressText.textContent = 'Creating the job…';
    try {
      const columnMapping = editor.mapping();
      const multipart = file.size >= app.multipartThresholdBytes;
      const created = await app.api.createUploadJob(
        { filename: file.name, sizeBytes: file.size, columnMapping, ...(multipart ? { upload: /** @type {const} */ ('multipart') } : {}) },
        multipart ? await resumeKey(file, columnMapping) : undefined,
      );
      /** @param {number} fraction */
      const onProgress = (fraction) => {
        progress.value = Math.round(fraction * 100);
        progressText.textContent = `Uploading… ${Math.round(fraction * 100)} %`;
      };
      if (created.upload) progressText.textContent = 'Uploading… 0 %';
      if (created.upload && 'kind' in created.upload) await uploadInParts(app.api, created.jobId, created.upload, file, onProgress);
      else if (created.upload) await uploadFile(created.upload, file, onProgress);
      progress.value = 100;
      progressText.textContent = 'Uploaded.';
      if (!disposed) app.navigate(`#/jobs/${encodeURIComponent(created.jobId)}`);
    } catch (failure) {
      busy = false;
      editor.setDisabled(false);
      start.disabled = !usable;
      progressBox.hidden = true;
      showError(`The upload did not work: ${sentence(failure instanceof Error ? failure.message : String(failure))} Try again.`);
    }
  }

  function reset() {
    file = null;
    head = null;
    sequence += 1;
    mappingSection.hidden = true;
    chosen.hidden = true;
    error.textContent = '';
    input.value = '';
    input.focus();
  }

  /** @param {string} text */
  function showError(text) {
    error.textContent = text;
  }

  const node = h(
    'section',
    { class: 'view upload' },
    pageHeading('Upload a contact book'),
    h('p', { text: 'A CSV file with a header line. Nothing is sent until you start: first you see how each column will be read.' }),
    dropZone,
    chosen,
    error,
    mappingSection,
  );
  return {
    node,
    title: 'Upload a contact book',
    dispose: () => {
      disposed = true;
    },
  };
}

/** @param {unknown} failure */
function describeFileError(failure) {
  if (failure instanceof ApiError) {
    if (failure.code === 'not_csv' || failure.status === 415) return `This file cannot be used: it is not a CSV file. ${sentence(failure.message)}`;
    if (failure.code === 'unusable_header' || failure.status === 422) {
      const details = /** @type {{ found?: unknown } | undefined} */ (failure.details);
      const found = details?.found;
      const columns = Array.isArray(found) && found.length ? ` Columns found: ${found.map(String).join(', ')}.` : '';
      return `This file cannot be used: ${sentence(failure.message)}${columns}`;
    }
    if (failure.status === 404) return 'The server cannot preview column mappings (POST /column-mappings/preview is missing).';
  }
  return `The file could not be checked: ${failure instanceof Error ? failure.message : String(failure)}`;
}

/**
 * The Idempotency-Key of a multipart upload: the same file (name, size, time) with the same mapping gets the same job
 * and upload back, so choosing it again after the page died sends only the parts storage lacks.
 * @param {File} file @param {Record<string, string | null>} columnMapping @returns {Promise<string | undefined>}
 */
async function resumeKey(file, columnMapping) {
  if (!globalThis.crypto?.subtle) return undefined;
  const identity = new TextEncoder().encode(JSON.stringify([file.name, file.size, file.lastModified, columnMapping]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', identity));
  return `web-multipart-${Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

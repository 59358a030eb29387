// The header mapping of a file: one select per column with every field (or "ignore"), showing the mapping ingest
// will use (POST /column-mappings/preview's answer). The selects are built once per file and only their values change
// afterwards, so the one being used keeps the focus.

import { h, replaceChildren, uniqueId } from '../dom.js';

/** @typedef {import('../api.js').MappingPreview} MappingPreview */

export class MappingEditor {
  /** @param {(mapping: Record<string, string | null>) => void} onChange */
  constructor(onChange) {
    this.onChange = onChange;
    /** @type {{ header: string, select: HTMLSelectElement, how: HTMLElement }[]} */
    this.rows = [];
    this.list = h('ol', { class: 'mapping-list' });
    this.notes = h('p', { class: 'message notice', role: 'status', hidden: true });
    this.node = h(
      'fieldset',
      { class: 'mapping' },
      h('legend', { text: 'Columns' }),
      h('p', {
        class: 'help',
        text: 'Each column of the file is read as the field chosen for it. Change a choice, or choose “ignore”, before you start.',
      }),
      this.list,
      this.notes,
    );
  }

  /**
   * Shows a preview: builds the selects for a new file, else updates their values.
   * @param {MappingPreview} preview
   * @param {Record<string, string | null>} [requested] the mapping that was asked for (to explain what changed)
   */
  show(preview, requested) {
    const sameColumns = this.rows.length === preview.columns.length && this.rows.every((row, index) => row.header === preview.columns[index]?.header);
    if (!sameColumns) this.build(preview);
    /** @type {{ header: string, asked: string | null, got: string | null }[]} */
    const changed = [];
    preview.columns.forEach((column, index) => {
      const row = this.rows[index];
      if (!row) return;
      row.select.value = column.field ?? '';
      row.how.textContent = column.explicit ? 'your choice' : column.field ? 'recognised from the header' : 'not recognised: ignored';
      const asked = requested && Object.hasOwn(requested, column.header) ? requested[column.header] : undefined;
      if (requested && asked !== undefined && (asked ?? null) !== (column.field ?? null))
        changed.push({ header: column.header, asked, got: column.field });
    });
    this.notes.hidden = changed.length === 0;
    this.notes.textContent = changed
      .map(
        (change) =>
          `“${change.header || '(no name)'}” is read as ${change.got ? fieldWords(change.got) : '“ignore”'}: ${change.asked ? `${fieldWords(change.asked)} is taken by another column` : 'it cannot be ignored'}.`,
      )
      .join(' ');
  }

  /** @param {MappingPreview} preview */
  build(preview) {
    this.rows = preview.columns.map((column, index) => {
      const id = uniqueId('column');
      const how = h('span', { class: 'mapping-how', id: `${id}-how` });
      const select = /** @type {HTMLSelectElement} */ (
        h(
          'select',
          { id, name: `column-${index}`, 'aria-describedby': `${id}-how` },
          h('option', { value: '', text: 'ignore' }),
          preview.fields.map((field) => h('option', { value: field, text: fieldWords(field) })),
        )
      );
      select.addEventListener('change', () => {
        // A mapping names headers: columns with the same header share one choice.
        for (const other of this.rows) if (other.header === column.header) other.select.value = select.value;
        this.onChange(this.mapping());
      });
      return { header: column.header, select, how };
    });
    replaceChildren(
      this.list,
      this.rows.map((row, index) =>
        h(
          'li',
          { class: 'mapping-row' },
          h(
            'label',
            { for: row.select.id, class: 'mapping-header' },
            h('span', { class: 'visually-hidden', text: `Column ${index + 1}: ` }),
            row.header || `(column ${index + 1} has no name)`,
          ),
          row.select,
          row.how,
        ),
      ),
    );
  }

  /** The mapping on screen: header -> field, or null for "ignore". @returns {Record<string, string | null>} */
  mapping() {
    /** @type {Record<string, string | null>} */
    const mapping = Object.create(null); // headers are data: "__proto__" is a header like any other
    for (const row of this.rows) if (!Object.hasOwn(mapping, row.header)) mapping[row.header] = row.select.value || null;
    return mapping;
  }

  /** @param {boolean} disabled */
  setDisabled(disabled) {
    for (const row of this.rows) row.select.disabled = disabled;
  }
}

/** `first_name` -> `first name`. @param {string} field */
export function fieldWords(field) {
  return field.replace(/_/g, ' ');
}

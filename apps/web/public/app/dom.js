// Building DOM nodes without HTML strings: every piece of text becomes a Text node (textContent), so data from the
// API or from a file can never become markup. Nothing here parses HTML from strings.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, unknown>} Props
 */

/**
 * Creates an element. Props: `class`, `text`, `on<event>` handlers (`onclick`), `value`/`checked`/`disabled`/
 * `hidden`/`selected` as properties, anything else as an attribute (`true` = present, `false`/null = absent).
 * @param {string} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = String(value);
    else if (name === 'text') element.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (['value', 'checked', 'disabled', 'hidden', 'selected'].includes(name)) /** @type {any} */ (element)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

/**
 * Appends children (strings as Text nodes).
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function append(parent, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/**
 * Replaces an element's children.
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/**
 * A heading that takes focus when the page changes (so keyboard and screen reader users start there).
 * @param {string} text
 * @param {number} [level]
 */
export function pageHeading(text, level = 1) {
  return h(`h${level}`, { tabindex: '-1', class: 'page-heading', text });
}

let idCounter = 0;
/** @param {string} prefix */
export function uniqueId(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

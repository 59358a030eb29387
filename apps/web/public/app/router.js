// Page routes live in the URL hash (#/jobs/ID), so they never collide with the API's paths and any static host serves
// the page. On every route change the old view is disposed, the new one rendered, and focus moves to its heading.

import { replaceChildren } from './dom.js';

/**
 * @typedef {{ node: HTMLElement, title: string, dispose?: () => void }} View
 * @typedef {{ name: string, params: Record<string, string> }} Route
 */

/** @type {[RegExp, string, string[]][]} */
const ROUTES = [
  [/^#?\/?$/, 'home', []],
  [/^#\/sign-in$/, 'sign-in', []],
  [/^#\/jobs$/, 'jobs', []],
  [/^#\/jobs\/([^/?#]+)$/, 'job', ['jobId']],
  [/^#\/upload$/, 'upload', []],
  [/^#\/webhooks$/, 'webhooks', []],
];

/** @param {string} hash @returns {Route} */
export function parseRoute(hash) {
  for (const [pattern, name, names] of ROUTES) {
    const match = pattern.exec(hash);
    if (!match) continue;
    /** @type {Record<string, string>} */
    const params = {};
    names.forEach((key, index) => {
      try {
        params[key] = decodeURIComponent(match[index + 1] ?? '');
      } catch {
        params[key] = match[index + 1] ?? '';
      }
    });
    return { name, params };
  }
  return { name: 'not-found', params: {} };
}

export class Router {
  /**
   * @param {HTMLElement} outlet
   * @param {(route: Route) => View} resolve
   */
  constructor(outlet, resolve) {
    this.outlet = outlet;
    this.resolve = resolve;
    /** @type {View | null} */
    this.current = null;
    this.rendered = 0;
    window.addEventListener('hashchange', () => {
      // Only page routes (#/...) change the page; other fragments are in-page links.
      if (location.hash === '' || location.hash.startsWith('#/')) this.render();
    });
  }

  /** Renders the route in the address bar. */
  render() {
    this.current?.dispose?.();
    const view = this.resolve(parseRoute(location.hash));
    this.current = view;
    replaceChildren(this.outlet, view.node);
    document.title = `${view.title} – Contact Refinery`;
    // The first page keeps the browser's own starting point; later changes move focus to the new heading.
    if (this.rendered > 0) focusHeading(this.outlet);
    this.rendered += 1;
  }

  /** @param {string} hash */
  navigate(hash) {
    if (location.hash === hash) this.render();
    else location.hash = hash;
  }
}

/** @param {HTMLElement} outlet */
export function focusHeading(outlet) {
  const heading = /** @type {HTMLElement | null} */ (outlet.querySelector('.page-heading'));
  if (heading) heading.focus();
  else outlet.focus();
}

// Sign in with an API token (the one `refinery dev` prints, or one from REFINERY_API_TOKENS). The token is checked
// with one authenticated request before it is kept.

import { ApiError } from '../api.js';
import { h, pageHeading } from '../dom.js';

/** @param {import('../main.js').App} app @returns {import('../router.js').View} */
export function signInView(app) {
  const error = h('p', { class: 'message error', id: 'sign-in-error', role: 'alert' });
  const notice = h('p', { class: 'message notice', role: 'status', text: app.notice ?? '', hidden: !app.notice });
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help sign-in-error',
  });
  const button = h('button', { type: 'submit', class: 'primary', text: 'Sign in' });
  const form = h(
    'form',
    { class: 'card form', novalidate: true, onsubmit: submit },
    h('label', { for: 'token', text: 'API token' }),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      h('code', { text: 'refinery dev' }),
      ' prints a token when it starts (and keeps it in DATA_DIR/token). This page keeps it in this browser tab only, until you sign out or close the tab.',
    ),
    button,
    error,
  );

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    const token = /** @type {HTMLInputElement} */ (input).value.trim();
    error.textContent = '';
    notice.hidden = true;
    if (!token) {
      error.textContent = 'Enter your API token.';
      input.focus();
      return;
    }
    /** @type {HTMLButtonElement} */ (button).disabled = true;
    button.textContent = 'Signing in…';
    try {
      await app.api.checkToken(token);
      app.signedIn(token);
    } catch (failure) {
      /** @type {HTMLButtonElement} */ (button).disabled = false;
      button.textContent = 'Sign in';
      if (failure instanceof ApiError && failure.status === 401) {
        error.textContent = 'This token was not accepted (HTTP 401 Unauthorized). Check that you copied the whole token and try again.';
      } else {
        error.textContent = `Could not sign in: ${failure instanceof Error ? failure.message : String(failure)}.`;
      }
      input.focus();
    }
  }

  const node = h('section', { class: 'view sign-in', 'aria-labelledby': 'sign-in-heading' }, notice, pageHeading('Sign in'), form);
  node.querySelector('h1')?.setAttribute('id', 'sign-in-heading');
  return { node, title: 'Sign in' };
}

// Webhook subscriptions (notifier's /subscriptions): create one (its signing secret is shown once, right then), list
// them, see each one's delivery attempts, delete one.

import { h, pageHeading, replaceChildren } from '../dom.js';
import { formatTime, sentence } from '../format.js';

const EVENT_TYPES = [
  { value: 'job.completed.v1', text: 'a job completed' },
  { value: 'job.failed.v1', text: 'a job failed' },
];

/** @typedef {import('../api.js').Subscription} Subscription */

/** @param {import('../main.js').App} app @returns {import('../router.js').View} */
export function webhooksView(app) {
  let disposed = false;
  const url = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'subscription-url',
      name: 'url',
      type: 'url',
      required: true,
      placeholder: 'https://example.com/hooks/refinery',
      'aria-describedby': 'subscription-url-help',
    })
  );
  const description = /** @type {HTMLInputElement} */ (
    h('input', { id: 'subscription-description', name: 'description', type: 'text', maxlength: '500' })
  );
  const eventBoxes = EVENT_TYPES.map((type) => {
    const id = `event-${type.value.replace(/\W/g, '-')}`;
    const box = /** @type {HTMLInputElement} */ (h('input', { id, type: 'checkbox', name: 'eventTypes', value: type.value, checked: true }));
    return { box, node: h('div', { class: 'check' }, box, h('label', { for: id }, `When ${type.text} (`, h('code', { text: type.value }), ')')) };
  });
  const createError = h('p', { class: 'message error', role: 'alert' });
  const secretBox = h('div', { class: 'card secret', hidden: true, tabindex: '-1', 'aria-labelledby': 'secret-heading' });
  const createButton = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', text: 'Create the subscription' }));
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'create-heading', novalidate: true, onsubmit: create },
    h('h2', { id: 'create-heading', text: 'New subscription' }),
    h('label', { for: 'subscription-url', text: 'URL to call' }),
    url,
    h('p', {
      id: 'subscription-url-help',
      class: 'help',
      text: 'An https URL (http only to localhost). Each call is signed (Standard Webhooks) with the secret shown after you create it.',
    }),
    h(
      'fieldset',
      {},
      h('legend', { text: 'Call it' }),
      eventBoxes.map((item) => item.node),
    ),
    h('label', { for: 'subscription-description', text: 'Description (optional)' }),
    description,
    createButton,
    createError,
  );
  const listMessage = h('p', { class: 'message', role: 'status', text: 'Loading subscriptions…' });
  const list = h('ul', { class: 'subscriptions', 'aria-labelledby': 'list-heading' });

  /** @param {Event} event */
  async function create(event) {
    event.preventDefault();
    createError.textContent = '';
    const eventTypes = eventBoxes.filter((item) => item.box.checked).map((item) => item.box.value);
    if (!url.value.trim()) {
      createError.textContent = 'Enter the URL to call.';
      url.focus();
      return;
    }
    if (!eventTypes.length) {
      createError.textContent = 'Choose at least one kind of event.';
      eventBoxes[0]?.box.focus();
      return;
    }
    createButton.disabled = true;
    try {
      const created = await app.api.createSubscription({ url: url.value.trim(), eventTypes, description: description.value.trim() });
      if (disposed) return;
      showSecret(created);
      url.value = '';
      description.value = '';
      await refresh();
    } catch (error) {
      createError.textContent = `The subscription was not created: ${sentence(error instanceof Error ? error.message : String(error))}`;
    } finally {
      createButton.disabled = false;
    }
  }

  /** The signing secret, shown this once. @param {Subscription} created */
  function showSecret(created) {
    replaceChildren(
      secretBox,
      h('h2', { id: 'secret-heading', text: 'Subscription created: copy its signing secret now' }),
      h(
        'p',
        {},
        'Calls to ',
        h('code', { text: created.url }),
        ' are signed with this secret. It is shown only this once: keep it where your receiver can read it.',
      ),
      h('p', { class: 'secret-value' }, h('code', { id: 'secret-value', text: created.secret ?? '' })),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', text: 'Copy the secret', onclick: copySecret }),
        h('button', { type: 'button', class: 'secondary', text: 'Done, hide it', onclick: hideSecret }),
      ),
    );

    /** @param {Event} event */
    async function copySecret(event) {
      const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
      try {
        await navigator.clipboard.writeText(created.secret ?? '');
        button.textContent = 'Copied';
      } catch {
        // No clipboard access (an insecure origin, a refused permission): select it for Ctrl+C instead.
        const range = document.createRange();
        range.selectNodeContents(/** @type {Node} */ (secretBox.querySelector('#secret-value')));
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
        button.textContent = 'Selected: press Ctrl+C to copy';
      }
    }

    function hideSecret() {
      secretBox.hidden = true;
      replaceChildren(secretBox);
      url.focus();
    }

    secretBox.hidden = false;
    secretBox.focus();
  }

  async function refresh() {
    try {
      const { subscriptions } = await app.api.subscriptions();
      if (disposed) return;
      listMessage.textContent = subscriptions.length
        ? `${subscriptions.length} subscription${subscriptions.length === 1 ? '' : 's'}.`
        : 'No subscriptions yet.';
      replaceChildren(
        list,
        subscriptions.map((subscription) => subscriptionItem(app, subscription, refresh)),
      );
    } catch (error) {
      if (disposed) return;
      listMessage.textContent = `The subscriptions could not be loaded: ${sentence(error instanceof Error ? error.message : String(error))}`;
    }
  }
  void refresh();

  const node = h(
    'section',
    { class: 'view webhooks' },
    pageHeading('Webhooks'),
    h('p', { text: 'Your systems can be called when a job completes or fails, instead of asking for its status.' }),
    secretBox,
    form,
    h('section', { class: 'card', 'aria-labelledby': 'list-heading' }, h('h2', { id: 'list-heading', text: 'Subscriptions' }), listMessage, list),
  );
  return {
    node,
    title: 'Webhooks',
    dispose: () => {
      disposed = true;
    },
  };
}

/**
 * @param {import('../main.js').App} app
 * @param {Subscription} subscription
 * @param {() => Promise<void>} refresh
 */
function subscriptionItem(app, subscription, refresh) {
  const deliveries = h('div', { class: 'deliveries', hidden: true });
  const actions = h('div', { class: 'actions' });
  const toggle = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', text: 'Show deliveries', onclick: showDeliveries })
  );
  const remove = h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: confirmDelete });
  actions.append(toggle, remove);

  async function showDeliveries() {
    if (!deliveries.hidden) {
      deliveries.hidden = true;
      toggle.textContent = 'Show deliveries';
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    deliveries.hidden = false;
    toggle.textContent = 'Hide deliveries';
    toggle.setAttribute('aria-expanded', 'true');
    replaceChildren(deliveries, h('p', { role: 'status', text: 'Loading deliveries…' }));
    try {
      const answer = await app.api.deliveries(subscription.id);
      replaceChildren(
        deliveries,
        answer.deliveries.length
          ? h(
              'ol',
              { class: 'delivery-list' },
              answer.deliveries.map((attempt) =>
                h(
                  'li',
                  {},
                  h('span', { class: `badge ${attempt.ok ? 'status-completed' : 'status-failed'}`, text: attempt.ok ? 'delivered' : 'failed' }),
                  ` ${attempt.eventType} for job `,
                  h('a', { href: `#/jobs/${encodeURIComponent(attempt.jobId)}`, text: attempt.jobId }),
                  `, attempt ${attempt.attempt}, ${formatTime(attempt.at)}: ${attempt.statusCode ? `HTTP ${attempt.statusCode}` : (attempt.error ?? 'no answer')} in ${attempt.durationMs} ms`,
                ),
              ),
            )
          : h('p', { role: 'status', text: 'No deliveries yet.' }),
      );
    } catch (error) {
      replaceChildren(
        deliveries,
        h('p', {
          class: 'message error',
          role: 'alert',
          text: `The deliveries could not be loaded: ${sentence(error instanceof Error ? error.message : String(error))}`,
        }),
      );
    }
  }

  function confirmDelete() {
    const yes = h('button', {
      type: 'button',
      class: 'danger',
      text: 'Yes, delete it',
      onclick: async () => {
        try {
          await app.api.deleteSubscription(subscription.id);
          await refresh();
          /** @type {HTMLElement | null} */ (document.getElementById('list-heading'))?.setAttribute('tabindex', '-1');
          /** @type {HTMLElement | null} */ (document.getElementById('list-heading'))?.focus();
        } catch (error) {
          replaceChildren(
            actions,
            h('p', {
              class: 'message error',
              role: 'alert',
              text: `Not deleted: ${sentence(error instanceof Error ? error.message : String(error))}`,
            }),
            toggle,
            remove,
          );
        }
      },
    });
    const no = h('button', {
      type: 'button',
      class: 'secondary',
      text: 'Keep it',
      onclick: () => {
        replaceChildren(actions, toggle, remove);
        remove.focus();
      },
    });
    replaceChildren(actions, h('span', { text: 'Delete this subscription?' }), yes, no);
    yes.focus();
  }

  return h(
    'li',
    { class: 'subscription', 'data-subscription-id': subscription.id },
    h('p', { class: 'subscription-url' }, h('code', { text: subscription.url })),
    h('p', {
      class: 'help',
      text: `${subscription.description ? `${subscription.description} · ` : ''}${subscription.eventTypes.join(', ')} · created ${formatTime(subscription.createdAt)}`,
    }),
    actions,
    deliveries,
  );
}

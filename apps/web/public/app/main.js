// Starts the page: reads config.json, builds the API client, the live socket and the job store, and routes.

import { createApi } from './api.js';
import { loadConfig } from './config.js';
import { h, replaceChildren } from './dom.js';
import { Router } from './router.js';
import { Session } from './session.js';
import { LiveSocket } from './socket.js';
import { JobStore } from './store.js';
import { jobView } from './views/job.js';
import { jobsView } from './views/jobs.js';
import { notFoundView } from './views/not-found.js';
import { signInView } from './views/sign-in.js';
import { uploadView } from './views/upload.js';
import { webhooksView } from './views/webhooks.js';

/**
 * What every view gets.
 * @typedef {{
 *   api: import('./api.js').Api,
 *   socket: LiveSocket,
 *   store: JobStore,
 *   session: Session,
 *   navigate: (hash: string) => void,
 *   signedIn: (token: string) => void,
 *   notice: string | null,
 *   multipartThresholdBytes: number,
 * }} App
 */

async function boot() {
  const outlet = /** @type {HTMLElement} */ (document.getElementById('main'));
  const nav = /** @type {HTMLElement} */ (document.getElementById('main-nav'));
  const connection = /** @type {HTMLElement} */ (document.getElementById('connection'));
  const skipLink = /** @type {HTMLElement} */ (document.getElementById('skip-link'));
  skipLink.addEventListener('click', (event) => {
    event.preventDefault();
    outlet.focus();
  });

  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replaceChildren(
      outlet,
      h('h1', { text: 'The page could not start' }),
      h('p', { role: 'alert', text: `Its settings (config.json) could not be read: ${error instanceof Error ? error.message : String(error)}` }),
    );
    return;
  }

  const session = new Session();
  const store = new JobStore();
  /** @type {App} */
  const app = {
    api: createApi({
      baseUrl: config.apiBaseUrl,
      notifierBaseUrl: config.notifierBaseUrl,
      token: () => session.token,
      onUnauthorized: () => signOut('Your token is no longer accepted (HTTP 401). Sign in again.'),
    }),
    socket: new LiveSocket({
      url: config.socketUrl,
      token: () => session.token,
      onJobs: (jobs) => {
        for (const job of jobs) store.put(job);
      },
      onJob: (job) => store.put(job),
    }),
    store,
    session,
    multipartThresholdBytes: config.multipartThresholdBytes,
    navigate: (hash) => router.navigate(hash),
    signedIn: (token) => {
      session.signIn(token);
      app.notice = null;
      showSignedIn();
      if (location.hash === '#/sign-in' || location.hash === '' || location.hash === '#/') router.navigate('#/jobs');
      else router.render();
    },
    notice: null,
  };

  const router = new Router(outlet, (route) => {
    if (!session.signedIn || route.name === 'sign-in') {
      if (session.signedIn && route.name === 'sign-in') return jobsView(app);
      return signInView(app);
    }
    switch (route.name) {
      case 'home':
      case 'jobs':
        return jobsView(app);
      case 'job':
        return jobView(app, route.params.jobId ?? '');
      case 'upload':
        return uploadView(app);
      case 'webhooks':
        return webhooksView(app);
      default:
        return notFoundView();
    }
  });

  app.socket.onStateChange((state) => {
    connection.dataset.state = state;
    connection.textContent =
      state === 'open' ? 'Live updates: on' : state === 'connecting' ? 'Live updates: connecting…' : 'Live updates: off (checking every 2 s)';
  });

  function showSignedIn() {
    nav.hidden = false;
    connection.hidden = false;
    app.socket.start();
  }

  /** @param {string | null} notice */
  function signOut(notice) {
    if (!session.signedIn) return; // several requests may answer 401 at once: one sign-out is enough
    app.socket.stop();
    session.signOut();
    store.clear();
    nav.hidden = true;
    connection.hidden = true;
    app.notice = notice;
    router.render();
  }

  /** @type {HTMLElement} */ (document.getElementById('sign-out')).addEventListener('click', () => signOut('You are signed out.'));

  if (session.signedIn) showSignedIn();
  router.render();
}

void boot();

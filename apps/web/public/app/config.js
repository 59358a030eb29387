// config.json, next to index.html: where the HTTP API and the WebSocket are. `refinery dev` computes it from the
// request; a static deployment writes it (see docs/web-app.md).

/**
 * `apiBaseUrl`: the HTTP API ('' = this page's origin). `notifierBaseUrl` (optional, default `apiBaseUrl`): the
 * notifier's HTTP API (/subscriptions), when it has a URL of its own. `socketUrl`: the WebSocket API.
 * @typedef {{ apiBaseUrl: string, notifierBaseUrl: string, socketUrl: string }} WebConfig
 */

/** @returns {Promise<WebConfig>} */
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  const apiBaseUrl = typeof config.apiBaseUrl === 'string' ? config.apiBaseUrl.replace(/\/+$/, '') : '';
  const notifierBaseUrl = typeof config.notifierBaseUrl === 'string' ? config.notifierBaseUrl.replace(/\/+$/, '') : apiBaseUrl;
  const socketUrl = typeof config.socketUrl === 'string' && config.socketUrl ? config.socketUrl : defaultSocketUrl();
  return { apiBaseUrl, notifierBaseUrl, socketUrl };
}

function defaultSocketUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/socket`;
}

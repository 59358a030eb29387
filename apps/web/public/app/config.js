// config.json, next to index.html: where the HTTP API and the WebSocket are. `refinery dev` computes it from the
// request; a static deployment writes it (see docs/web-app.md).

/**
 * `apiBaseUrl`: the HTTP API ('' = this page's origin). `notifierBaseUrl` (optional, default `apiBaseUrl`): the
 * notifier's HTTP API (/subscriptions), when it has a URL of its own. `socketUrl`: the WebSocket API.
 * `multipartThresholdBytes` (optional, default 64 MiB): files at least this large are uploaded in parts.
 * @typedef {{ apiBaseUrl: string, notifierBaseUrl: string, socketUrl: string, multipartThresholdBytes: number }} WebConfig
 */

/** Files at least this large go up in parts unless config.json says otherwise (the CLI's default too). */
const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024;

/** @returns {Promise<WebConfig>} */
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  const apiBaseUrl = typeof config.apiBaseUrl === 'string' ? config.apiBaseUrl.replace(/\/+$/, '') : '';
  const notifierBaseUrl = typeof config.notifierBaseUrl === 'string' ? config.notifierBaseUrl.replace(/\/+$/, '') : apiBaseUrl;
  const socketUrl = typeof config.socketUrl === 'string' && config.socketUrl ? config.socketUrl : defaultSocketUrl();
  const multipartThresholdBytes =
    Number.isSafeInteger(config.multipartThresholdBytes) && config.multipartThresholdBytes > 0
      ? config.multipartThresholdBytes
      : DEFAULT_MULTIPART_THRESHOLD_BYTES;
  return { apiBaseUrl, notifierBaseUrl, socketUrl, multipartThresholdBytes };
}

function defaultSocketUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/socket`;
}

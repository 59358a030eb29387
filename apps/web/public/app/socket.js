// The live connection: the notifier's WebSocket. It authenticates with the subprotocols ['refinery.v1',
// 'bearer.TOKEN'] (a browser cannot set an Authorization header on a WebSocket), sends {"action":"sync"} on open
// (the tenant's recent jobs at once) and {"action":"watch","jobId"} for the job on screen, and reconnects with
// backoff. While it is down, the views fall back to polling (see `connected`).

/** @typedef {import('./api.js').JobView} JobView */
/** @typedef {'connecting' | 'open' | 'closed'} SocketState */

const PING_INTERVAL_MS = 240_000; // below API Gateway's 10-minute idle timeout
const MAX_BACKOFF_MS = 30_000;

export class LiveSocket {
  /**
   * @param {{
   *   url: string,
   *   token: () => string | null,
   *   onJobs: (jobs: JobView[]) => void,
   *   onJob: (job: JobView) => void,
   *   onError?: (error: { code: string, message: string }) => void,
   * }} options
   */
  constructor(options) {
    this.options = options;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {SocketState} */
    this.state = 'closed';
    /** @type {string | null} */
    this.watched = null;
    this.attempt = 0;
    this.stopped = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {Set<(state: SocketState) => void>} */
    this.stateListeners = new Set();
  }

  get connected() {
    return this.state === 'open';
  }

  start() {
    this.stopped = false;
    if (!this.ws) this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'signed out');
    this.setState('closed');
  }

  /** The job on screen (null: none). Sent now if connected, and again on every reconnection. @param {string | null} jobId */
  watch(jobId) {
    this.watched = jobId;
    if (jobId) this.send({ action: 'watch', jobId });
  }

  /** @param {(state: SocketState) => void} listener @returns {() => void} */
  onStateChange(listener) {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** @param {SocketState} state */
  setState(state) {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  /** @param {unknown} message */
  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  connect() {
    const token = this.options.token();
    if (this.stopped || !token) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.options.url, ['refinery.v1', `bearer.${token}`]);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState('open');
      this.send({ action: 'sync' });
      if (this.watched) this.send({ action: 'watch', jobId: this.watched });
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ action: 'ping' }), PING_INTERVAL_MS);
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      this.receive(event.data);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      this.retry();
    });
  }

  retry() {
    this.setState('closed');
    if (this.stopped) return;
    // 1 s, 2 s, 4 s ... up to 30 s, with jitter so many tabs do not reconnect in step.
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** @param {unknown} data */
  receive(data) {
    if (typeof data !== 'string') return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    if (message.type === 'jobs' && Array.isArray(message.jobs)) this.options.onJobs(message.jobs);
    else if (message.type === 'job' && message.job && typeof message.job === 'object') this.options.onJob(message.job);
    else if (message.type === 'error') this.options.onError?.({ code: String(message.code ?? ''), message: String(message.message ?? '') });
  }
}

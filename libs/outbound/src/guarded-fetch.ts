import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import {
  checkDestinationUrl,
  type DestinationPolicy,
  type DestinationRefusedError,
  hostRefusal,
  isDestinationRefused,
  privateDestinationsAllowed,
  resolvedAddressRefusal,
} from './destination';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Every address a host name has (like `dns.lookup` with `all: true`). Injected in tests; default: the system's. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface GuardedDispatcherOptions extends Pick<DestinationPolicy, 'allowPrivateDestinations'> {
  /** How long opening a connection (TCP, and TLS for https) may take. Default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly resolve?: ResolveHost;
}

export interface FetchPublicOptions extends DestinationPolicy {
  /** How long opening a connection may take (the whole request's limit is the caller's `signal`). Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A dispatcher of createGuardedDispatcher's (e.g. with a resolver of a test's own); default: a shared one. */
  readonly dispatcher?: Agent;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true });

/**
 * The lookup a guarded socket connects with (net.connect's `lookup` option): resolves the name, refuses unless EVERY
 * address it has may be reached, and hands the socket exactly the addresses it checked. Resolves again each time.
 */
export function createGuardedLookup(options: GuardedDispatcherOptions = {}): LookupFunction {
  const resolve = options.resolve ?? systemResolve;
  const refusalOf = unlessLifted(options);
  return (hostname, lookupOptions, callback) => {
    const notFound = () => Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    resolve(hostname)
      .then((found) => {
        if (found.length === 0) throw notFound();
        for (const { address } of found) {
          const refusal = refusalOf(resolvedAddressRefusal(hostname, address));
          if (refusal) throw refusal;
        }
        const { family } = lookupOptions;
        const wanted = family === 4 || family === 6 ? found.filter((answer) => answer.family === family) : [...found];
        if (wanted.length === 0) throw notFound();
        return wanted;
      })
      .then(
        (addresses) => {
          const first = addresses[0] as ResolvedAddress;
          if (lookupOptions.all) (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, addresses);
          else callback(null, first.address, first.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 0),
      );
  };
}

/** A refusal, unless it is one that REFINERY_ALLOW_PRIVATE_DESTINATIONS=1 lifts and that is set (read each time). */
function unlessLifted(options: GuardedDispatcherOptions) {
  return (error: DestinationRefusedError | undefined): DestinationRefusedError | undefined =>
    error && !(error.liftable && privateDestinationsAllowed(options)) ? error : undefined;
}

/**
 * An undici dispatcher whose every new connection is checked where it is made: a literal address before connecting,
 * a host name by checking EVERY address it resolves to in the lookup the socket itself connects with (so no DNS
 * answer can change between the check and the connection: no rebinding gap). Each connection resolves again; nothing
 * is cached here. Connections are pooled per origin as usual.
 */
export function createGuardedDispatcher(options: GuardedDispatcherOptions = {}): Agent {
  const refusalOf = unlessLifted(options);
  const lookup = createGuardedLookup(options);

  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, lookup } as buildConnector.BuildOptions);
  return new Agent({
    connect: (connectOptions, callback) => {
      // Node's net.connect skips the lookup for a literal address: checked here, before any packet is sent.
      const before = refusalOf(hostRefusal(isIP(connectOptions.hostname) === 6 ? `[${connectOptions.hostname}]` : connectOptions.hostname));
      if (before) {
        callback(carrier(before), null);
        return;
      }
      connect(connectOptions, (error, socket) =>
        error || !socket ? callback(carrier(error ?? new Error('no socket')), null) : callback(null, socket),
      );
    },
  });
}

/**
 * Node's fetch keeps a connection error as its `cause` only when it is an Error of Node's own realm or its constructor
 * is named `Error`; any other (this package's undici errors, any error made in a Jest sandbox) is replaced by a bare
 * Error with the message alone. A plain Error carries the original as its cause, and its name and code, through.
 */
function carrier(error: Error): Error {
  if (error.constructor?.name === 'Error') return error;
  return Object.assign(new Error(error.message, { cause: error }), { name: error.name, code: (error as NodeJS.ErrnoException).code });
}

/** The refusal behind a failed fetch: its cause, or the cause of the carrier that brought it. */
function refusalBehind(error: unknown): DestinationRefusedError | undefined {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (isDestinationRefused(cause)) return cause;
  const inner = (cause as { cause?: unknown } | undefined)?.cause;
  return isDestinationRefused(inner) ? inner : undefined;
}

const sharedDispatchers = new Map<string, Agent>();

// One per connect timeout and policy, for the life of the process (a Lambda container keeps its pools warm).
function sharedDispatcher(options: FetchPublicOptions): Agent {
  const key = `${options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS}|${options.allowPrivateDestinations ?? 'env'}`;
  let dispatcher = sharedDispatchers.get(key);
  if (!dispatcher) {
    dispatcher = createGuardedDispatcher({
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.allowPrivateDestinations === undefined ? {} : { allowPrivateDestinations: options.allowPrivateDestinations }),
    });
    sharedDispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/**
 * `fetch` for URLs that someone else chose (webhook subscribers, provider and Mailchimp configuration): the URL is
 * checked first (checkDestinationUrl), then every connection by the guarded dispatcher. Redirects are never
 * followed: a 3xx answer is returned as it is (following one would go to a destination nobody checked at
 * registration). A refusal rejects with DestinationRefusedError, having sent nothing.
 *
 * The global fetch is looked up per call, so whatever replaces it in tests (nock) is honoured.
 */
export async function fetchPublic(url: string | URL, init: RequestInit = {}, options: FetchPublicOptions = {}): Promise<Response> {
  checkDestinationUrl(url, options);
  const dispatcher = options.dispatcher ?? sharedDispatcher(options);
  try {
    return await globalThis.fetch(url, { ...init, redirect: 'manual', dispatcher } as RequestInit);
  } catch (error) {
    throw refusalBehind(error) ?? error;
  }
}

import { isIP } from 'node:net';
import { type AddressVerdict, classifyAddress } from './addresses';

/** Set to 1 to let outbound requests reach loopback, private and other non-public addresses: local testing only. */
export const ALLOW_PRIVATE_DESTINATIONS_ENV = 'REFINERY_ALLOW_PRIVATE_DESTINATIONS';

const ALLOW_HINT = `set ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 to allow it for local testing, never on AWS`;

/**
 * An outbound request that was not sent, and why. The message names the host (never the path, the query or any
 * credentials, which may hold secrets) and, for a host name, never the addresses it resolved to: a refusal tells a
 * tenant nothing about the network behind it.
 */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  constructor(
    /** Short and stable: 'credentials in URL', 'scheme', 'plain http', 'metadata host', 'private address', ... */
    readonly reason: string,
    message: string,
    /** Whether REFINERY_ALLOW_PRIVATE_DESTINATIONS=1 lifts it (not for credentials, schemes and metadata endpoints). */
    readonly liftable = false,
  ) {
    super(`destination refused: ${message}`);
  }
}

/** Recognises a refusal across module copies (bundles, Jest's registries), where `instanceof` may not hold. */
export function isDestinationRefused(error: unknown): error is DestinationRefusedError {
  return error instanceof Error && error.name === 'DestinationRefusedError' && typeof (error as { reason?: unknown }).reason === 'string';
}

export interface DestinationPolicy {
  /** Lifts the address and host-name rules. Default: `REFINERY_ALLOW_PRIVATE_DESTINATIONS=1`, read at each check. */
  readonly allowPrivateDestinations?: boolean;
  /**
   * Refuse plain http. Plain http to a non-public destination is still allowed while those are allowed (a receiver on
   * loopback in a test has no certificate). Default false.
   */
  readonly httpsOnly?: boolean;
}

export function privateDestinationsAllowed(policy: DestinationPolicy = {}): boolean {
  return policy.allowPrivateDestinations ?? process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] === '1';
}

// Names that reach this machine or a cloud provider's instance metadata (credentials), whatever DNS says.
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
const METADATA_NAMES = new Set([
  'metadata', // Google Cloud's short name
  'metadata.google.internal',
  'metadata.goog',
  'instance-data', // EC2's
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

/**
 * Checks a URL before anything is sent: http(s) only, no credentials, and unless private destinations are allowed,
 * no literal non-public address and no loopback or metadata host name. Host names are resolved and checked again
 * at connection time by the guarded fetch (this check does not resolve them). Returns the parsed URL.
 */
export function checkDestinationUrl(value: string | URL, policy: DestinationPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DestinationRefusedError('not a URL', 'the value is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DestinationRefusedError('scheme', `scheme ${url.protocol} is not allowed; use https`);
  }
  // Always refused: a URL is logged, stored and shown back; a secret belongs in a header.
  if (url.username !== '' || url.password !== '') {
    throw new DestinationRefusedError('credentials in URL', 'the URL has credentials (user:password@host); send them in a header instead');
  }
  const refusal = hostRefusal(url.hostname);
  const lifted = refusal?.liftable === true && privateDestinationsAllowed(policy);
  if (refusal && !lifted) throw refusal;
  if (policy.httpsOnly && url.protocol === 'http:' && !lifted) {
    throw new DestinationRefusedError('plain http', `plain http to ${url.host} is not allowed; use https`);
  }
  return url;
}

/**
 * Why a host (a URL's hostname: a name, an IPv4 address, or an IPv6 address in brackets) may not be reached, or
 * undefined when it may as far as can be told without resolving it. The caller decides whether a `liftable` refusal
 * is lifted (privateDestinationsAllowed).
 */
export function hostRefusal(hostname: string): DestinationRefusedError | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return addressRefusal(bare, host);
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) {
    return new DestinationRefusedError('loopback address', `${host} is a loopback host name (${ALLOW_HINT})`, true);
  }
  if (METADATA_NAMES.has(host)) {
    return new DestinationRefusedError('metadata host', `${host} is a cloud instance-metadata host name`);
  }
  // WHATWG URL parsing turns 2130706433, 0x7f.1, 0177.0.0.1 and 127.1 into 127.0.0.1 (or refuses them); a host that
  // still looks numeric did not come through a URL parser, and other resolvers read such forms in their own ways.
  const last = host.split('.').pop() ?? '';
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(last)) {
    return new DestinationRefusedError('non-canonical address', `${host} is an IPv4 address in a non-canonical form`);
  }
  return undefined;
}

/**
 * The refusal for an address a host name resolved to, or for the address a socket is connected to. The message names
 * the host name and the kind of address, not the address: which internal address a name has is not a tenant's to learn.
 */
export function resolvedAddressRefusal(hostname: string, address: string): DestinationRefusedError | undefined {
  return addressRefusal(address, `${hostname.toLowerCase().replace(/\.$/, '')} resolves to`);
}

function addressRefusal(address: string, subject: string): DestinationRefusedError | undefined {
  const verdict: AddressVerdict = classifyAddress(address);
  const resolved = subject.endsWith(' resolves to');
  // A literal host is named by itself ("10.0.0.1 is a private address"); a resolved one only by its name.
  const sentence = (what: string) => (resolved ? `${subject} ${what}` : `${subject} is ${what}`);
  // Never lifted, even while private destinations are allowed: local testing needs no instance credentials.
  if (verdict.metadata) {
    return new DestinationRefusedError('metadata address', sentence('a cloud instance-metadata address'));
  }
  if (verdict.category === 'public') return undefined;
  const kind = `${verdict.category} address`;
  const form = verdict.via ? `the ${verdict.via} form of ${article(kind)} ${kind}` : `${article(kind)} ${kind}`;
  return new DestinationRefusedError(kind, `${sentence(form)}; only public addresses may be reached (${ALLOW_HINT})`, true);
}

function article(word: string): string {
  return /^(?!uni)[aeiou]/i.test(word) ? 'an' : 'a';
}

import { checkDestinationUrl, isDestinationRefused } from '@refinery/outbound';

// Checks for provider configuration, run in constructors: a bad setting fails when the service starts, with a
// message naming the setting and what is wrong, instead of as a failed chunk hours later.

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return String(value);
}

export function requireText(owner: string, setting: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`${owner}: ${setting} is required (got ${describeValue(value)})`);
  }
  return value;
}

// For secrets: says what is wrong without ever echoing the value.
export function requireSecret(owner: string, setting: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`${owner}: ${setting} is required`);
  }
  // A pasted key with a newline or quotes would be rejected by fetch as a header value on every attempt.
  if (/[\s"']/u.test(value)) {
    throw new Error(`${owner}: ${setting} contains whitespace or quotes; paste the key alone`);
  }
  return value;
}

export function requireHttpUrl(owner: string, setting: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${owner}: ${setting} is not a URL (got ${describeValue(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${owner}: ${setting} must be an http(s) URL (got ${describeValue(url.protocol)})`);
  }
  // Only public destinations, no credentials in the URL (they would be logged); what a host name resolves to is
  // checked again at every connection.
  try {
    checkDestinationUrl(url);
  } catch (error) {
    if (!isDestinationRefused(error)) throw error;
    throw new Error(`${owner}: ${setting} is refused: ${error.message}`);
  }
  return url;
}

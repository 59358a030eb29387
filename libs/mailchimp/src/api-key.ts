import { checkDestinationUrl, isDestinationRefused } from '@refinery/outbound';

/**
 * A Mailchimp API key ends in its data centre: `<32 hex>-us6` is served by `https://us6.api.mailchimp.com`
 * (Mailchimp Marketing API quick start / fundamentals: "the data center is the part after the dash in your API key").
 * The suffix becomes part of a host name, so only letters and digits are accepted.
 *
 * Errors here never repeat the key: it is a credential.
 */
export function dataCenterOf(apiKey: string): string {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new Error('Mailchimp API key is empty');
  const dash = apiKey.lastIndexOf('-');
  if (dash < 0) {
    throw new Error("Mailchimp API key has no data-centre suffix: expected a key ending in '-<dc>', e.g. '-us6'");
  }
  const dc = apiKey.slice(dash + 1);
  if (!/^[a-z]{2,}[0-9]+$/i.test(dc)) {
    throw new Error("Mailchimp API key's data-centre suffix is not valid: expected letters then digits, e.g. 'us6'");
  }
  return dc.toLowerCase();
}

/**
 * The API origin for a key (`https://us6.api.mailchimp.com`), or `override` when given (a test server, or a proxy);
 * callers read `MAILCHIMP_BASE_URL` and pass it here. Paths (`/3.0/...`) are added by the client.
 */
export function baseUrlFor(apiKey: string, override?: string): string {
  if (override !== undefined && override.trim() !== '') return checkMailchimpBaseUrl(override);
  return `https://${dataCenterOf(apiKey)}.api.mailchimp.com`;
}

/**
 * A base URL override, checked (http(s), no credentials, a public destination: @refinery/outbound, where
 * REFINERY_ALLOW_PRIVATE_DESTINATIONS=1 lets a local fake through) and without its trailing slashes. For callers
 * that want a bad override to fail when they start rather than at the first request.
 */
export function checkMailchimpBaseUrl(override: string): string {
  try {
    checkDestinationUrl(override.trim());
  } catch (error) {
    if (!isDestinationRefused(error)) throw error;
    throw new Error(`Mailchimp base URL override (MAILCHIMP_BASE_URL) is refused: ${error.message}`);
  }
  return override.trim().replace(/\/+$/, '');
}

/** HTTP Basic credentials as Mailchimp documents them: any user name, the API key as the password. */
export function basicAuthorization(apiKey: string): string {
  return `Basic ${Buffer.from(`anystring:${apiKey}`).toString('base64')}`;
}

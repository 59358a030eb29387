import { CANONICAL_FIELDS, type CanonicalField, type ContactFields, hasValue, isCanonicalField } from '@refinery/contacts';
import { describeValue, requireHttpUrl } from './config-checks';

// A look-up URL with canonical field names in braces: https://dir.internal/people?email={email}&last={last_name}
export interface UrlTemplate {
  readonly source: string;
  readonly placeholders: readonly CanonicalField[];
}

const PLACEHOLDER = /\{([^{}]*)\}/gu;

// Checked once, at construction: every placeholder names a canonical field, the braces balance, the URL is
// http(s), and placeholders stay out of the scheme and host (contact data must not choose where we connect).
export function parseUrlTemplate(owner: string, setting: string, source: unknown): UrlTemplate {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new Error(`${owner}: ${setting} is required (got ${describeValue(source)})`);
  }
  const placeholders: CanonicalField[] = [];
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!isCanonicalField(name)) {
      throw new Error(`${owner}: ${setting} has an unknown placeholder {${name}}; placeholders are canonical fields: ${CANONICAL_FIELDS.join(', ')}`);
    }
    if (!placeholders.includes(name)) placeholders.push(name);
  }
  if (/[{}]/u.test(source.replace(PLACEHOLDER, ''))) {
    throw new Error(`${owner}: ${setting} has an unbalanced brace (got ${describeValue(source)})`);
  }
  const one = requireHttpUrl(owner, setting, source.replace(PLACEHOLDER, 'a'));
  const other = requireHttpUrl(owner, setting, source.replace(PLACEHOLDER, 'b'));
  if (one.origin !== other.origin) {
    throw new Error(`${owner}: ${setting} has a placeholder in the scheme, host or port (got ${describeValue(source)})`);
  }
  return { source, placeholders };
}

// Every placeholder has a value in this contact: the template can ask the question it was written for.
export function canExpand(template: UrlTemplate, contact: ContactFields): boolean {
  return template.placeholders.every((field) => hasValue(contact[field]));
}

// Values URL-encoded; a placeholder whose field is empty becomes an empty string.
export function expandUrlTemplate(template: UrlTemplate, contact: ContactFields): string {
  return template.source.replace(PLACEHOLDER, (_match, name: string) => {
    const value = isCanonicalField(name) ? contact[name] : undefined;
    return hasValue(value) ? encodeURIComponent(value) : '';
  });
}

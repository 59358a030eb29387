// Reads `a.b.0.c` out of parsed JSON: the shape of in-house directory responses is configuration, not code.
// Undefined when any step is missing. A segment of digits also indexes arrays.
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    if (Array.isArray(current)) {
      if (!/^\d+$/u.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

// A record value usable as a contact field: strings as given, numbers (postcodes, phone numbers stored as
// numbers) as text. Anything else (null, booleans, objects) is no value.
export function textAtPath(record: unknown, path: string): string | undefined {
  const value = valueAtPath(record, path);
  if (typeof value === 'string') {
    return value.trim() === '' ? undefined : value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return undefined;
}

export function isValidPath(path: string): boolean {
  return path !== '' && path.split('.').every((segment) => segment !== '');
}

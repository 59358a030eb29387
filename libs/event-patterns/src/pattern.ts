// EventBridge event patterns (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html),
// the subset our rules use and a little more: exact values, prefix, suffix, anything-but, numeric, exists,
// equals-ignore-case and $or. The local bus and the in-process EventBridge stand-in route with this, so a rule
// behaves the same on one machine as on AWS.

// `$or` holds a list of patterns; every other key holds a nested pattern or a list of matchers.
export interface EventPattern {
  readonly [field: string]: EventPattern | readonly PatternMatcher[] | readonly EventPattern[];
}

type Scalar = string | number | boolean | null;
type PatternMatcher =
  | Scalar
  | { prefix: string }
  | { suffix: string }
  | { 'equals-ignore-case': string }
  | { 'anything-but': Scalar | readonly Scalar[] | { prefix: string } | { suffix: string } }
  | { numeric: readonly (string | number)[] }
  | { exists: boolean };

const MISSING = Symbol('missing');
type FieldValue = unknown | typeof MISSING;

export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchesObject(pattern, event);
}

function matchesObject(pattern: EventPattern, value: unknown): boolean {
  for (const [field, expected] of Object.entries(pattern)) {
    if (field === '$or') {
      const alternatives = expected as readonly EventPattern[];
      if (!alternatives.some((alternative) => matchesObject(alternative, value))) return false;
      continue;
    }
    const actual: FieldValue =
      value !== null && typeof value === 'object' && field in (value as Record<string, unknown>)
        ? (value as Record<string, unknown>)[field]
        : MISSING;
    if (Array.isArray(expected)) {
      if (!matchesField(expected as readonly PatternMatcher[], actual)) return false;
    } else {
      if (actual === MISSING || actual === null || typeof actual !== 'object') return false;
      if (!matchesObject(expected as EventPattern, actual)) return false;
    }
  }
  return true;
}

function matchesField(matchers: readonly PatternMatcher[], actual: FieldValue): boolean {
  return matchers.some((matcher) => {
    if (isExistsMatcher(matcher)) return matcher.exists === (actual !== MISSING);
    if (actual === MISSING) return false;
    // A field holding an array matches when any of its elements does.
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((value) => matchesValue(matcher, value));
  });
}

function isExistsMatcher(matcher: PatternMatcher): matcher is { exists: boolean } {
  return matcher !== null && typeof matcher === 'object' && 'exists' in matcher;
}

function matchesValue(matcher: PatternMatcher, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return value === matcher;
  if ('prefix' in matcher) return typeof value === 'string' && value.startsWith(matcher.prefix);
  if ('suffix' in matcher) return typeof value === 'string' && value.endsWith(matcher.suffix);
  if ('equals-ignore-case' in matcher) {
    return typeof value === 'string' && value.toLowerCase() === matcher['equals-ignore-case'].toLowerCase();
  }
  if ('anything-but' in matcher) return !matchesAnythingBut(matcher['anything-but'], value);
  if ('numeric' in matcher) return typeof value === 'number' && matchesNumeric(matcher.numeric, value);
  return false;
}

function matchesAnythingBut(excluded: Scalar | readonly Scalar[] | { prefix: string } | { suffix: string }, value: unknown): boolean {
  if (Array.isArray(excluded)) return excluded.includes(value as Scalar);
  if (excluded !== null && typeof excluded === 'object') {
    if ('prefix' in excluded) return typeof value === 'string' && value.startsWith(excluded.prefix);
    if ('suffix' in excluded) return typeof value === 'string' && value.endsWith(excluded.suffix);
    return false;
  }
  return value === excluded;
}

function matchesNumeric(conditions: readonly (string | number)[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === '='
        ? value === bound
        : operator === '>'
          ? value > bound
          : operator === '>='
            ? value >= bound
            : operator === '<'
              ? value < bound
              : operator === '<='
                ? value <= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

/** Throws with the path of the first part of `pattern` that EventBridge would reject (or that we do not support). */
export function validateEventPattern(pattern: unknown, path = '$'): asserts pattern is EventPattern {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new Error(`event pattern ${path} must be an object`);
  }
  const entries = Object.entries(pattern as Record<string, unknown>);
  if (entries.length === 0) throw new Error(`event pattern ${path} must not be empty`);
  for (const [field, expected] of entries) {
    const fieldPath = `${path}.${field}`;
    if (field === '$or') {
      if (!Array.isArray(expected) || expected.length < 2) throw new Error(`${fieldPath} must list at least two patterns`);
      for (const [i, alternative] of expected.entries()) validateEventPattern(alternative, `${fieldPath}[${i}]`);
    } else if (Array.isArray(expected)) {
      if (expected.length === 0) throw new Error(`${fieldPath} must list at least one value`);
      for (const [i, matcher] of expected.entries()) validateMatcher(matcher, `${fieldPath}[${i}]`);
    } else {
      validateEventPattern(expected, fieldPath);
    }
  }
}

const MATCHER_KEYS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

function validateMatcher(matcher: unknown, path: string): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (typeof matcher !== 'object' || Array.isArray(matcher)) throw new Error(`${path} is not a value or a matcher`);
  const keys = Object.keys(matcher);
  if (keys.length !== 1 || !MATCHER_KEYS.has(keys[0] as string)) {
    throw new Error(`${path} uses an unsupported matcher ${JSON.stringify(matcher)}`);
  }
}

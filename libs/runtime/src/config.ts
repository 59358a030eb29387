import { z } from 'zod';

/**
 * Reads settings (usually process.env) through a zod schema at cold start. A missing or malformed setting fails
 * fast, naming every setting that is wrong, instead of surfacing later as an odd error deep in a handler.
 */
export function loadConfig<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>, origin = 'environment'): z.output<T> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      return `${name}: ${issue.message}`;
    });
    throw new Error(`invalid configuration from ${origin}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

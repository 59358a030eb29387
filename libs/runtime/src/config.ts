import type { z } from 'zod';
import { type ServiceDeclaration, type SettingDeclaration, type SettingsOf, settingEnvName } from './declaration';

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

/**
 * A declaration's settings: each from `given` when there, else parsed from its environment variable (or the declared
 * default when unset). Problems name the variable and what is wrong, for every setting at once.
 */
export function resolveSettings<D extends Pick<ServiceDeclaration, 'settings'>>(
  declaration: D,
  environment: Readonly<Record<string, string | undefined>>,
  given: Partial<SettingsOf<D>> = {},
): { readonly settings: SettingsOf<D>; readonly problems: readonly string[] } {
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, declared] of Object.entries(declaration.settings as Record<string, SettingDeclaration>)) {
    if (key in given && (given as Record<string, unknown>)[key] !== undefined) {
      settings[key] = (given as Record<string, unknown>)[key];
      continue;
    }
    const env = settingEnvName(key, declared);
    const raw = environment[env] ?? (declared.default === undefined ? undefined : String(declared.default));
    const parsed = declared.schema.safeParse(raw);
    if (parsed.success) settings[key] = parsed.data;
    else
      problems.push(
        `${env}: ${raw === undefined ? `required (${declared.description})` : parsed.error.issues.map((issue) => issue.message).join(', ')}`,
      );
  }
  return { settings: settings as SettingsOf<D>, problems };
}

type SettingsWithDefaults<D extends Pick<ServiceDeclaration, 'settings'>> = {
  readonly [K in keyof D['settings'] as D['settings'][K] extends { readonly default: string | number | boolean } ? K : never]: SettingsOf<D>[K];
};

/** The declared default of every setting that has one, parsed: what a deployment that sets nothing runs with. */
export function settingDefaults<D extends Pick<ServiceDeclaration, 'settings'>>(declaration: D): SettingsWithDefaults<D> {
  const defaults: Record<string, unknown> = {};
  for (const [key, declared] of Object.entries(declaration.settings as Record<string, SettingDeclaration>)) {
    if (declared.default !== undefined) defaults[key] = declared.schema.parse(String(declared.default));
  }
  return defaults as SettingsWithDefaults<D>;
}

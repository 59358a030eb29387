import { chunker } from '@refinery/chunker';
import { ingest } from '@refinery/ingest';
import { mailchimpSync } from '@refinery/mailchimp-sync';
import { matcher } from '@refinery/matcher';
import { notifier } from '@refinery/notifier';
import { type SettingDeclaration, settingEnvName } from '@refinery/runtime';
import { InputError } from './enrich';
import type { LocalSettings } from './local-app';

// `--setting service.key=value`: the local mode reads no environment variables for the services' settings (what runs is
// what the command line says), so the settings a deployment sets per stage — quotas, limits, timeouts — are given here,
// by the same names as the services' declarations (docs/deploy.md lists them with their defaults).
const SERVICES = {
  ingest: { key: 'ingest', declaration: ingest },
  chunker: { key: 'chunker', declaration: chunker },
  matcher: { key: 'matcher', declaration: matcher },
  notifier: { key: 'notifier', declaration: notifier },
  'mailchimp-sync': { key: 'mailchimpSync', declaration: mailchimpSync },
} as const;

type Collected = { -readonly [K in keyof LocalSettings]: Record<string, unknown> };

/** Parses every `--setting` given; a bad one is refused with what is wrong and what would be right. */
export function settingsFromOptions(values: readonly string[]): LocalSettings {
  const collected: Collected = {};
  for (const value of values) {
    const match = /^([a-z-]+)\.([A-Za-z0-9]+)=(.*)$/s.exec(value);
    if (!match) throw new InputError(`--setting ${value}: expected service.setting=value, e.g. --setting ingest.maxJobsInFlight=20`);
    const [, serviceName, key, raw] = match as unknown as [string, string, string, string];
    const service = SERVICES[serviceName as keyof typeof SERVICES];
    if (!service) throw new InputError(`--setting ${value}: no service "${serviceName}" takes settings here (${Object.keys(SERVICES).join(', ')})`);
    const declared = (service.declaration.settings as Record<string, SettingDeclaration>)[key];
    if (!declared) {
      const known = Object.entries(service.declaration.settings as Record<string, SettingDeclaration>)
        .filter(([, setting]) => !setting.secret)
        .map(([name]) => name);
      throw new InputError(`--setting ${value}: ${serviceName} has no setting "${key}" (it has: ${known.join(', ')})`);
    }
    if (declared.secret) {
      throw new InputError(`--setting ${value}: ${key} is a secret; give it as ${settingEnvName(key, declared)} in the environment`);
    }
    const parsed = declared.schema.safeParse(raw);
    if (!parsed.success) {
      throw new InputError(`--setting ${value}: ${parsed.error.issues.map((issue) => issue.message).join(', ')} (${declared.description})`);
    }
    collected[service.key] = { ...collected[service.key], [key]: parsed.data };
  }
  return collected as LocalSettings;
}

/** Commander's collector for a repeatable option. */
export function collectSetting(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { type Logger, type ServiceDeclaration, type SettingDeclaration, secretParameterName, settingEnvName } from '@refinery/runtime';

/** How long a container keeps its secrets before reading them again: a rotation reaches every container this fast. */
export const SECRET_REFRESH_MS = 5 * 60_000;
/** GetParameters takes at most 10 names. */
const MAX_NAMES = 10;

/** A service's secret settings on AWS: each setting's environment variable name, and the parameter holding it. */
export function secretSources(declaration: ServiceDeclaration, stage: string): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const [key, setting] of Object.entries(declaration.settings as Record<string, SettingDeclaration>)) {
    if (setting.secret) sources[settingEnvName(key, setting)] = secretParameterName(stage, key);
  }
  return sources;
}

/**
 * The values of a service's secrets, by environment variable name, read from SSM Parameter Store (SecureStrings,
 * decrypted). A parameter that does not exist is left out: the setting's default applies, or its absence is the
 * configuration error that names it.
 */
export async function readSecrets(ssm: SSMClient, sources: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const byParameter = new Map(Object.entries(sources).map(([env, parameter]) => [parameter, env]));
  const names = [...byParameter.keys()];
  const values: Record<string, string> = {};
  for (let start = 0; start < names.length; start += MAX_NAMES) {
    const { Parameters = [] } = await ssm.send(new GetParametersCommand({ Names: names.slice(start, start + MAX_NAMES), WithDecryption: true }));
    for (const parameter of Parameters) {
      const env = parameter.Name ? byParameter.get(parameter.Name) : undefined;
      if (env && parameter.Value !== undefined) values[env] = parameter.Value;
    }
  }
  return values;
}

/**
 * Something built from a service's secrets, kept for SECRET_REFRESH_MS and then checked against the parameters again:
 * rebuilt when one changed (a rotation), kept otherwise. A failed check keeps what was built (a parameter store
 * hiccup must not stop the service) and tries again a minute later.
 */
export class SecretsRefresher<T> {
  private current: { value: T; secrets: Record<string, string>; checkedAt: number } | undefined;
  private pending: Promise<T> | undefined;

  constructor(
    private readonly options: {
      readonly read: () => Promise<Record<string, string>>;
      readonly build: (secrets: Record<string, string>) => Promise<T>;
      readonly logger: Logger;
      readonly now?: () => number;
      readonly refreshMs?: number;
    },
  ) {}

  /** The latest build (the first call builds; a failed build is retried at the next call). */
  get(): Promise<T> {
    const now = (this.options.now ?? Date.now)();
    const current = this.current;
    if (current && now - current.checkedAt < (this.options.refreshMs ?? SECRET_REFRESH_MS)) return Promise.resolve(current.value);
    this.pending ??= (current ? this.refresh(current, now) : this.buildFirst(now)).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async buildFirst(now: number): Promise<T> {
    const secrets = await this.options.read();
    const value = await this.options.build(secrets);
    this.current = { value, secrets, checkedAt: now };
    return value;
  }

  private async refresh(current: NonNullable<SecretsRefresher<T>['current']>, now: number): Promise<T> {
    try {
      const secrets = await this.options.read();
      if (sameSecrets(secrets, current.secrets)) {
        current.checkedAt = now;
        return current.value;
      }
      const value = await this.options.build(secrets);
      this.current = { value, secrets, checkedAt: now };
      this.options.logger.info({ changed: changedNames(secrets, current.secrets) }, 'secrets changed: rebuilt with the new values');
      return value;
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not read or apply the secrets again; keeping the current ones');
      current.checkedAt = now - (this.options.refreshMs ?? SECRET_REFRESH_MS) + 60_000;
      return current.value;
    }
  }
}

function sameSecrets(a: Record<string, string>, b: Record<string, string>): boolean {
  return changedNames(a, b).length === 0;
}

function changedNames(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((name) => a[name] !== b[name]).sort();
}

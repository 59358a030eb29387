import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiToken, TokenRegistry } from '@refinery/runtime';

export interface ResolvedTokens {
  readonly registry: TokenRegistry;
  /** A token the local tools (enrich, tests) use to call the API. */
  readonly clientToken: string;
  /** Set when the token was generated or read from the data dir rather than given. */
  readonly localTokenFile?: string;
  readonly generated: boolean;
}

export const LOCAL_TENANT = 'local';

/**
 * Tokens from REFINERY_API_TOKENS ("tenant:token,..."); without it, one token for tenant `local`, generated once and
 * kept in DATA_DIR/token so the same data dir keeps the same token across restarts.
 */
export function resolveTokens(spec: string | undefined, dataDir: string): ResolvedTokens {
  if (spec?.trim()) {
    const registry = TokenRegistry.parse(spec);
    const first = spec.split(',')[0] as string;
    return { registry, clientToken: first.slice(first.indexOf(':') + 1).trim(), generated: false };
  }
  const file = join(dataDir, 'token');
  let token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const generated = token === '';
  if (generated) {
    token = generateApiToken();
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return { registry: new TokenRegistry(new Map([[token, LOCAL_TENANT]])), clientToken: token, localTokenFile: file, generated };
}

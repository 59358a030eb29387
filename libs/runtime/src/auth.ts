import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { setting } from './declaration';

/** Bearer tokens and the tenant each one acts for, from `REFINERY_API_TOKENS="tenant:token,tenant2:token2"`. */
export class TokenRegistry {
  private readonly entries: { digest: Buffer; tenantId: string }[];

  constructor(tokens: ReadonlyMap<string, string>) {
    this.entries = [...tokens].map(([token, tenantId]) => ({ digest: digest(token), tenantId }));
  }

  static parse(spec: string): TokenRegistry {
    const tokens = new Map<string, string>();
    for (const part of spec
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const separator = part.indexOf(':');
      const tenantId = part.slice(0, separator).trim();
      const token = part.slice(separator + 1).trim();
      if (separator <= 0 || !tenantId || token.length < 8) {
        throw new Error(`REFINERY_API_TOKENS: "${part.replace(/:.*/, ':***')}" must be tenant:token with a token of at least 8 characters`);
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(tenantId)) {
        throw new Error(`REFINERY_API_TOKENS: tenant "${tenantId}" may only use letters, digits, '_', '.' and '-'`);
      }
      tokens.set(token, tenantId);
    }
    if (tokens.size === 0) throw new Error('REFINERY_API_TOKENS lists no tokens');
    return new TokenRegistry(tokens);
  }

  /** The tenant for an `Authorization` header value, or undefined. Compares digests in constant time. */
  tenantFor(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const candidate = digest(match[1] as string);
    let tenantId: string | undefined;
    for (const entry of this.entries) {
      // Every entry is compared, so timing says nothing about which token came close.
      if (timingSafeEqual(entry.digest, candidate)) tenantId = entry.tenantId;
    }
    return tenantId;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function generateApiToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The API's tokens, a setting of every service that serves an API (their functions check tokens at cold start):
 * REFINERY_API_TOKENS, "tenant:token,...", parsed into a registry; a malformed value is a configuration error.
 */
export const apiTokensSetting = setting(
  z.string().transform((value, context) => {
    try {
      return TokenRegistry.parse(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^REFINERY_API_TOKENS:? ?/, '') });
      return z.NEVER;
    }
  }),
  { env: 'REFINERY_API_TOKENS', description: 'the API tokens and the tenant of each, "tenant:token,tenant2:token2"', secret: true },
);

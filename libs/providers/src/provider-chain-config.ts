import type { ContactProvider } from '@refinery/matching';
import type { Metrics, Table } from '@refinery/ports';
import { z } from 'zod';
import { DEFAULT_PROVIDER_CALL_SETTINGS, type ProviderCallSettings } from './call-settings';
import type { CircuitObserver } from './circuit-breaker';
import { HttpTemplateProvider } from './http-template-provider';
import { PeopleDataLabsProvider } from './people-data-labs-provider';

// The provider chain as operators write it (a JSON file locally, a JSON setting on AWS). Secrets never sit in it:
// an API key is named by the environment variable that holds it, and header values may refer to variables as
// ${NAME}.
const settingsSchema = z
  .object(
    Object.fromEntries(Object.keys(DEFAULT_PROVIDER_CALL_SETTINGS).map((key) => [key, z.number().optional()])) as Record<
      keyof ProviderCallSettings,
      z.ZodOptional<z.ZodNumber>
    >,
  )
  .strict();

const providerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('directory') }).strict(),
  z
    .object({
      type: z.literal('people-data-labs'),
      apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/u, 'an environment variable name like PDL_API_KEY'),
      baseUrl: z.string().optional(),
      minLikelihood: z.number().int().min(1).max(10).optional(),
      settings: settingsSchema.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('http'),
      name: z.string().min(1),
      urlTemplate: z.union([z.string(), z.array(z.string()).min(1)]),
      headers: z.record(z.string(), z.string()).optional(),
      candidatesPath: z.string().optional(),
      idField: z.string().min(1),
      fieldMap: z.record(z.string(), z.string()).optional(),
      confidenceField: z.string().optional(),
      confidenceScale: z.union([z.literal(1), z.literal(100)]).optional(),
      maxCandidates: z.number().int().min(1).optional(),
      settings: settingsSchema.optional(),
    })
    .strict(),
]);

export const providerChainSchema = z.object({ providers: z.array(providerSchema).min(1, 'name at least one provider') }).strict();

export type ProviderChainConfig = z.infer<typeof providerChainSchema>;

/** The directory alone: what runs when no chain is configured. */
export const DEFAULT_PROVIDER_CHAIN: ProviderChainConfig = { providers: [{ type: 'directory' }] };

export interface ProviderChainContext {
  /** The in-memory directory provider, for `{ "type": "directory" }`. */
  readonly directory: () => ContactProvider;
  readonly env: Readonly<Record<string, string | undefined>>;
  // Where the HTTP providers' rates are shared by every process that builds the chain with it (the matcher's
  // providerLimits table); without it each process keeps its own rate.
  readonly rateTable?: Table;
  // Where the HTTP providers' calls, latencies and rate-limit waits are counted (the matcher's metrics).
  readonly metrics?: Metrics;
  // Hears of every HTTP provider's circuit transitions (the matcher's CircuitRecorder, read by `refinery status`).
  readonly circuitObserver?: CircuitObserver;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top)'}: ${issue.message}`).join('; ');
}

function fromEnv(env: ProviderChainContext['env'], name: string, where: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`provider chain: ${where} names the environment variable ${name}, which is not set`);
  return value;
}

function withEnv(value: string, env: ProviderChainContext['env'], where: string): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/gu, (_, name: string) => fromEnv(env, name, where));
}

/** Parses and checks a chain config (from JSON text or a parsed value), failing with every problem and its path. */
export function parseProviderChain(input: unknown, origin: string): ProviderChainConfig {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new Error(`provider chain ${origin}: not JSON (${(error as Error).message})`);
    }
  }
  const parsed = providerChainSchema.safeParse(value);
  if (!parsed.success) throw new Error(`provider chain ${origin}: ${describeIssues(parsed.error)}`);
  const names = parsed.data.providers.map((provider) => (provider.type === 'http' ? provider.name : provider.type));
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new Error(`provider chain ${origin}: provider "${repeated}" appears twice; each is asked once`);
  return parsed.data;
}

/** The providers of a chain, in order. Secrets are read from the environment now, so a missing one fails at start-up. */
export function buildProviderChain(config: ProviderChainConfig, context: ProviderChainContext): ContactProvider[] {
  return config.providers.map((provider, index) => {
    const where = `providers.${index}`;
    switch (provider.type) {
      case 'directory':
        return context.directory();
      case 'people-data-labs':
        return new PeopleDataLabsProvider({
          apiKey: fromEnv(context.env, provider.apiKeyEnv, `${where}.apiKeyEnv`),
          ...(provider.baseUrl === undefined ? {} : { baseUrl: provider.baseUrl }),
          ...(provider.minLikelihood === undefined ? {} : { minLikelihood: provider.minLikelihood }),
          ...(context.rateTable === undefined ? {} : { rateTable: context.rateTable }),
          ...(context.metrics === undefined ? {} : { metrics: context.metrics }),
          ...(context.circuitObserver === undefined ? {} : { circuitObserver: context.circuitObserver }),
          ...(provider.settings === undefined ? {} : { settings: provider.settings as Partial<ProviderCallSettings> }),
        });
      case 'http': {
        const { type: _type, headers, ...rest } = provider;
        return new HttpTemplateProvider({
          ...(rest as Omit<typeof rest, 'settings'>),
          ...(headers === undefined
            ? {}
            : {
                headers: Object.fromEntries(
                  Object.entries(headers).map(([name, value]) => [name, withEnv(value, context.env, `${where}.headers.${name}`)]),
                ),
              }),
          ...(provider.settings === undefined ? {} : { settings: provider.settings as Partial<ProviderCallSettings> }),
          ...(context.rateTable === undefined ? {} : { rateTable: context.rateTable }),
          ...(context.metrics === undefined ? {} : { metrics: context.metrics }),
          ...(context.circuitObserver === undefined ? {} : { circuitObserver: context.circuitObserver }),
        } as ConstructorParameters<typeof HttpTemplateProvider>[0]);
      }
      default:
        // parseProviderChain admits no other type; a configuration built by hand might.
        throw new Error(`provider chain: ${where} has an unknown type ${JSON.stringify((provider as { type: unknown }).type)}`);
    }
  });
}

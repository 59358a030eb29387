import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoTable } from '@refinery/aws-adapters';
import { type Emulator, type EmulatorOptions, type ShortTimeouts, startEmulator } from '@refinery/aws-emulator';
import { seedNicknames } from '@refinery/matcher';
import { loadBundledNicknames } from '@refinery/nicknames';
import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { type Logger, secretParameterName } from '@refinery/runtime';

/** The stage `npm run package` builds (scripts/package-services.sh): account and region are moto's. */
export const PACKAGED_STAGE = 'ci';

/**
 * The stacks in the order serverless-compose.yml deploys them (each after the stacks whose outputs it takes:
 * test/infrastructure checks this order against the compose file).
 */
export const DEPLOY_ORDER = ['platform', 'ingest', 'mailchimp-sync', 'chunker', 'matcher', 'labeler', 'merger', 'notifier'] as const;

/**
 * A stage for tests: function timeouts divided by 60 (10 s at least), visibility timeouts with them, schedules 60 times
 * as often. At least 10 s, not 5: a function's first invocation builds its service (secrets from Parameter Store, the
 * clients, the tracer) within its timeout, and with this machine's two cores saturated first invocations took up to
 * 3.7 s (ingest's uploads, the matcher, the merger): a full test run's load left 5 s too little margin (a job's upload
 * was likely never taken in while aws-failures.test.ts waited for it).
 */
export const SHORT_TIMEOUTS: ShortTimeouts = { factor: 60, minimumSeconds: 10 };
/**
 * Ingest's stuck-job period on that stage: 5 minutes, not 2 hours. Not 2 hours divided by 60: the retries' backoff is not
 * scaled (a provider's 2-minute outage must still be waited out), so a healthy job may stay still for about 3 minutes.
 */
export const SHORT_STUCK_JOB_MINUTES = 5;

export interface EmulateOptions {
  readonly repoRoot: string;
  readonly port?: number;
  readonly awsPort?: number;
  readonly dataDir?: string;
  /** The directory provider's CSV, put where the matcher's settings say it is. */
  readonly directory: string;
  /** The provider chain (JSON) the matcher runs with, instead of the deployed one. */
  readonly providers?: string;
  readonly shortTimeouts?: boolean;
  /** The stage's API tokens ("tenant:token,...", its /refinery/ci/api-tokens parameter); default: one fresh token. */
  readonly apiTokens?: string;
  /** Environment variables of the functions whose name starts with a prefix (`refinery-matcher-ci-`), on top. */
  readonly environment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly logger?: Logger;
  /** Told what the emulator is doing (packaging, deploying). */
  readonly progress?: (line: string) => void;
  /** The emulator's observation hooks (the scale benchmark meters every AWS request and invocation with them). */
  readonly observe?: Pick<EmulatorOptions, 'interpose' | 'onInvocation'>;
}

export interface RefineryEmulator extends Emulator {
  /** A token of the deployed API (its REFINERY_API_TOKENS), and its tenant. */
  readonly token: string;
  readonly tenant: string;
}

/**
 * `refinery emulate`: every packaged stack of Contact Refinery deployed into moto and run with Lambda's semantics
 * (libs/aws-emulator), seeded as docs/deploy.md tells an operator to seed a stage: the directory's CSV uploaded where
 * the matcher reads it, the nickname table filled.
 */
export async function emulate(options: EmulateOptions): Promise<RefineryEmulator> {
  const servicesDir = join(options.repoRoot, 'services');
  ensurePackaged(options.repoRoot, options.progress);
  const matcherEnvironment: Record<string, string> = options.providers ? { PROVIDERS: readFileSync(options.providers, 'utf8') } : {};
  // The stage's secrets, in Parameter Store as an operator stores them (docs/deploy.md): the API tokens given, else a
  // fresh token of tenant `emulator`; a fresh key-encryption key; People Data Labs' key when this shell has one.
  const apiTokens = options.apiTokens ?? `emulator:${randomBytes(16).toString('hex')}`;
  const secrets: Record<string, string> = {
    apiTokens,
    keyEncryptionKey: randomBytes(32).toString('base64'),
    ...(process.env.PDL_API_KEY ? { pdlApiKey: process.env.PDL_API_KEY } : {}),
  };
  const emulator = await startEmulator({
    stacks: DEPLOY_ORDER.map((service) => ({
      stackName: `refinery-${service}-${PACKAGED_STAGE}`,
      directory: join(servicesDir, service, '.serverless'),
    })),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.awsPort !== undefined ? { awsPort: options.awsPort } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.shortTimeouts ? { shortTimeouts: SHORT_TIMEOUTS } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.observe,
    environment: (functionName) => ({
      // The emulator runs on this machine: local testing's allowance (receivers and fakes on 127.0.0.1) reaches every
      // function when the shell that starts it has it. A deployed stage never gets it.
      ...(process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] ? { [ALLOW_PRIVATE_DESTINATIONS_ENV]: process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] } : {}),
      ...(options.shortTimeouts && functionName.startsWith(`refinery-ingest-${PACKAGED_STAGE}-`)
        ? { STUCK_JOB_MINUTES: String(SHORT_STUCK_JOB_MINUTES) }
        : {}),
      ...(functionName.startsWith(`refinery-matcher-${PACKAGED_STAGE}-`) ? matcherEnvironment : {}),
      ...Object.assign(
        {},
        ...Object.entries(options.environment ?? {}).flatMap(([prefix, variables]) => (functionName.startsWith(prefix) ? [variables] : [])),
      ),
    }),
    beforeStart: async ({ aws }) => {
      options.progress?.('seeding the secrets, the directory and the nickname table');
      const ssm = new SSMClient(aws.clientConfig);
      for (const [key, value] of Object.entries(secrets)) {
        await ssm.send(
          new PutParameterCommand({ Name: secretParameterName(PACKAGED_STAGE, key), Type: 'SecureString', Value: value, Overwrite: true }),
        );
      }
      const lambda = new LambdaClient(aws.clientConfig);
      const matcher = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `refinery-matcher-${PACKAGED_STAGE}-chunks` })))
        .Environment?.Variables as Record<string, string>;
      const s3 = new S3Client({ ...aws.clientConfig, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: matcher.DIRECTORY_BUCKET }));
      await s3.send(new PutObjectCommand({ Bucket: matcher.DIRECTORY_BUCKET, Key: matcher.DIRECTORY_KEY, Body: readFileSync(options.directory) }));
      const nicknames = new DynamoTable({ client: new DynamoDBClient(aws.clientConfig), tableName: matcher.NICKNAMES_TABLE as string });
      await seedNicknames(nicknames, loadBundledNicknames(), 'bundled');
    },
  });
  const [tenant, token] = apiTokens.split(',')[0]?.split(':') ?? [];
  return { ...emulator, tenant: tenant ?? '', token: token ?? '' };
}

/** Packages every service (offline) when a template is missing or older than the sources it is built from. */
function ensurePackaged(repoRoot: string, progress: EmulateOptions['progress']): void {
  const newest = newestSource(repoRoot);
  const stale = DEPLOY_ORDER.filter((service) => {
    const template = join(repoRoot, 'services', service, '.serverless', 'cloudformation-template-update-stack.json');
    return !existsSync(template) || statSync(template).mtimeMs < newest;
  });
  if (stale.length === 0) return;
  progress?.(`packaging the services (${stale.join(', ')} missing or older than the sources)`);
  execFileSync('bash', [join(repoRoot, 'scripts', 'package-services.sh')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The newest of what a package is built from: every service's and lib's sources, the configurations, compose. */
function newestSource(repoRoot: string): number {
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const group of ['libs', 'services']) {
    for (const workspace of readdirSync(join(repoRoot, group))) {
      for (const part of ['src', 'plugins', 'serverless.js', 'serverless.yml', 'package.json']) visit(join(repoRoot, group, workspace, part));
    }
  }
  visit(join(repoRoot, 'serverless-compose.yml'));
  return newest;
}

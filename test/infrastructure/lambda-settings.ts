// The settings each Lambda entry point (services/<name>/src/lambda.ts) checks at cold start, asked of the entry points
// themselves: building a service's handlers with a given environment either fails with "invalid configuration from
// environment: NAME: problem; ..." or gets past the settings. Clients are real SDK v3 clients that never reach the
// network: every call fails at once with CALLS_ARE_OFF (the matcher reads its directory from S3 while it builds).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createChunkerLambda } from '../../services/chunker/src/lambda';
import { createIngestLambda } from '../../services/ingest/src/lambda';
import { createLabelerLambda } from '../../services/labeler/src/lambda';
import { createMatcherLambda } from '../../services/matcher/src/lambda';
import { createMergerLambda } from '../../services/merger/src/lambda';
import { createNotifierLambda } from '../../services/notifier/src/lambda';
import { createMailchimpSyncLambda } from '../../services/mailchimp-sync/src/lambda';

type AwsClients = Parameters<typeof createIngestLambda>[1];
type Environment = Record<string, string | undefined>;

const LAMBDAS: Readonly<Record<string, (env: Environment, clients: AwsClients) => Promise<unknown>>> = {
  ingest: createIngestLambda,
  chunker: createChunkerLambda,
  matcher: createMatcherLambda,
  labeler: createLabelerLambda,
  merger: createMergerLambda,
  notifier: createNotifierLambda,
  'mailchimp-sync': createMailchimpSyncLambda,
};

const CALLS_ARE_OFF = 'AWS calls are off in this test';
const INVALID_CONFIGURATION = 'invalid configuration from environment: ';

function offline<T extends { middlewareStack: { add: (...args: never[]) => void } }>(client: T): T {
  const refuse = () => async () => {
    throw new Error(CALLS_ARE_OFF);
  };
  (client.middlewareStack.add as (middleware: unknown, options: unknown) => void)(refuse, { step: 'initialize', name: 'callsAreOff' });
  return client;
}

function offlineClients(): AwsClients {
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };
  return {
    s3: offline(new S3Client(config)),
    dynamodb: offline(new DynamoDBClient(config)),
    eventBridge: offline(new EventBridgeClient(config)),
    sqs: offline(new SQSClient(config)),
  };
}

function lambdaOf(service: string) {
  const create = LAMBDAS[service];
  if (!create) throw new Error(`no Lambda entry point known for ${service}`);
  return create;
}

/** What building the service's handlers with this environment says about it: [] when its settings are accepted. */
export async function settingProblems(service: string, env: Environment): Promise<string[]> {
  try {
    await lambdaOf(service)(env, offlineClients());
    return [];
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes(CALLS_ARE_OFF)) return []; // past the settings, at its first AWS call
    if (!message.startsWith(INVALID_CONFIGURATION)) throw error;
    return message.slice(INVALID_CONFIGURATION.length).split('; ');
  }
}

/** The names of the settings the service's src/lambda.ts requires (those with neither a default nor optional()). */
export async function requiredSettings(service: string): Promise<string[]> {
  const problems = await settingProblems(service, {});
  return problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort();
}

export const LAMBDA_SERVICES = Object.keys(LAMBDAS);

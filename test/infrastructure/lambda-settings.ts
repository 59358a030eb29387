// What a service's Lambda entry points say of an environment: they compose the service on the AWS platform at cold
// start (composeService + awsPlatform, as lambdaHandlers does), which either fails with "invalid configuration from
// environment: NAME: problem; ..." or gets past the settings. Clients are real SDK v3 clients that never reach the
// network: every call fails at once with CALLS_ARE_OFF (the matcher reads its directory from S3 while it builds).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type AwsClients, awsPlatform } from '@refinery/aws-runtime';
import { composeService } from '@refinery/runtime';
import { SERVICE_IMPLEMENTATIONS } from './services';

type Environment = Record<string, string | undefined>;

const CALLS_ARE_OFF = 'AWS calls are off in this test';
const INVALID_CONFIGURATION = 'invalid configuration from environment: ';

function offline<T extends { middlewareStack: { add: (...args: never[]) => void } }>(client: T): T {
  const refuse = () => async () => {
    throw new Error(CALLS_ARE_OFF);
  };
  (client.middlewareStack.add as (middleware: unknown, options: unknown) => void)(refuse, { step: 'initialize', name: 'callsAreOff' });
  return client;
}

export function offlineClients(): AwsClients {
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' } };
  return {
    s3: offline(new S3Client(config)),
    dynamodb: offline(new DynamoDBClient(config)),
    eventBridge: offline(new EventBridgeClient(config)),
    sqs: offline(new SQSClient(config)),
    ssm: offline(new SSMClient(config)),
  };
}

/** Composes a service as its Lambda entry points would, in this environment (offline clients). */
export function composeOnAws(service: string, env: Environment) {
  const implementation = SERVICE_IMPLEMENTATIONS[service];
  if (!implementation) throw new Error(`no Lambda entry point known for ${service}`);
  return composeService(implementation, awsPlatform(env, offlineClients()));
}

/** What composing the service in this environment says about it: [] when its settings are accepted. */
export async function settingProblems(service: string, env: Environment): Promise<string[]> {
  try {
    await composeOnAws(service, env);
    return [];
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes(CALLS_ARE_OFF)) return []; // past the settings, at its first AWS call
    if (!message.startsWith(INVALID_CONFIGURATION)) throw error;
    return message.slice(INVALID_CONFIGURATION.length).split('; ');
  }
}

/** The names of the settings the service requires (those with neither a default nor optional()). */
export async function requiredSettings(service: string): Promise<string[]> {
  const problems = await settingProblems(service, {});
  return problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort();
}

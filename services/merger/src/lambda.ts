// The merger service's Lambda functions (serverless.yml: handlers src/lambda.progress and src/lambda.failures): the
// same handlers the local mode runs, on the AWS adapters, with settings from the environment checked at cold start.
import {
  awsClients,
  awsCommonDeps,
  awsObjectStore,
  awsTable,
  commonSettingsSchema,
  onColdStart,
  resourceName,
  type AwsClients,
} from '@refinery/aws-runtime';
import { loadConfig, type SqsBatchHandler } from '@refinery/runtime';
import { createMergerService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  RESULTS_BUCKET: resourceName('the results bucket'),
  LEDGER_TABLE: resourceName('the ledger table'),
});

export async function createMergerLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const service = createMergerService({
    ...awsCommonDeps('merger', settings, clients),
    config: { resultsBucket: settings.RESULTS_BUCKET },
    objects: awsObjectStore(clients),
    ledger: awsTable(clients, settings.LEDGER_TABLE),
  });
  return { service, progress: service.subscriptions.progress!.handler, failures: service.subscriptions.failures!.handler };
}

const lambda = onColdStart(() => createMergerLambda());

export const progress: SqsBatchHandler = async (event, context) => (await lambda()).progress(event, context);
export const failures: SqsBatchHandler = async (event, context) => (await lambda()).failures(event, context);

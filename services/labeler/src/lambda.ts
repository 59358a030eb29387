// The labeler service's Lambda function (serverless.yml: handler src/lambda.chunks): the same handler the local mode
// runs, on the AWS adapters, with settings from the environment checked at cold start.
import { awsClients, awsCommonDeps, awsObjectStore, commonSettingsSchema, onColdStart, resourceName, type AwsClients } from '@refinery/aws-runtime';
import { loadConfig, type SqsBatchHandler } from '@refinery/runtime';
import { createLabelerService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  CHUNKS_BUCKET: resourceName('the labeled-chunks bucket'),
});

export async function createLabelerLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const service = createLabelerService({
    ...awsCommonDeps('labeler', settings, clients),
    config: { chunksBucket: settings.CHUNKS_BUCKET },
    objects: awsObjectStore(clients),
  });
  return { service, chunks: service.subscriptions.chunks!.handler };
}

const lambda = onColdStart(() => createLabelerLambda());

export const chunks: SqsBatchHandler = async (event, context) => (await lambda()).chunks(event, context);

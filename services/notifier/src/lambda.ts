// The notifier's Lambda functions (the generated configuration's handlers src/lambda.<name>): the same handlers the
// local mode runs, composed on the AWS adapters at cold start.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { notifierService } from './service';

export const { jobs, progress, erasure, api, socket } = lambdaHandlers(notifierService);

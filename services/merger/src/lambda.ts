// The merger's Lambda functions (the generated configuration's handlers src/lambda.<name>; progress and expressProgress,
// one per lane, run the same handler): the same handlers the local mode runs, composed on the AWS adapters at cold start.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { mergerService } from './service';

export const { progress, expressProgress, reviews, failures, erasure } = lambdaHandlers(mergerService);

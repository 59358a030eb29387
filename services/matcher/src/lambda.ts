// The matcher's Lambda functions (the generated configuration's handlers src/lambda.chunks and src/lambda.expressChunks,
// one per lane): the same handler the local mode runs, composed on the AWS adapters at cold start — where it builds the
// provider chain (PROVIDERS) and, when the chain uses the directory, loads the nickname table from its store and the
// directory's people from S3, once per container.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { matcherService } from './service';

export const { chunks, expressChunks, erasure } = lambdaHandlers(matcherService);

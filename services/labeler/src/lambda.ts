// The labeler's Lambda functions (the generated configuration's handlers src/lambda.<name>; chunks and expressChunks, one
// per lane, run the same handler): the same handlers the local mode runs, composed on the AWS adapters at cold start.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { labelerService } from './service';

export const { chunks, expressChunks, erasure } = lambdaHandlers(labelerService);

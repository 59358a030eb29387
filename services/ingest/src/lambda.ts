// ingest's Lambda functions (the generated configuration's handlers src/lambda.<name>): the same handlers the local
// mode runs, composed on the AWS adapters at cold start.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { ingestService } from './service';

export const { uploads, history, erasure, erasures, sweep, retention, api } = lambdaHandlers(ingestService);

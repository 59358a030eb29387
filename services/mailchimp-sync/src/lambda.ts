// mailchimp-sync's Lambda functions (the generated configuration's handlers src/lambda.<name>): the same handlers the
// local mode runs, composed on the AWS adapters at cold start. Every container of every function shares Mailchimp's
// per-key connection limit through the limits table's leases.
import { lambdaHandlers } from '@refinery/aws-runtime';
import { mailchimpSyncService } from './service';

export const { imports, pages, writeback, erasure, api } = lambdaHandlers(mailchimpSyncService);

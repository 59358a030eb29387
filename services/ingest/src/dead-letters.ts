// The ingest service's dead-letter reporter (the generated configuration's handler src/dead-letters.report): reports each
// message a subscription gives up on as its job's failure, then parks it in the dead-letter queue. Built from the
// declaration alone, so it reports even when the service's own code cannot start.
import { deadLetterReporter } from '@refinery/aws-runtime';
import { ingest } from './definition';

export const report = deadLetterReporter(ingest);

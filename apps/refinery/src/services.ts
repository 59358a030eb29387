import { chunker } from '@refinery/chunker';
import { ingest } from '@refinery/ingest';
import { labeler } from '@refinery/labeler';
import { mailchimpSync } from '@refinery/mailchimp-sync';
import { matcher } from '@refinery/matcher';
import { merger } from '@refinery/merger';
import { notifier } from '@refinery/notifier';
import type { ServiceDeclaration } from '@refinery/runtime';

/** Every service's declaration, in pipeline order: what the operator tools know of queues. */
export const SERVICE_DECLARATIONS: readonly ServiceDeclaration[] = [ingest, chunker, matcher, labeler, merger, notifier, mailchimpSync];

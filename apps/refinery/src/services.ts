import { chunkerManifest } from '@refinery/chunker';
import { ingestManifest } from '@refinery/ingest';
import { mailchimpSyncManifest } from '@refinery/mailchimp-sync';
import { labelerManifest } from '@refinery/labeler';
import { matcherManifest } from '@refinery/matcher';
import { mergerManifest } from '@refinery/merger';
import { notifierManifest } from '@refinery/notifier';
import type { ServiceManifest } from '@refinery/runtime';

/** Every service's manifest, in pipeline order: what the operator tools know of queues. */
export const SERVICE_MANIFESTS: readonly ServiceManifest[] = [
  ingestManifest,
  chunkerManifest,
  matcherManifest,
  labelerManifest,
  mergerManifest,
  notifierManifest,
  mailchimpSyncManifest,
];

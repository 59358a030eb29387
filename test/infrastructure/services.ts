import { chunkerService } from '@refinery/chunker';
import { ingestService } from '@refinery/ingest';
import { labelerService } from '@refinery/labeler';
import { mailchimpSyncService } from '@refinery/mailchimp-sync';
import { matcherService } from '@refinery/matcher';
import { mergerService } from '@refinery/merger';
import { notifierService } from '@refinery/notifier';
import {
  bucketEnvName,
  type ServiceDeclaration,
  type ServiceImplementation,
  type SettingDeclaration,
  settingEnvName,
  tableEnvName,
} from '@refinery/runtime';

/** Every service, by the name of its folder under services/. */
export const SERVICE_IMPLEMENTATIONS: Readonly<Record<string, ServiceImplementation<ServiceDeclaration, object>>> = {
  ingest: ingestService,
  chunker: chunkerService,
  matcher: matcherService,
  labeler: labelerService,
  merger: mergerService,
  notifier: notifierService,
  'mailchimp-sync': mailchimpSyncService,
} as unknown as Record<string, ServiceImplementation<ServiceDeclaration, object>>;

export const SERVICE_NAMES = Object.keys(SERVICE_IMPLEMENTATIONS);

export function declarationOf(name: string): ServiceDeclaration {
  const implementation = SERVICE_IMPLEMENTATIONS[name];
  if (!implementation) throw new Error(`no service ${name}`);
  return implementation.declaration;
}

/** The environment variables a service's functions read: the common ones, its resources' names, its settings. */
export function environmentNamesOf(declaration: ServiceDeclaration): string[] {
  return [
    'EVENT_BUS_NAME',
    'LOG_LEVEL',
    ...Object.keys(declaration.buckets).map(bucketEnvName),
    ...Object.keys(declaration.tables).map(tableEnvName),
    ...(declaration.websocket ? ['WEBSOCKET_ENDPOINT'] : []),
    ...Object.entries(declaration.settings as Record<string, SettingDeclaration>).map(([key, setting]) => settingEnvName(key, setting)),
  ];
}

import { implementService, SecretSealer, type ServiceParts } from '@refinery/runtime';
import { type NotifierDeps, SLOT_WAIT_MS } from './config';
import { notifier } from './definition';
import { createApiHandler } from './handlers/api';
import { createEraseHandler } from './handlers/erase';
import { createNotifyHandler } from './handlers/notify';
import { createProgressHandler } from './handlers/progress';
import { createSocketHandler } from './handlers/socket';

/** The notifier's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function notifierHandlers(deps: NotifierDeps): ServiceParts<typeof notifier> {
  return {
    subscriptions: { jobs: createNotifyHandler(deps), progress: createProgressHandler(deps), erasure: createEraseHandler(deps) },
    http: createApiHandler(deps),
    websocket: createSocketHandler(deps),
  };
}

/** `allowHttp`: plain-http webhook URLs to any host (the local mode, whose receivers are usually local). */
export const notifierService = implementService(notifier, (context, given: { readonly allowHttp?: boolean }) =>
  notifierHandlers({
    ...context,
    config: {
      connectTimeoutMs: context.settings.webhookConnectTimeoutMs,
      deliveryTimeoutMs: context.settings.webhookTimeoutMs,
      concurrencyPerSubscription: context.settings.webhookConcurrencyPerSubscription,
      slotWaitMs: SLOT_WAIT_MS,
      circuitFailures: context.settings.webhookCircuitFailures,
      circuitCooldownMs: context.settings.webhookCircuitCooldownMs,
      maxSubscriptions: context.settings.maxSubscriptions,
      retentionDays: context.settings.retentionDays,
      allowHttp: given.allowHttp ?? false,
    },
    subscriptions: context.tables.subscriptions,
    tokens: context.settings.apiTokens,
    secrets: new SecretSealer(context.settings.keyEncryptionKey),
  }),
);

export * from './config';
export { notifier } from './definition';

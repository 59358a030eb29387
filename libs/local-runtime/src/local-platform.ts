import { type Clock, systemClock, ulidIds } from '@refinery/ports';
import {
  type Logger,
  type Platform,
  resolveSettings,
  type ServiceContext,
  type ServiceDeclaration,
  type SettingsOf,
  silentLogger,
} from '@refinery/runtime';
import type { LocalRuntime } from './local-runtime';

/** A service's own bucket or table on the local mode: `<service>-<name>` (`ingest-uploads`, `matcher-nicknames`). */
export function localResourceName(service: string, resource: string): string {
  return `${service}-${resource.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

/**
 * The local adapters of one data dir: the runtime's bus, object store, tables and WebSocket connections, resources
 * named `<service>-<name>`, and settings from what the caller gives or else their declared defaults (the local mode
 * reads no environment variables for them: what runs here is what the command line says).
 */
export function localPlatform(runtime: LocalRuntime, options: { readonly logger?: Logger; readonly clock?: Clock } = {}): Platform {
  const logger = options.logger ?? silentLogger;
  return {
    context<D extends ServiceDeclaration>(declaration: D, given: Partial<SettingsOf<D>>): ServiceContext<D> {
      const { settings, problems } = resolveSettings(declaration, {}, given);
      if (problems.length > 0) throw new Error(`invalid settings of ${declaration.name}: ${problems.join('; ')}`);
      const service = declaration.name;
      return {
        publisher: runtime.bus,
        clock: options.clock ?? systemClock,
        ids: ulidIds,
        logger: logger.child({ service }),
        metrics: runtime.metrics.forService(service),
        objects: runtime.objects,
        buckets: Object.fromEntries(
          Object.keys(declaration.buckets).map((bucket) => [bucket, localResourceName(service, bucket)]),
        ) as ServiceContext<D>['buckets'],
        tables: Object.fromEntries(
          Object.keys(declaration.tables).map((table) => [table, runtime.table(localResourceName(service, table))]),
        ) as unknown as ServiceContext<D>['tables'],
        settings,
        sockets: runtime.sockets,
      };
    },
    bucketName: localResourceName,
  };
}

import type {
  HttpApiHandler,
  HttpInput,
  RunnableService,
  ServiceDeclaration,
  ServiceImplementation,
  SqsBatchHandler,
  WebSocketHandler,
  WebsocketInput,
} from '@refinery/runtime';
import { composeService } from '@refinery/runtime';
import { awsClients } from './clients';
import { onColdStart } from './cold-start';
import { awsPlatform } from './common';

/** A service's Lambda functions: one per subscription (named after it), `api` and `socket` when it has those APIs. */
export type LambdaHandlers<D extends ServiceDeclaration> = { readonly [K in keyof D['subscriptions']]: SqsBatchHandler } & (D extends {
  readonly http: HttpInput;
}
  ? { readonly api: HttpApiHandler }
  : unknown) &
  (D extends { readonly websocket: WebsocketInput } ? { readonly socket: WebSocketHandler } : unknown);

/**
 * The Lambda entry points of a service (its `src/lambda.ts` exports them under the names the generated configuration
 * gives as handlers). The service is composed on the AWS adapters once per container, at cold start, from the
 * function's environment.
 */
export function lambdaHandlers<D extends ServiceDeclaration, Given extends object>(
  service: ServiceImplementation<D, Given>,
  build: () => Promise<RunnableService<D>> = () => composeService(service, awsPlatform(process.env, awsClients())),
): LambdaHandlers<D> {
  const runnable = onColdStart(build);
  const handlers: Record<string, unknown> = {};
  for (const name of Object.keys(service.declaration.subscriptions)) {
    handlers[name] = (async (event, context) => {
      const running = await runnable();
      return (running.subscriptions as Record<string, { handler: SqsBatchHandler }>)[name]?.handler(event, context);
    }) as SqsBatchHandler;
  }
  if (service.declaration.http) {
    handlers.api = (async (event, context) => ((await runnable()).http as HttpApiHandler)(event, context)) as HttpApiHandler;
  }
  if (service.declaration.websocket) {
    handlers.socket = (async (event, context) => ((await runnable()).websocket as WebSocketHandler)(event, context)) as WebSocketHandler;
  }
  return handlers as LambdaHandlers<D>;
}

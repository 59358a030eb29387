// What the emulator reads of a packaged CloudFormation template (what `serverless package` writes): its functions,
// their event source mappings and queues, its HTTP and WebSocket APIs' routes, the buckets that send S3's events to
// EventBridge. Logical ids and intrinsic functions as the framework writes them.

export type Json = Record<string, unknown>;

export interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
}

export interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Json;
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The logical id in `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attribute] }`. */
export function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every logical id a value references, however deep (Fn::Join, Fn::Sub's ${Id.Attribute} included). */
export function referencedIds(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g)].map((match) => match[1] as string);
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (!isRecord(value)) return [];
  const direct = referencedId(value);
  return [...(direct ? [direct] : []), ...Object.values(value).flatMap(referencedIds)];
}

export function resourcesOfType(template: Template, type: string): [string, Json][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

export interface TemplateFunction {
  readonly logicalId: string;
  readonly name: string;
  /** `src/lambda.chunks`: the file (without .js) and its export. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The zip in the deployment bucket. */
  readonly artifactKey: string;
}

export function functionsOf(template: Template): TemplateFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, properties]) => {
    const code = isRecord(properties.Code) ? properties.Code : {};
    return {
      logicalId,
      name: String(properties.FunctionName),
      handler: String(properties.Handler),
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? 128),
      artifactKey: String(code.S3Key),
    };
  });
}

export interface TemplateEventSourceMapping {
  readonly functionLogicalId: string;
  readonly queueLogicalId: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** ScalingConfig.MaximumConcurrency, when set. */
  readonly maximumConcurrency?: number;
}

export function eventSourceMappingsOf(template: Template): TemplateEventSourceMapping[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').flatMap(([, properties]) => {
    const functionLogicalId = referencedId(properties.FunctionName);
    const queueLogicalId = referencedId(properties.EventSourceArn);
    if (!functionLogicalId || !queueLogicalId) return [];
    const scaling = isRecord(properties.ScalingConfig) ? properties.ScalingConfig : {};
    return [
      {
        functionLogicalId,
        queueLogicalId,
        batchSize: Number(properties.BatchSize ?? 10),
        maximumBatchingWindowSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures:
          Array.isArray(properties.FunctionResponseTypes) && properties.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        ...(scaling.MaximumConcurrency !== undefined ? { maximumConcurrency: Number(scaling.MaximumConcurrency) } : {}),
      },
    ];
  });
}

export interface TemplateRoute {
  readonly protocol: 'HTTP' | 'WEBSOCKET';
  readonly routeKey: string;
  readonly functionLogicalId: string;
}

/** The routes of the template's API Gateway v2 APIs, each with the function its integration invokes. */
export function routesOf(template: Template): TemplateRoute[] {
  const protocols = new Map(resourcesOfType(template, 'AWS::ApiGatewayV2::Api').map(([id, properties]) => [id, properties.ProtocolType]));
  const integrations = new Map(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').map(([id, properties]) => {
      const functionId = referencedIds(properties.IntegrationUri).find((ref) => template.Resources[ref]?.Type === 'AWS::Lambda::Function');
      return [id, functionId];
    }),
  );
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route').flatMap(([, properties]) => {
    const protocol = protocols.get(referencedId(properties.ApiId) ?? '');
    const integration = referencedIds(properties.Target).find((ref) => integrations.has(ref));
    const functionLogicalId = integration ? integrations.get(integration) : undefined;
    if ((protocol !== 'HTTP' && protocol !== 'WEBSOCKET') || !functionLogicalId) return [];
    return [{ protocol, routeKey: String(properties.RouteKey), functionLogicalId }];
  });
}

/** Buckets whose template turns on S3's events to EventBridge (moto ignores the property in CloudFormation). */
export function eventBridgeBucketsOf(template: Template): string[] {
  return resourcesOfType(template, 'AWS::S3::Bucket')
    .filter(
      ([, properties]) => isRecord(properties.NotificationConfiguration) && isRecord(properties.NotificationConfiguration.EventBridgeConfiguration),
    )
    .map(([id]) => id);
}

export interface TemplateSchedule {
  readonly functionLogicalId: string;
  /** From the rule's `rate(N minute[s]|hour[s]|day[s])`. */
  readonly everySeconds: number;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 };

/** The template's scheduled rules (rate expressions) and the functions they invoke (moto runs no schedules). */
export function schedulesOf(template: Template): TemplateSchedule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([id, properties]) => {
    if (typeof properties.ScheduleExpression !== 'string' || properties.State === 'DISABLED') return [];
    const rate = RATE.exec(properties.ScheduleExpression);
    if (!rate) throw new Error(`rule ${id}: the emulator runs rate(...) schedules only, not ${properties.ScheduleExpression}`);
    const everySeconds = Number(rate[1]) * (UNIT_SECONDS[rate[2] as string] as number);
    const targets = Array.isArray(properties.Targets) ? properties.Targets : [];
    return targets.flatMap((target) => {
      const functionLogicalId = isRecord(target) ? referencedId(target.Arn) : undefined;
      return functionLogicalId && template.Resources[functionLogicalId]?.Type === 'AWS::Lambda::Function'
        ? [{ functionLogicalId, everySeconds }]
        : [];
    });
  });
}

export interface ShortTimeouts {
  /** Queue-fed functions' timeouts are divided by this (and their queues' visibility timeouts with them). */
  readonly factor: number;
  /** No function gets less (a cold start must fit). */
  readonly minimumSeconds: number;
  /** Scheduled functions run this many times as often (the emulator runs schedules itself). Default: `factor`. */
  readonly scheduleFactor?: number;
}

/**
 * The template of a stage for tests: each queue-fed function's timeout divided by `factor` (at least `minimumSeconds`),
 * its queue's visibility timeout scaled with it so the ratio the template keeps stays (6 x or more). API functions keep
 * theirs (API Gateway's limit, not a queue's, bounds them).
 */
export function withShortTimeouts(template: Template, short: ShortTimeouts): Template {
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  for (const mapping of eventSourceMappingsOf(copy)) {
    const fn = copy.Resources[mapping.functionLogicalId]?.Properties;
    const queue = copy.Resources[mapping.queueLogicalId]?.Properties;
    if (!fn || !queue) continue;
    const timeout = Number(fn.Timeout ?? 3);
    const visibility = Number(queue.VisibilityTimeout ?? 30);
    const shortened = Math.min(timeout, Math.max(short.minimumSeconds, Math.ceil(timeout / short.factor)));
    fn.Timeout = shortened;
    queue.VisibilityTimeout = Math.ceil((shortened * visibility) / timeout);
  }
  return copy;
}

// What tells a stage's operators that a service is unwell: CloudWatch alarms on its functions, queues, rules and HTTP
// API, every one notifying the platform's alarm topic (and again when it is OK), and the service's dashboard of the
// same figures. Thresholds are Serverless params with the defaults below (docs/operations.md, "Alarms", lists them):
// serverless-compose.yml or `--param name=value` changes one for a stage.

type Json = Record<string, unknown>;

/** A function whose p99 duration stays above this share of its timeout is about to time out. */
export const DURATION_ALARM_SHARE_OF_TIMEOUT = 0.8;
/** The oldest message of a queue may wait this long by default before its alarm goes off, at least. */
export const MIN_QUEUE_AGE_ALARM_SECONDS = 600;
/** Alarm thresholds every service takes as Serverless params, with their defaults (docs/operations.md, "Alarms"). */
export const ALARM_PARAM_DEFAULTS = {
  /** Errors (crashes, timeouts) of one function in 5 minutes above this: alarm. Every error means lost work retried. */
  functionErrorsThreshold: '0',
  /** Throttled invocations of one function in 5 minutes above this: the account's concurrency is exhausted. */
  functionThrottlesThreshold: '0',
  /** Share of the HTTP API's requests answered 5xx over 5 minutes, in percent, above which it alarms. */
  apiServerErrorRatePercent: '5',
  /**
   * Errors API Gateway met calling the WebSocket API's functions ($connect, $disconnect, $default: a crash, a timeout,
   * a throttle) in 5 minutes above this: alarm. Clients then cannot connect or get no live updates.
   */
  socketExecutionErrorsThreshold: '0',
  /** Events a rule failed to deliver to its queue for good in 5 minutes above this: alarm. */
  ruleFailedInvocationsThreshold: '0',
} as const;

/**
 * The param holding a subscription queue's age threshold (`chunksQueueMaxAgeSeconds`): each queue's purpose differs
 * (an upload notice should be picked up in seconds, a chunk of a large job may wait for its turn).
 */
export const queueAgeParam = (subscription: string): string => `${subscription}QueueMaxAgeSeconds`;

/**
 * The default age threshold of a subscription's queue: two of its visibility timeouts (each six times its function's
 * timeout), so that one retry after a failed attempt does not wake anyone but a queue its function no longer keeps
 * up with does; never under MIN_QUEUE_AGE_ALARM_SECONDS (a burst of work drains within minutes).
 */
export const defaultQueueMaxAgeSeconds = (visibilityTimeoutSeconds: number): number =>
  Math.max(MIN_QUEUE_AGE_ALARM_SECONDS, 2 * visibilityTimeoutSeconds);

/** A function of the generated configuration, as the alarms and the dashboard need it. */
export interface ObservedFunction {
  /** Its key in the configuration's `functions` (`uploads`, `deadLetters`, `api`). */
  readonly name: string;
  readonly timeoutSeconds: number;
}

/** A subscription's queue and the rule that feeds it, as the alarms and the dashboard need them. */
export interface ObservedSubscription {
  readonly name: string;
  /** Whether its rule is on the account's default bus (S3's Object Created events) rather than the project's. */
  readonly onDefaultBus: boolean;
  /** The rule's name, as the template gives it (a string with `${sls:stage}`). */
  readonly ruleName: string;
}

export interface Observed {
  readonly service: string;
  readonly functions: readonly ObservedFunction[];
  readonly subscriptions: readonly ObservedSubscription[];
  readonly httpApi: boolean;
  /** Whether it serves a WebSocket API (Serverless' `WebsocketsApi`). */
  readonly websocketApi: boolean;
  /** `refinery-<service>-${sls:stage}-<name>`: the names of alarms and of the dashboard. */
  readonly resourceName: (name: string) => string;
}

/** The stage as the generated configuration names it (resolved by the framework). */
const STAGE = '${sls:stage}';
const ref = (logicalId: string) => ({ Ref: logicalId });
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const param = (name: string) => `\${param:${name}}`;
/** The logical id Serverless gives a function (`deadLetters` -> `DeadLettersLambdaFunction`). */
export const functionLogicalId = (name: string): string => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
const logicalName = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
/** Every alarm notifies the platform's topic when it goes off and when it is OK again. */
const ACTIONS = { AlarmActions: [param('alarmTopicArn')], OKActions: [param('alarmTopicArn')] };

/** The alarms of a service's functions, queues, rules, HTTP API and WebSocket API, by logical id. */
export function observabilityAlarms(observed: Observed): Json {
  const { service } = observed;
  const alarms: Json = {};
  for (const fn of observed.functions) {
    const id = logicalName(fn.name);
    const dimensions = [{ Name: 'FunctionName', Value: ref(functionLogicalId(fn.name)) }];
    alarms[`${id}ErrorsAlarm`] = alarm({
      AlarmName: `${observed.resourceName(fn.name)}-errors`,
      AlarmDescription: `The ${service} ${fn.name} function failed (an exception it did not handle, or a timeout). Its logs say why (docs/operations.md, "Alarms").`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: param('functionErrorsThreshold'),
      ComparisonOperator: 'GreaterThanThreshold',
      // No invocations, no errors.
      TreatMissingData: 'notBreaching',
    });
    alarms[`${id}ThrottlesAlarm`] = alarm({
      AlarmName: `${observed.resourceName(fn.name)}-throttles`,
      AlarmDescription: `Invocations of the ${service} ${fn.name} function were throttled: the account's Lambda concurrency is used up (docs/operations.md, "Alarms").`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: param('functionThrottlesThreshold'),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    alarms[`${id}DurationAlarm`] = alarm({
      AlarmName: `${observed.resourceName(fn.name)}-near-timeout`,
      AlarmDescription:
        `The ${service} ${fn.name} function's p99 duration stayed above ${DURATION_ALARM_SHARE_OF_TIMEOUT * 100} % of its ` +
        `${fn.timeoutSeconds} s timeout for 10 minutes: its work is about to time out (docs/operations.md, "Alarms").`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: dimensions,
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: durationThresholdMs(fn.timeoutSeconds),
      ComparisonOperator: 'GreaterThanThreshold',
      // Not invoked: nothing is slow.
      TreatMissingData: 'notBreaching',
    });
  }
  for (const subscription of observed.subscriptions) {
    const id = logicalName(subscription.name);
    alarms[`${id}QueueAgeAlarm`] = alarm({
      AlarmName: `${observed.resourceName(subscription.name)}-queue-old-messages`,
      AlarmDescription:
        `The oldest message of the ${service} ${subscription.name} queue waited longer than its threshold ` +
        `(${queueAgeParam(subscription.name)}) for 3 minutes: its function is not keeping up, or keeps failing (docs/operations.md, "Alarms").`,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(`${id}Queue`, 'QueueName') }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: param(queueAgeParam(subscription.name)),
      ComparisonOperator: 'GreaterThanThreshold',
      // SQS reports a queue while it holds messages; no figures means an idle, empty queue.
      TreatMissingData: 'notBreaching',
    });
    alarms[`${id}RuleFailedInvocationsAlarm`] = alarm({
      AlarmName: `${observed.resourceName(subscription.name)}-rule-failed-invocations`,
      AlarmDescription:
        `EventBridge failed to deliver events to the ${service} ${subscription.name} queue for good (after retrying for up to a day; ` +
        `they went to its dead-letter inbox): the queue's policy or the queue itself is broken (docs/operations.md, "Alarms").`,
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      // A rule on a custom bus is measured by bus and rule; one on the default bus by its rule only.
      Dimensions: [
        ...(subscription.onDefaultBus ? [] : [{ Name: 'EventBusName', Value: param('eventBusName') }]),
        { Name: 'RuleName', Value: subscription.ruleName },
      ],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: param('ruleFailedInvocationsThreshold'),
      ComparisonOperator: 'GreaterThanThreshold',
      // EventBridge sends the metric only when it is not zero.
      TreatMissingData: 'notBreaching',
    });
  }
  if (observed.httpApi) {
    alarms.HttpApiServerErrorsAlarm = alarm({
      AlarmName: `${observed.resourceName('api')}-5xx-rate`,
      AlarmDescription: `More than apiServerErrorRatePercent % of the ${service} HTTP API's requests were answered 5xx over 5 minutes (docs/operations.md, "Alarms").`,
      // The rate of requests answered 5xx, in percent; no requests give no figure (missing), not a rate of zero.
      Metrics: [
        {
          Id: 'errors',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: ref('HttpApi') }] },
            Period: 300,
            Stat: 'Sum',
          },
        },
        {
          Id: 'requests',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: ref('HttpApi') }] },
            Period: 300,
            Stat: 'Sum',
          },
        },
        { Id: 'rate', Label: '5xx rate (%)', Expression: '100 * errors / requests', ReturnData: true },
      ],
      EvaluationPeriods: 1,
      Threshold: param('apiServerErrorRatePercent'),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  if (observed.websocketApi) {
    alarms.WebsocketsApiExecutionErrorsAlarm = alarm({
      AlarmName: `${observed.resourceName('socket')}-execution-errors`,
      AlarmDescription: `API Gateway failed to call the ${service} WebSocket API's functions (a crash, timeout or throttle): clients cannot connect or miss live updates (docs/operations.md, "Alarms").`,
      // ExecutionError, not IntegrationError: the latter also counts the 4xx a function answers on purpose (a $connect
      // refused for a bad token).
      Namespace: 'AWS/ApiGateway',
      MetricName: 'ExecutionError',
      Dimensions: [{ Name: 'ApiId', Value: ref('WebsocketsApi') }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: param('socketExecutionErrorsThreshold'),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  return alarms;
}

/** The p99 duration, in milliseconds, above which a function with this timeout alarms. */
export const durationThresholdMs = (timeoutSeconds: number): number => Math.round(DURATION_ALARM_SHARE_OF_TIMEOUT * timeoutSeconds * 1000);

function alarm(properties: Json): Json {
  return { Type: 'AWS::CloudWatch::Alarm', Properties: { ...properties, ...ACTIONS } };
}

/**
 * The service's dashboard, `refinery-<service>-<stage>`: its queues (depth, oldest message, dead letters), its
 * functions (invocations, errors, throttles, p99 duration against its timeout), its rules' deliveries and its HTTP
 * API. The stage's own figures (jobs, rows, stages, providers, limiters) are on the platform's dashboard,
 * `refinery-<stage>`. The body is a JSON text with `${...}` placeholders !Sub fills (queue and function names, region).
 */
export function serviceDashboard(observed: Observed): Json {
  const widgets: Json[] = [];
  const region = '${AWS::Region}';
  const graph = (title: string, metrics: unknown[][], extra: Json = {}): Json => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region, view: 'timeSeries', stacked: false, period: 60, metrics, ...extra },
  });
  if (observed.subscriptions.length > 0) {
    const queues = (attribute: 'Queue' | 'DeadLetterInbox' | 'DeadLetterQueue') =>
      observed.subscriptions.map((subscription) => `\${${logicalName(subscription.name)}${attribute}.QueueName}`);
    widgets.push(
      graph(
        'Queue depth (messages waiting)',
        queues('Queue').map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue, { stat: 'Maximum' }]),
      ),
      graph(
        'Oldest message per queue (s)',
        queues('Queue').map((queue) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue, { stat: 'Maximum' }]),
      ),
      graph(
        'Messages in flight',
        queues('Queue').map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', 'QueueName', queue, { stat: 'Maximum' }]),
      ),
      graph('Dead letters (inboxes and dead-letter queues)', [
        ...queues('DeadLetterInbox').map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue, { stat: 'Maximum' }]),
        ...queues('DeadLetterQueue').map((queue) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue, { stat: 'Maximum' }]),
      ]),
      graph(
        'Rule deliveries failed for good',
        observed.subscriptions.map((subscription) =>
          subscription.onDefaultBus
            ? ['AWS/Events', 'FailedInvocations', 'RuleName', subscription.ruleName, { stat: 'Sum' }]
            : ['AWS/Events', 'FailedInvocations', 'EventBusName', param('eventBusName'), 'RuleName', subscription.ruleName, { stat: 'Sum' }],
        ),
      ),
    );
  }
  const lambda = (metric: string, stat: string) =>
    observed.functions.map((fn) => ['AWS/Lambda', metric, 'FunctionName', `\${${functionLogicalId(fn.name)}}`, { stat, label: fn.name }]);
  widgets.push(
    graph('Function invocations', lambda('Invocations', 'Sum')),
    graph('Function errors', lambda('Errors', 'Sum')),
    graph('Function throttles', lambda('Throttles', 'Sum')),
    graph('Function duration p99 (ms)', lambda('Duration', 'p99'), {
      // Each function's alarm line: 80 % of its own timeout.
      annotations: {
        horizontal: observed.functions.map((fn) => ({ label: `${fn.name} alarm`, value: durationThresholdMs(fn.timeoutSeconds) })),
      },
    }),
  );
  if (observed.httpApi) {
    const api = (metric: string, stat: string) => ['AWS/ApiGateway', metric, 'ApiId', '${HttpApi}', { stat }];
    widgets.push(
      graph('HTTP API requests and errors', [api('Count', 'Sum'), api('4xx', 'Sum'), api('5xx', 'Sum')]),
      graph('HTTP API latency (ms)', [api('Latency', 'p50'), api('Latency', 'p99'), api('IntegrationLatency', 'p99')]),
    );
  }
  if (observed.websocketApi) {
    const socket = (metric: string) => ['AWS/ApiGateway', metric, 'ApiId', '${WebsocketsApi}', { stat: 'Sum' }];
    widgets.push(
      graph('WebSocket API connections, messages and errors', [
        socket('ConnectCount'),
        socket('MessageCount'),
        socket('ClientError'),
        socket('IntegrationError'),
        socket('ExecutionError'),
      ]),
    );
  }
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: `refinery-${observed.service}-${STAGE}`,
      DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets: layout(widgets) }) },
    },
  };
}

/** Places widgets two per row, top to bottom. */
function layout(widgets: readonly Json[]): Json[] {
  return widgets.map((widget, index) => ({ ...widget, x: (index % 2) * 12, y: Math.floor(index / 2) * 6 }));
}

import { Tracer } from '@aws-lambda-powertools/tracer';
import { decodeObjectCreated, type Subscription } from '@refinery/runtime';
import type { SQSRecord } from 'aws-lambda';

/** What an invocation's trace is annotated with, so `annotation.jobId = "…"` finds every function a job went through. */
export interface TraceAnnotations {
  readonly jobId?: string;
  readonly correlationId?: string;
}

/** X-Ray keeps an annotation's string value up to 1,000 characters; a batch's ids are cut before that. */
const MAX_ANNOTATION_LENGTH = 1000;

let processTracer: Tracer | undefined;

/**
 * The process's Tracer (Powertools for AWS Lambda, X-Ray). It traces only on Lambda: Powertools turns itself off when
 * AWS_EXECUTION_ENV is not set (tests, tools, the emulator's bootstrap, which sets AWS_LAMBDA_FUNCTION_NAME but not
 * that) or POWERTOOLS_TRACE_ENABLED is `false`, and then every call below does nothing. When tracing, outgoing HTTP
 * (http, https, fetch: the providers' APIs, webhooks, Mailchimp) is traced too. On Lambda the function's own
 * segment exists only with active tracing (TracingConfig Active); without it the SDK sees no sampled trace and sends
 * nothing.
 */
export function functionTracer(serviceName: string | undefined = process.env.SERVICE_NAME): Tracer {
  // The first call names it: the entry points call it with their service's name before making the clients.
  processTracer ??= new Tracer({ serviceName });
  return processTracer;
}

/**
 * Runs one invocation in its own subsegment (`## <name>`) of the function's trace, annotated with the job and
 * correlation ids it works for (`annotationsOf`, read only when tracing), the service and whether it was a cold start; an error is recorded on it and rethrown.
 */
export async function traced<T>(tracer: Tracer, name: string, annotationsOf: () => TraceAnnotations, run: () => Promise<T>): Promise<T> {
  if (!tracer.isTracingEnabled()) return run();
  // Read only when tracing: it parses the records' bodies.
  const annotations = annotationsOf();
  const parent = tracer.getSegment();
  const subsegment = parent?.addNewSubsegment(`## ${name}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  if (annotations.jobId) tracer.putAnnotation('jobId', annotations.jobId);
  if (annotations.correlationId) tracer.putAnnotation('correlationId', annotations.correlationId);
  try {
    return await run();
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (parent) tracer.setSegment(parent);
  }
}

/**
 * The job and correlation ids of an SQS batch, as the handlers' logs name them: an EventBridge event of ours carries
 * them in `detail.metadata`; an S3 "Object Created" notice names its job in the object's key (its correlation id is the
 * job id, as in the failure it would report). A batch of several jobs gives their ids comma-separated (query with
 * `annotation.jobId CONTAINS "…"`); an unreadable body gives nothing (its handler says why in the logs).
 */
export function sqsTraceAnnotations(records: readonly Pick<SQSRecord, 'body'>[], subscription?: Subscription): TraceAnnotations {
  const jobIds = new Set<string>();
  const correlationIds = new Set<string>();
  for (const record of records) {
    const ids = idsOfBody(record.body, subscription);
    if (ids.jobId) jobIds.add(ids.jobId);
    if (ids.correlationId) correlationIds.add(ids.correlationId);
  }
  return annotationsOf(jobIds, correlationIds);
}

/** Routes about one job: `/jobs/{id}` and below. */
const JOB_ROUTE = /\/jobs\/\{id\}(\/|$)/;

/**
 * An API request's ids: the correlation id is API Gateway's request id (the one a created job records as its
 * correlation id, and the error responses quote), the job id is the `{id}` of a `/jobs/{id}…` route.
 */
export function httpTraceAnnotations(
  event: {
    readonly routeKey?: string;
    readonly requestContext?: { readonly requestId?: string };
    readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  },
  awsRequestId: string | undefined,
): TraceAnnotations {
  const correlationId = event.requestContext?.requestId ?? awsRequestId;
  const jobId = JOB_ROUTE.test(event.routeKey ?? '') ? event.pathParameters?.id : undefined;
  return { ...(jobId ? { jobId } : {}), ...(correlationId ? { correlationId } : {}) };
}

function idsOfBody(body: string, subscription: Subscription | undefined): TraceAnnotations {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { detail } = parsed as { detail?: unknown };
  if (typeof detail !== 'object' || detail === null) return {};
  const metadata = (detail as { metadata?: unknown }).metadata;
  if (typeof metadata === 'object' && metadata !== null) {
    const { jobId, correlationId } = metadata as { jobId?: unknown; correlationId?: unknown };
    return { ...(typeof jobId === 'string' ? { jobId } : {}), ...(typeof correlationId === 'string' ? { correlationId } : {}) };
  }
  if (subscription?.kind === 'objectCreated') {
    try {
      const { job } = decodeObjectCreated(body, subscription);
      return job ? { jobId: job.jobId, correlationId: job.jobId } : {};
    } catch {
      return {};
    }
  }
  return {};
}

function annotationsOf(jobIds: ReadonlySet<string>, correlationIds: ReadonlySet<string>): TraceAnnotations {
  const joined = (ids: ReadonlySet<string>) => [...ids].join(',').slice(0, MAX_ANNOTATION_LENGTH);
  return { ...(jobIds.size > 0 ? { jobId: joined(jobIds) } : {}), ...(correlationIds.size > 0 ? { correlationId: joined(correlationIds) } : {}) };
}

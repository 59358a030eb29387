import { decodeEventBridgeMessage } from '@refinery/events';
import type { PublishEntry } from '@refinery/ports';
import type { Subscription } from './declaration';
import { errorMessage } from './errors';
import { decodeObjectCreated, describeObjectCreated } from './object-created';
import { describeDecodedEvent, describeSubject, type FailureSubject, stageFailureEntry } from './sqs';

// A message in a dead-letter queue fails its job: whatever put it there (a handler that kept throwing, a function that
// timed out, ran out of memory or could not start, EventBridge unable to deliver it), the job ends `failed` with the
// reason and the rows concerned, and the user hears of it. What the message was about is read from the subscription's
// declaration alone, never from the service's code, so the report is made even when that code cannot run.

/** How a message reached a dead-letter queue. */
export type DeadLetterCause =
  /** Received maxReceiveCount times without being processed. */
  | { readonly kind: 'exhausted' }
  /** EventBridge could not deliver it to the subscription's queue (its target dead-letter queue), with its error. */
  | { readonly kind: 'undelivered'; readonly error: string };

/**
 * The job, event and rows a failed message of the subscription concerns; undefined when its loss fails no job (a
 * subscription that reports no stage failures, an object that belongs to no job). Throws for a body it cannot read.
 */
export function describeFailedMessage(subscription: Subscription, body: string): FailureSubject | undefined {
  if (subscription.kind === 'objectCreated') return describeObjectCreated(decodeObjectCreated(body, subscription));
  if (!subscription.reportsStageFailures) return undefined;
  return describeDecodedEvent(decodeEventBridgeMessage(body));
}

/**
 * The `stage.failed.v1` that reports a dead-lettered message (retryable: a redrive may still complete it), or undefined
 * when its loss fails no job. Its id is the one the handler's own last-delivery report has, so the two collapse.
 */
export function deadLetterReport(
  subscription: Subscription,
  body: string,
  where: { readonly deadLetterQueue: string; readonly cause: DeadLetterCause },
): PublishEntry | undefined {
  const subject = describeFailedMessage(subscription, body);
  if (!subject) return undefined;
  const { service, name } = subscription;
  const attempts = subscription.queue.maxReceiveCount;
  const reason =
    where.cause.kind === 'exhausted'
      ? `${service} gave up on ${describeSubject(subject)}: it was received ${attempts} times without being processed and was moved to ` +
        `the dead-letter queue ${where.deadLetterQueue}`
      : `EventBridge could not deliver ${describeSubject(subject)} to ${service}'s ${name} queue (${where.cause.error}); it is in the ` +
        `dead-letter queue ${where.deadLetterQueue}`;
  return stageFailureEntry({ service, subscription: name }, subject, {
    reason,
    retryable: true,
    attempts: where.cause.kind === 'exhausted' ? attempts : 1,
  });
}

/**
 * The `stage.failed.v1` for a message on its last delivery to a function that could not start (its service failed to
 * build at cold start: a setting, a table, an object it loads), with that error as the reason; undefined when its loss
 * fails no job. The same id as the dead-letter report that follows, which then changes nothing.
 */
export function coldStartFailureReport(subscription: Subscription, body: string, error: unknown): PublishEntry | undefined {
  const subject = describeFailedMessage(subscription, body);
  if (!subject) return undefined;
  const { service, name } = subscription;
  const attempts = subscription.queue.maxReceiveCount;
  return stageFailureEntry({ service, subscription: name }, subject, {
    reason: `${service} could not start, and gave up on ${describeSubject(subject)} after ${attempts} attempts: ${errorMessage(error)}`,
    retryable: true,
    attempts,
  });
}

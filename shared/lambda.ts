import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { ProvisioningError, RetryableAwsError } from './errors';
import { isNetworkFailure, translateAwsError } from './aws/translate-error';

/** Structured JSON logs; every line of a step carries the provisioning ID and the step name. */
export const logger = new Logger({ serviceName: 'byoc-provisioner' });

/**
 * How every handler adds the Lambda context to its logs. `logEvent: false` wins over `POWERTOOLS_LOGGER_LOG_EVENT`:
 * an event holds what must never reach a log line (a custom resource's presigned ResponseURL, external IDs), so no
 * setting can make the handlers log it (docs/decisions.md 25).
 */
export const LOG_CONTEXT = { resetKeys: true, logEvent: false } as const;

/** True for an AWS SDK v3 service exception (it carries `$metadata`). */
/** An error of an AWS call: AWS's answer (`$metadata`), or a network failure with none (retryable). */
const isSdkError = (e: unknown): boolean => (typeof e === 'object' && e !== null && '$metadata' in e) || isNetworkFailure(e);

/**
 * Normalise whatever a step threw into an error Step Functions can route on: our named errors pass through,
 * SDK errors are translated, anything else (a bug) keeps its name and is therefore terminal. The message is
 * prefixed with the step name, so the execution's final error says which step raised it.
 */
export function stepError(error: unknown, step: string): Error {
  const named = error instanceof ProvisioningError ? error : isSdkError(error) ? translateAwsError(error, `run ${step}`) : error;
  const e = named instanceof Error ? named : new Error(String(named));
  if (!e.message.startsWith(`${step}: `)) e.message = `${step}: ${e.message}`;
  return e;
}

/**
 * How long before its Lambda timeout a step gives up: time to write the log line and answer, so that the state
 * machine sees a named, retryable error instead of the sandbox dying.
 */
export const STEP_TIMEOUT_MARGIN_MS = 1000;

/**
 * A step that ran out of time. Its Lambda timeout is far above what its AWS calls take, so this means AWS answered
 * slowly (throttling backoff, a slow API): transient, like a 5xx. Middy's own answer (`TimeoutError`) matches no
 * Retry, so one slow moment would end the run; `RetryableAwsError` is retried, and every step finds what an earlier
 * attempt made (decision 24), as after `Sandbox.Timedout`.
 */
export function stepOutOfTime(step: string): never {
  const error = new RetryableAwsError(`${step}: ran out of time (its Lambda timeout) while waiting on AWS; retried, and the retry finds what this attempt made`);
  logger.error('step failed', { errorName: error.name, error: error.message });
  throw error;
}

/** The part of every step input the wrapper reads for log context. */
interface StepEvent {
  config?: { provisioningId?: string };
  provisioningId?: string;
}

/**
 * Wrap a step's domain function as a Lambda handler: thin on purpose (STYLE 1). Adds the Lambda context and
 * the provisioning ID to every log line, logs start, end and failure, and names errors for the state machine.
 *
 * @example export const handler = stepHandler('CreateVpc', (state: State) => createVpc(state.config));
 */
export function stepHandler<I extends object, O>(step: string, run: (input: I) => Promise<O>) {
  return middy<I, O, Error, Context>({ timeoutEarlyInMillis: STEP_TIMEOUT_MARGIN_MS, timeoutEarlyResponse: () => stepOutOfTime(step) })
    .use(injectLambdaContext(logger, LOG_CONTEXT))
    .handler(async (event: I) => {
      const e = event as StepEvent;
      logger.appendKeys({ step, provisioningId: e.config?.provisioningId ?? e.provisioningId });
      const started = Date.now();
      logger.info('step started');
      try {
        const result = await run(event);
        logger.info('step succeeded', { durationMs: Date.now() - started });
        return result;
      } catch (error) {
        const named = stepError(error, step);
        logger.error('step failed', { durationMs: Date.now() - started, errorName: named.name, error: named.message });
        throw named;
      }
    });
}

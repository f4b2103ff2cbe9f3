import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { LocalHandler } from './functions';
import { runAsFunction } from './realism/iam/identity';
import { loadTemplate, SERVERLESS_TEMPLATE } from './realism/iam/templates';

/** Step Functions' limit on a state's input or output (256 KiB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** An error as Step Functions sees a failed Lambda: `Error` is the errorType, `Cause` is Lambda's JSON. */
export class LambdaInvocationError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

/**
 * Invoke a handler the way the Lambda service would, in this process: the event and the result cross a JSON
 * boundary (so nothing that would not survive serialisation slips through), the handler gets a Lambda context,
 * and a thrown error reaches the state machine with its `name` as the error and Lambda's JSON error document as
 * the cause - the same shape a real execution records.
 */
export async function invokeLocal(functionName: string, handler: LocalHandler, input: unknown, timeoutMs = functionTimeoutMs(functionName)): Promise<unknown> {
  const event = JSON.parse(JSON.stringify(input ?? null));
  const deadline = Date.now() + timeoutMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let result: unknown;
  try {
    // As that function: the realism layer's IAM enforcement judges its AWS calls against the function's own role.
    result = await runAsFunction(functionName, () => handler(event as never, context));
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    throw new LambdaInvocationError(e.name || 'Error', e.message);
  }
  const text = JSON.stringify(result ?? null);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new LambdaInvocationError('States.DataLimitExceeded', `${functionName} returned ${Buffer.byteLength(text)} bytes, over the 256 KiB state limit`);
  }
  return JSON.parse(text);
}

let timeouts: { byFunction: Record<string, number>; provider: number } | undefined;

/**
 * A function's Lambda timeout as deployed (serverless.yml `functions.<name>.timeout`, else `provider.timeout`), in
 * ms: the deadline the local runtime gives each invocation, so that a step runs out of time locally when it would on
 * AWS (in real time: a step's own time is not scaled).
 */
export function functionTimeoutMs(functionName: string): number {
  if (!timeouts) {
    const template = loadTemplate(SERVERLESS_TEMPLATE) as { provider?: { timeout?: number }; functions?: Record<string, { timeout?: number }> };
    timeouts = {
      provider: template.provider?.timeout ?? 6,
      byFunction: Object.fromEntries(Object.entries(template.functions ?? {}).flatMap(([name, fn]) => (typeof fn?.timeout === 'number' ? [[name, fn.timeout]] : []))),
    };
  }
  return (timeouts.byFunction[functionName] ?? timeouts.provider) * 1000;
}

/** The ARN a local function is known by in local executions (the ASL placeholder's substitute). */
export const localFunctionArn = (functionName: string): string => `arn:aws:lambda:us-east-1:123456789012:function:byoc-local-${functionName}`;

/**
 * How a Lambda sandbox dies, and the error Step Functions then records for the Task (AWS documents both under
 * `Lambda.Unknown`; executions show these names): the function ran past its timeout, or out of memory. Either can
 * happen after the handler's AWS call succeeded, so the state machines retry them and every step finds what an
 * earlier attempt made (decision 24).
 */
export const LAMBDA_CRASH_ERRORS = { timeout: 'Sandbox.Timedout', 'out-of-memory': 'Runtime.OutOfMemory' } as const;
export type LambdaCrash = keyof typeof LAMBDA_CRASH_ERRORS;

/** The error the runtime reports for a crashed sandbox, with the message Lambda gives it. */
export function lambdaCrashError(crash: LambdaCrash, requestId: string, timeoutSeconds = 60): Error {
  const error = new Error(
    crash === 'timeout' ? `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` : `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  );
  error.name = LAMBDA_CRASH_ERRORS[crash];
  return error;
}

/**
 * A function whose sandbox dies after the handler did its work (its AWS calls succeeded, its answer never leaves
 * the sandbox), on its first `times` invocations; later invocations run normally. `onCrash` is told each crash.
 *
 * @example engine.overrideFunctions({ CreateVpc: crashAfterActing('CreateVpc', localFunctions.CreateVpc, 'timeout') })
 */
export function crashAfterActing(functionName: string, handler: LocalHandler, crash: LambdaCrash, times = 1, onCrash?: (crash: LambdaCrash) => void): LocalHandler {
  let crashes = 0;
  return async (event: never, context: Context) => {
    const result = await handler(event, context);
    if (crashes >= times) return result;
    crashes++;
    onCrash?.(crash);
    throw lambdaCrashError(crash, context.awsRequestId ?? functionName);
  };
}

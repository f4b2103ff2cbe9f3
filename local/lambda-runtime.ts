import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { LocalHandler } from './functions';

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
export async function invokeLocal(functionName: string, handler: LocalHandler, input: unknown, timeoutMs = 60_000): Promise<unknown> {
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
    result = await handler(event as never, context);
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

/** The ARN a local function is known by in local executions (the ASL placeholder's substitute). */
export const localFunctionArn = (functionName: string): string => `arn:aws:lambda:us-east-1:123456789012:function:byoc-local-${functionName}`;

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which Lambda function is running, for the AWS calls it makes: the local runtime runs each step in this
 * context, and IAM enforcement reads it to judge a call against that function's own role (serverless.yml
 * `functions.<Name>.role`). Calls made outside any function (tests, the CLI, the API handlers) have none.
 */
const current = new AsyncLocalStorage<{ functionName: string }>();

/** Run `fn` as the Lambda function `functionName` (everything it awaits included). */
export const runAsFunction = <T>(functionName: string, fn: () => Promise<T>): Promise<T> => current.run({ functionName }, fn);

/** The function whose code is running now, if any. */
export const currentFunction = (): string | undefined => current.getStore()?.functionName;
